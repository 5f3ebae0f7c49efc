"""Use cases on scheduling's events: what relatives are told about visits, the handover and the end.

Message causes are business keys (the visit and its time, the period), so scheduling repeating
an event, or publishing the same plan again, queues nothing new; a visit that moves to a new time
is a new message, which replaces the old one if that one is still waiting for the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from notification.domain.casefile import Notice
from notification.domain.message import CancelReason, RecipientKind
from notification.domain.templates import Facts, MeetingPlace, MessageKind
from notification.service_layer import relatives as rel
from notification.service_layer.deps import NotificationDeps


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


_KINDS = {
    (VisitType.HOMECOMING, False): MessageKind.HOMECOMING_SCHEDULED,
    (VisitType.HOMECOMING, True): MessageKind.HOMECOMING_CHANGED,
    (VisitType.FOLLOW_UP_MEETING, False): MessageKind.FOLLOW_UP_MEETING,
    (VisitType.FOLLOW_UP_MEETING, True): MessageKind.FOLLOW_UP_MEETING,
    (VisitType.HANDOVER, False): MessageKind.HANDOVER_VISIT,
    (VisitType.HANDOVER, True): MessageKind.HANDOVER_VISIT,
}


async def visit_planned(deps: NotificationDeps, cmd: VisitPlanned) -> int:
    """Tell the relatives the day and time of the homecoming visit, the follow-up meeting, the handover visit.

    The visit is kept in the case file at its latest time, so relatives who cannot be told yet
    (the decision or their contacts not read yet) hear of it when they can (`rel.tell_planned`).
    """
    kind = _KINDS.get((cmd.visit_type, cmd.moved))
    first = _KINDS.get((cmd.visit_type, False))
    cause = f"visit:{cmd.visit_id}:{int(cmd.planned_start.timestamp())}"
    topic = f"visit:{cmd.visit_id}"
    notice = None if first is None else Notice(topic, first, cause, at=cmd.planned_start, place=cmd.place)
    case = await rel.record_period(deps, cmd.case_id, cmd.person_ref, cmd.period_id, cmd.team_id, notice)
    if kind is None:
        return 0
    at = rel.local_time(deps, cmd.planned_start)
    return await rel.notify_relatives(
        deps,
        cmd.case_id,
        kind,
        Facts(at=at, place=cmd.place),
        cause=cause,
        about=at.date(),
        topic=topic,
        case=case,  # as `record_period` just read or saved it
    )


async def visit_cancelled(
    deps: NotificationDeps, case_id: str, person_ref: str, period_id: str, team_id: str, visit_id: str
) -> int:
    """A cancelled visit is not told to anyone who has not heard of it yet: it leaves the case file,
    and its message still waiting (held for the morning) is cancelled. Returns how many were."""
    topic = f"visit:{visit_id}"
    await rel.record_period(deps, case_id, person_ref, period_id, team_id, withdraw=topic)
    cancelled = 0
    for message in await deps.message_queries.queued_for_case(case_id):
        if message.recipient is RecipientKind.RELATIVE and message.topic == topic:
            cancelled += await rel.cancel_message(deps, message.message_id, CancelReason.SUPERSEDED)
    return cancelled


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
    team = await rel.contact_for(deps, case)
    return await rel.notify_relatives(
        deps,
        case_id,
        MessageKind.HANDED_OVER,
        Facts(day=day, call_phone=team.hemtjanst_phone or deps.policy.hemtjanst_phone),
        cause=f"handover:{period_id}",
        about=None,
        case=case,  # as `record_period` just read or saved it
        contact=team,  # looked up once for both the number to call and the team's own line
    )
