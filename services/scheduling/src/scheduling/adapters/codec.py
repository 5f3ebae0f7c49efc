"""Codecs of the two aggregates: state <-> document, and domain events -> wire contracts (the edge).

Documents hold the whole state under `state` (JSON types) plus top-level fields that queries
filter on by equality (FerretDB 1.24 pushes only those down to PostgreSQL):

- case plans: `team_id`, `active` (bool), `next_due_hour` (the hour bucket of the earliest
  timer, e.g. "2026-11-25T08") and `next_due_at` (a scanner's claim lives apart, in
  `timer_claims`, so that it never writes to the plan), and `timer_failures` (0 on every save:
  the scanner parks a plan whose timers raised by pushing `next_due_at` and counting here);
- teams: `name`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from pydantic import TypeAdapter

from scheduling.domain import events as ev
from scheduling.domain.calendar import WEEKDAY_NAMES
from scheduling.domain.checklist import ChecklistChanged, ChecklistOverdue
from scheduling.domain.plan import CasePlan
from scheduling.domain.team import Team
from scheduling.service_layer.ports import Clock
from trygg_shared.contracts import scheduling as wire
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mapping import to_contract
from trygg_shared.mongo import Document
from trygg_shared.timers import hour_key

_PLAN = TypeAdapter(CasePlan)
_TEAM = TypeAdapter(Team)


def _rating(e: ev.VisitCompleted) -> wire.SelfRating | None:
    if e.self_rating is None or e.rating_moment is None:
        return None
    return to_contract(wire.SelfRating, e.self_rating, moment=e.rating_moment)


def weekday_hours(hours: Iterable[tuple[int, time, time]]) -> tuple[wire.WeekdayHours, ...]:
    return tuple(wire.WeekdayHours(weekday=WEEKDAY_NAMES[wd], start=start, end=end) for wd, start, end in hours)


def period_wire(case_id: str, e: object) -> IntegrationEvent | None:
    """The wire contract of one case-plan domain event: fields by name, the moment by the wire's name for it."""
    found = _PERIOD_WIRE.get(type(e))
    if found is None:
        return None
    contract, moment = found
    fields = vars(e)  # a period event: a frozen dataclass with the period reference and, mostly, its moment `at`
    given = _differing(e) if moment is None else {moment: fields["at"], **_differing(e)}
    return to_contract(contract, e, fields["ref"], case_id=case_id, **given)


# Each period event's wire contract and the wire's name of the event's moment (`at`; None: the
# event has none). Every other field goes across by its name but those in `_differing`.
_PERIOD_WIRE: dict[type, tuple[type[IntegrationEvent], str | None]] = {
    ev.PeriodPlanned: (wire.PeriodPlanned, "planned_at"),
    ev.PeriodChanged: (wire.PeriodChanged, "changed_at"),
    ev.PeriodEnded: (wire.PeriodEnded, "ended_at"),
    ev.VisitScheduled: (wire.VisitScheduled, None),
    ev.VisitRescheduled: (wire.VisitRescheduled, None),
    ev.VisitReassigned: (wire.VisitReassigned, None),
    ev.VisitStarted: (wire.VisitStarted, None),
    ev.VisitCompleted: (wire.VisitCompleted, None),
    ev.VisitCancelled: (wire.VisitCancelled, "cancelled_at"),
    ev.VisitMissed: (wire.VisitMissed, "detected_at"),
    ev.FollowUpDue: (wire.FollowUpDue, None),
    ev.HemtjanstCoverOrdered: (wire.HemtjanstCoverOrdered, "ordered_at"),
    ev.HandedOverToHemtjanst: (wire.HandedOverToHemtjanst, "handed_over_at"),
    ChecklistChanged: (wire.HomecomingChecklistChanged, "changed_at"),
    ChecklistOverdue: (wire.HomecomingChecklistOverdue, "detected_at"),
}


def _differing(e: object) -> dict[str, Any]:
    """The wire fields a period event names or shapes otherwise (besides its moment)."""
    match e:
        case ev.PeriodPlanned():
            return {"period_kind": e.kind, "hemtjanst_cover_ordered": e.cover_ordered}
        case ev.PeriodEnded():
            hours_used = round(e.visit_minutes / 60, 2) if e.hours_granted is not None else None
            return {"period_kind": e.kind, "hours_used": hours_used}
        case ev.VisitCompleted():
            return {"self_rating": _rating(e)}
        case ev.HemtjanstCoverOrdered():
            return {"team_hours": weekday_hours((h.weekday, h.start, h.end) for h in e.team_hours)}
    return {}


def team_wire(e: object) -> IntegrationEvent | None:
    """The wire contract of one team domain event."""
    match e:
        case ev.TeamConfigured():
            return to_contract(
                wire.TeamConfigured,
                e,
                hours=weekday_hours(e.hours),
                members=tuple(wire.TeamMember(staff_id=s, display_name=n, active=a) for s, n, a in e.members),
                configured_at=e.at,
            )
        case ev.TeamCapacityExceeded():
            return to_contract(wire.TeamCapacityExceeded, e, occurred_at=e.at)
        case ev.WaitingListChanged():
            return to_contract(wire.WaitingListChanged, e, requested_start_date=e.requested_start, changed_at=e.at)
        case ev.DayReplanned():
            return to_contract(wire.DayReplanned, e, replanned_at=e.at)
    return None


class CasePlanCodec:
    """`AggregateCodec[CasePlan]`; the clock keeps a past-due timer's bucket in the current hour."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def to_document(self, state: CasePlan) -> Document:
        due = state.next_due_at
        return {
            "state": _PLAN.dump_python(state, mode="json"),
            "person_ref": state.person_ref,
            "team_id": state.team_id,
            "active": state.active,
            "next_due_at": due,
            # A timer already due goes in the current hour's bucket, which the scanner still reads.
            "next_due_hour": hour_key(max(due, self._clock.now())) if due else None,
            # A save (a change that may mend it) ends the pause of a plan parked by the scanner.
            "timer_failures": 0,
            "updated_at": datetime.now(UTC),
        }

    def from_document(self, doc: Document) -> CasePlan:
        return _PLAN.validate_python(doc["state"])

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        found = period_wire(aggregate_id, event)
        if found is None:
            raise TypeError(f"no wire contract for {type(event).__name__}")
        return [found]


class TeamCodec:
    """`AggregateCodec[Team]`."""

    def to_document(self, state: Team) -> Document:
        return {"state": _TEAM.dump_python(state, mode="json"), "name": state.config.name}

    def from_document(self, doc: Document) -> Team:
        return _TEAM.validate_python(doc["state"])

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        found = team_wire(event)
        if found is None:
            raise TypeError(f"no wire contract for {type(event).__name__}")
        return [found]
