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

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from scheduling.domain import events as ev
from scheduling.domain.calendar import WEEKDAY_NAMES
from scheduling.domain.plan import CasePlan
from scheduling.domain.team import Team
from scheduling.domain.vocab import RatingMoment
from scheduling.service_layer.ports import Clock
from trygg_shared.contracts import scheduling as wire
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mongo import Document

_PLAN = TypeAdapter(CasePlan)
_TEAM = TypeAdapter(Team)


def hour_key(instant: datetime) -> str:
    """The timer bucket of an instant: its UTC hour, e.g. '2026-11-25T08'."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _rating(r: ev.SelfRating | None, moment: RatingMoment | None) -> wire.SelfRating | None:
    if r is None or moment is None:
        return None
    return wire.SelfRating(
        moment=wire.SelfRatingMoment(moment.value),
        mobility=r.mobility,
        self_care=r.self_care,
        usual_activities=r.usual_activities,
        pain_discomfort=r.pain_discomfort,
        anxiety_depression=r.anxiety_depression,
        vas=r.vas,
        worry=r.worry,
        safety=r.safety,
    )


def _needs(n: ev.NeedsSummary) -> wire.NeedsSummary:
    return wire.NeedsSummary(
        visits_completed=n.visits_completed,
        visits_declined=n.visits_declined,
        visits_missed=n.visits_missed,
        average_visit_minutes=n.average_visit_minutes,
        food=wire.SupportLevel(n.food.value),
        medicines=wire.SupportLevel(n.medicines.value),
        personal_care=wire.SupportLevel(n.personal_care.value),
        aids_in_use=n.aids_in_use,
        aids_missing=n.aids_missing,
        worry_latest=n.worry_latest,
        worry_trend=wire.Trend(n.worry_trend.value),
        suggested_visits_per_day=n.suggested_visits_per_day,
        has_free_text_notes=n.has_free_text_notes,
    )


def _period(case_id: str, ref: ev.PeriodRef) -> dict[str, Any]:
    return {"case_id": case_id, "person_ref": ref.person_ref, "period_id": ref.period_id, "team_id": ref.team_id}


def period_wire(case_id: str, e: object) -> IntegrationEvent | None:
    """The wire contract of one case-plan domain event."""
    match e:
        case ev.PeriodPlanned():
            return wire.PeriodPlanned(
                **_period(case_id, e.ref),
                decision_id=e.decision_id,
                period_kind=wire.PeriodKind(e.kind.value),
                start_date=e.start_date,
                end_date=e.end_date,
                hours_granted=e.hours_granted,
                contact_person_id=e.contact_person_id,
                visits_planned=e.visits_planned,
                status=wire.PeriodStatus(e.status.value),
                hemtjanst_cover_ordered=e.cover_ordered,
                waited_days=e.waited_days,
                planned_at=e.at,
            )
        case ev.PeriodChanged():
            return wire.PeriodChanged(
                **_period(case_id, e.ref),
                change=wire.PeriodChangeKind(e.change.value),
                status=wire.PeriodStatus(e.status.value),
                start_date=e.start_date,
                end_date=e.end_date,
                hours_granted=e.hours_granted,
                contact_person_id=e.contact_person_id,
                changed_at=e.at,
            )
        case ev.VisitScheduled():
            return wire.VisitScheduled(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                planned_start=e.planned_start,
                planned_end=e.planned_end,
                location=wire.VisitLocation(e.location.value),
                staff_id=e.staff_id,
                by_contact_person=e.by_contact_person,
                officer_invited=e.officer_invited,
                with_hemtjanst=e.with_hemtjanst,
            )
        case ev.VisitRescheduled():
            return wire.VisitRescheduled(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                previous_start=e.previous_start,
                planned_start=e.planned_start,
                planned_end=e.planned_end,
                staff_id=e.staff_id,
                by_contact_person=e.by_contact_person,
                reason=wire.VisitChangeReason(e.reason.value),
            )
        case ev.VisitReassigned():
            return wire.VisitReassigned(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                planned_start=e.planned_start,
                previous_staff_id=e.previous_staff_id,
                staff_id=e.staff_id,
                by_contact_person=e.by_contact_person,
                reason=wire.VisitChangeReason(e.reason.value),
            )
        case ev.VisitCancelled():
            return wire.VisitCancelled(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                planned_start=e.planned_start,
                reason=wire.VisitCancelReason(e.reason.value),
                cancelled_by=e.cancelled_by,
                cancelled_at=e.at,
            )
        case ev.VisitStarted():
            return wire.VisitStarted(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                staff_id=e.staff_id,
                planned_start=e.planned_start,
                started_at=e.started_at,
            )
        case ev.VisitCompleted():
            return wire.VisitCompleted(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                staff_id=e.staff_id,
                by_contact_person=e.by_contact_person,
                planned_start=e.planned_start,
                started_at=e.started_at,
                ended_at=e.ended_at,
                duration_minutes=e.duration_minutes,
                self_rating=_rating(e.self_rating, e.rating_moment),
                minutes_used_total=e.minutes_used_total,
            )
        case ev.VisitMissed():
            return wire.VisitMissed(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                staff_id=e.staff_id,
                planned_start=e.planned_start,
                planned_end=e.planned_end,
                grace_minutes=e.grace_minutes,
                detected_at=e.at,
            )
        case ev.FollowUpDue():
            return wire.FollowUpDue(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                kind=wire.VisitKind(e.kind.value),
                follow_up=wire.FollowUpKind(e.follow_up.value),
                due_at=e.due_at,
                staff_id=e.staff_id,
                officer_invited=e.officer_invited,
                location=wire.VisitLocation(e.location.value),
            )
        case ev.HemtjanstCoverOrdered():
            return wire.HemtjanstCoverOrdered(
                **_period(case_id, e.ref),
                order_id=e.order_id,
                valid_from=e.valid_from,
                windows=tuple(
                    wire.CoverWindow(start=w.start, end=w.end, reason=wire.CoverReason(w.reason.value))
                    for w in e.windows
                ),
                decision_orders_hemtjanst=e.decision_orders_hemtjanst,
                ordered_at=e.at,
            )
        case ev.HandedOverToHemtjanst():
            return wire.HandedOverToHemtjanst(
                **_period(case_id, e.ref),
                visit_id=e.visit_id,
                staff_id=e.staff_id,
                handed_over_at=e.at,
                needs=_needs(e.needs),
            )
        case ev.PeriodEnded():
            return wire.PeriodEnded(
                **_period(case_id, e.ref),
                decision_id=e.decision_id,
                period_kind=wire.PeriodKind(e.kind.value),
                start_date=e.start_date,
                planned_end_date=e.planned_end_date,
                ended_on=e.ended_on,
                reason=wire.PeriodEndReason(e.reason.value),
                visits_completed=e.visits_completed,
                visits_missed=e.visits_missed,
                visits_cancelled=e.visits_cancelled,
                distinct_staff=e.distinct_staff,
                contact_person_id=e.contact_person_id,
                contact_person_visits=e.contact_person_visits,
                contact_person_share=e.contact_person_share,
                visit_minutes=e.visit_minutes,
                hours_granted=e.hours_granted,
                hours_used=round(e.visit_minutes / 60, 2) if e.hours_granted is not None else None,
                follow_up_call_planned=e.follow_up_call_planned,
                ended_at=e.at,
            )
    return None


def team_wire(e: object) -> IntegrationEvent | None:
    """The wire contract of one team domain event."""
    match e:
        case ev.TeamConfigured():
            return wire.TeamConfigured(
                team_id=e.team_id,
                name=e.name,
                phone=e.phone,
                hemtjanst_phone=e.hemtjanst_phone,
                municipality_profile=e.municipality_profile,
                municipality_code=e.municipality_code,
                timezone=e.timezone,
                hours=tuple(
                    wire.WeekdayHours(weekday=wire.Weekday(WEEKDAY_NAMES[wd]), start=start, end=end)
                    for wd, start, end in e.hours
                ),
                works_on_holidays=e.works_on_holidays,
                clients_per_day=e.clients_per_day,
                new_clients_per_month=e.new_clients_per_month,
                max_period_days=e.max_period_days,
                members=tuple(wire.TeamMember(staff_id=s, display_name=n, active=a) for s, n, a in e.members),
                version=e.version,
                configured_at=e.at,
            )
        case ev.TeamCapacityExceeded():
            return wire.TeamCapacityExceeded(
                team_id=e.team_id,
                case_id=e.case_id,
                person_ref=e.person_ref,
                limit=wire.CapacityLimit(e.limit.value),
                capacity=e.capacity,
                on_date=e.on_date,
                waiting_count=e.waiting_count,
                occurred_at=e.at,
            )
        case ev.WaitingListChanged():
            return wire.WaitingListChanged(
                team_id=e.team_id,
                case_id=e.case_id,
                person_ref=e.person_ref,
                change=wire.WaitingListChange(e.change.value),
                position=e.position,
                waiting_count=e.waiting_count,
                waiting_since=e.waiting_since,
                requested_start_date=e.requested_start,
                changed_at=e.at,
            )
        case ev.DayReplanned():
            return wire.DayReplanned(
                team_id=e.team_id,
                day=e.day,
                absent_staff_id=e.absent_staff_id,
                visits_reassigned=e.visits_reassigned,
                visits_unstaffed=e.visits_unstaffed,
                continuity_kept=e.continuity_kept,
                replanned_at=e.at,
            )
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
