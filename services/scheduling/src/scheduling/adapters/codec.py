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

_PLAN = TypeAdapter(CasePlan)
_TEAM = TypeAdapter(Team)


def hour_key(instant: datetime) -> str:
    """The timer bucket of an instant: its UTC hour, e.g. '2026-11-25T08'."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _rating(e: ev.VisitCompleted) -> wire.SelfRating | None:
    if e.self_rating is None or e.rating_moment is None:
        return None
    return to_contract(wire.SelfRating, e.self_rating, moment=e.rating_moment)


def weekday_hours(hours: Iterable[tuple[int, time, time]]) -> tuple[wire.WeekdayHours, ...]:
    return tuple(wire.WeekdayHours(weekday=WEEKDAY_NAMES[wd], start=start, end=end) for wd, start, end in hours)


def period_wire(case_id: str, e: object) -> IntegrationEvent | None:
    """The wire contract of one case-plan domain event: fields by name, the differing ones here."""
    match e:
        case ev.PeriodPlanned():
            return to_contract(
                wire.PeriodPlanned,
                e,
                e.ref,
                case_id=case_id,
                period_kind=e.kind,
                hemtjanst_cover_ordered=e.cover_ordered,
                planned_at=e.at,
            )
        case ev.PeriodChanged():
            return to_contract(wire.PeriodChanged, e, e.ref, case_id=case_id, changed_at=e.at)
        case ev.VisitCancelled():
            return to_contract(wire.VisitCancelled, e, e.ref, case_id=case_id, cancelled_at=e.at)
        case ev.VisitCompleted():
            return to_contract(wire.VisitCompleted, e, e.ref, case_id=case_id, self_rating=_rating(e))
        case ev.VisitMissed():
            return to_contract(wire.VisitMissed, e, e.ref, case_id=case_id, detected_at=e.at)
        case ev.HemtjanstCoverOrdered():
            return to_contract(
                wire.HemtjanstCoverOrdered,
                e,
                e.ref,
                case_id=case_id,
                ordered_at=e.at,
                team_hours=weekday_hours((h.weekday, h.start, h.end) for h in e.team_hours),
            )
        case ev.HandedOverToHemtjanst():
            return to_contract(wire.HandedOverToHemtjanst, e, e.ref, case_id=case_id, handed_over_at=e.at)
        case ChecklistChanged():
            return to_contract(wire.HomecomingChecklistChanged, e, e.ref, case_id=case_id, changed_at=e.at)
        case ChecklistOverdue():
            return to_contract(wire.HomecomingChecklistOverdue, e, e.ref, case_id=case_id, detected_at=e.at)
        case ev.PeriodEnded():
            hours_used = round(e.visit_minutes / 60, 2) if e.hours_granted is not None else None
            return to_contract(
                wire.PeriodEnded, e, e.ref, case_id=case_id, period_kind=e.kind, hours_used=hours_used, ended_at=e.at
            )
    contract = _SAME_NAMES.get(type(e))
    return None if contract is None else to_contract(contract, e, getattr(e, "ref", None), case_id=case_id)


# Period events whose fields all have the wire's names (besides the period reference).
_SAME_NAMES: dict[type, type[IntegrationEvent]] = {
    ev.VisitScheduled: wire.VisitScheduled,
    ev.VisitRescheduled: wire.VisitRescheduled,
    ev.VisitReassigned: wire.VisitReassigned,
    ev.VisitStarted: wire.VisitStarted,
    ev.FollowUpDue: wire.FollowUpDue,
}


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
