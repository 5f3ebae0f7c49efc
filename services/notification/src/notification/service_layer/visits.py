"""Use cases on scheduling's events: what relatives are told about visits, the handover and the end.

Message causes are business keys (the visit and its time, the period), so scheduling repeating
an event, or publishing the same plan again, queues nothing new; a visit that moves to a new time
gives a new text only when the relative heard the old one, and replaces one still waiting
(`domain.schedule` has the rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from notification.domain.casefile import Notice
from notification.domain.schedule import visit_topics
from notification.domain.templates import MeetingPlace, MessageKind
from notification.service_layer import relatives as rel
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.telling import withdraw_topics


class VisitType(StrEnum):
    """The kinds of visit relatives hear about (scheduling has more: daily visits are not announced)."""

    HOMECOMING = "homecoming"
    FOLLOW_UP_MEETING = "follow_up_meeting"
    HANDOVER = "handover"
    OTHER = "other"


@dataclass(frozen=True)
class VisitPlanned:
    case_id: str
    person_ref: str
    period_id: str
    team_id: str
    visit_id: str
    visit_type: VisitType
    planned_start: datetime
    place: MeetingPlace
    moved: bool  # rescheduled (True) or newly scheduled (False)


# The visits relatives hear of, as the kind of their first text (daily visits are not announced).
_FIRST = {
    VisitType.HOMECOMING: MessageKind.HOMECOMING_SCHEDULED,
    VisitType.FOLLOW_UP_MEETING: MessageKind.FOLLOW_UP_MEETING,
    VisitType.HANDOVER: MessageKind.HANDOVER_VISIT,
}


async def visit_planned(deps: NotificationDeps, cmd: VisitPlanned) -> int:
    """The homecoming visit, the follow-up meeting or the handover visit scheduled or moved.

    The visit is kept in the case file at its latest time (a move keeps the place known, which a
    move's event does not carry); what relatives hear of it, and when, is the schedule's
    (`domain.schedule`: the homecoming time in the start text or on its own, a reminder the day
    before a meeting, a text when a time they heard changes). Relatives who cannot be told yet (the
    decision or their contacts not read yet) hear of it when they can. Returns how many texts were
    queued now.
    """
    first = _FIRST.get(cmd.visit_type)
    key = f"visit:{cmd.visit_id}"
    if first is None:
        await rel.record_period(deps, cmd.case_id, cmd.person_ref, cmd.period_id, cmd.team_id)
        return 0
    cause = f"{key}:{int(cmd.planned_start.timestamp())}"
    loaded = await deps.cases.load(cmd.case_id) if cmd.moved else None
    known = loaded.state.notices.get(key) if loaded is not None else None
    place = known.place if known is not None and known.place is not None else cmd.place
    notice = Notice(key, first, cause, at=cmd.planned_start, place=place)
    case = await rel.record_period(deps, cmd.case_id, cmd.person_ref, cmd.period_id, cmd.team_id, notice)
    return await rel.tell(deps, case)


async def visit_cancelled(
    deps: NotificationDeps, case_id: str, person_ref: str, period_id: str, team_id: str, visit_id: str
) -> int:
    """A cancelled visit is not told to anyone who has not heard of it yet: it leaves the case file,
    and its texts still waiting (a reminder, a text held for the morning) are withdrawn. Returns how
    many were."""
    key = f"visit:{visit_id}"
    await rel.record_period(deps, case_id, person_ref, period_id, team_id, withdraw=key)
    return await withdraw_topics(deps, case_id, set(visit_topics(key)))


async def handed_over(
    deps: NotificationDeps,
    case_id: str,
    person_ref: str,
    period_id: str,
    team_id: str,
    handed_over_at: datetime,
) -> int:
    """Hemtjänst has taken over: tell relatives whom to call from now on.

    The number is the hemtjänst unit in the team's configuration (from scheduling's team events),
    else the deployment's default (`NOTIFICATION_HEMTJANST_PHONE`), else none (the text then says
    to call hemtjänst without a number)."""
    day = rel.local_day(deps, handed_over_at)
    notice = Notice("handover", MessageKind.HANDED_OVER, f"handover:{period_id}", day=day)
    case = await rel.record_period(deps, case_id, person_ref, period_id, team_id, notice)
    return await rel.tell(deps, case)
