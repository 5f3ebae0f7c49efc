"""The field's work on a plan: a visit started, completed (notes, self-rating), declined; the needs summary.

Completing the handover hands over to hemtjänst with the needs summary built from the visit notes;
completing the visit that uses up a pot of hours ends the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduling.domain import events as ev
from scheduling.domain.plan_values import PlanError, Visit, VisitNotes
from scheduling.domain.replan import Replanning
from scheduling.domain.vocab import (
    HOME_VISITS,
    CancelReason,
    EndReason,
    PeriodKind,
    PeriodStatus,
    RatingMoment,
    SupportLevel,
    Trend,
    VisitKind,
    VisitStatus,
)


class FieldWork(Replanning):
    """What the team does at the visits."""

    def start_visit(self, visit_id: str, staff_id: str, at: datetime) -> list[object] | None:
        visit = self.visit(visit_id)
        if visit.status == VisitStatus.STARTED and visit.done_by == staff_id:
            return None  # the phone sent it twice
        if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
            raise PlanError(f"a {visit.status.value} visit cannot be started")
        visit.status, visit.started_at, visit.done_by = VisitStatus.STARTED, at, staff_id
        self._clear_visit_timers(visit_id)
        if self.period is not None and self.period.status == PeriodStatus.PLANNED:
            self.period.status = PeriodStatus.ACTIVE
        return [ev.VisitStarted(self.ref, visit_id, visit.kind, staff_id, visit.planned_start, at)]

    def complete_visit(
        self,
        visit_id: str,
        staff_id: str,
        started_at: datetime | None,
        ended_at: datetime,
        notes: VisitNotes | None,
        rating: ev.SelfRating | None,
        now: datetime,
    ) -> list[object] | None:
        visit = self.visit(visit_id)
        if visit.status == VisitStatus.COMPLETED and visit.ended_at == ended_at and visit.done_by == staff_id:
            return None  # a retry of the same completion
        start = _actual_start(visit, started_at, ended_at)
        moment = self._rating_moment(visit) if rating is not None else None
        if rating is not None and moment is None:
            raise PlanError("the self-rating is taken at the first and the last visit only")
        visit.status, visit.started_at, visit.ended_at, visit.done_by = VisitStatus.COMPLETED, start, ended_at, staff_id
        visit.notes, visit.self_rating, visit.rating_moment = notes, rating, moment
        self._clear_visit_timers(visit_id)
        p = self.period
        assert p is not None
        if p.status == PeriodStatus.PLANNED:
            p.status = PeriodStatus.ACTIVE
        used = self.minutes_used() if p.kind == PeriodKind.HOURS_POT else None
        events: list[object] = [
            ev.VisitCompleted(
                self.ref,
                visit_id,
                visit.kind,
                staff_id,
                staff_id == p.contact_person_id,
                visit.planned_start,
                start,
                ended_at,
                visit.minutes,
                rating,
                moment,
                used,
            )
        ]
        if visit.kind == VisitKind.HANDOVER:
            events.append(ev.HandedOverToHemtjanst(self.ref, visit_id, staff_id, ended_at, self.needs_summary()))
        if used is not None and p.hours_granted is not None and used >= p.hours_granted * 60:
            events += self.end_now(EndReason.HOURS_USED, now, ended_on=visit.day)
        return events

    def _rating_moment(self, visit: Visit) -> RatingMoment | None:
        if visit.kind not in HOME_VISITS:
            return None
        done = [v for v in self.visits.values() if v.kind in HOME_VISITS and v.status == VisitStatus.COMPLETED]
        if not any(v.rating_moment == RatingMoment.FIRST_VISIT for v in done) and not done:
            return RatingMoment.FIRST_VISIT
        later = [
            v
            for v in self.visits.values()
            if v.kind in HOME_VISITS
            and v.visit_id != visit.visit_id
            and v.status == VisitStatus.SCHEDULED
            and v.planned_start > visit.planned_start
        ]
        if visit.kind == VisitKind.HANDOVER or not later:
            return RatingMoment.LAST_VISIT
        return None

    def cancel_visit(self, visit_id: str, reason: CancelReason, by: str, now: datetime) -> list[object] | None:
        visit = self.visit(visit_id)
        if visit.status == VisitStatus.CANCELLED:
            return None
        if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
            raise PlanError(f"a {visit.status.value} visit cannot be cancelled")
        return [self._cancel(visit, reason, by, now)]

    # --- the summary for the officer ------------------------------------------------------------

    def needs_summary(self) -> ev.NeedsSummary:
        done = [v for v in self.ordered_visits() if v.kind in HOME_VISITS and v.status == VisitStatus.COMPLETED]
        notes = [v.notes for v in done if v.notes is not None]

        def latest(area: str) -> SupportLevel:
            for n in reversed(notes):
                level: SupportLevel = getattr(n, area)
                if level != SupportLevel.NOT_ASSESSED:
                    return level
            return SupportLevel.NOT_ASSESSED

        in_use: dict[str, None] = {}
        missing: dict[str, None] = {}
        for n in notes:
            for aid in n.aids_in_use:
                in_use[aid] = None
                missing.pop(aid, None)
            for aid in n.aids_missing:
                if aid not in in_use:
                    missing[aid] = None
        worries = [n.worry for n in notes if n.worry is not None]
        if not worries:
            worries = [v.self_rating.worry for v in done if v.self_rating is not None]
        trend = Trend.UNKNOWN
        if len(worries) >= 2:
            trend = (
                Trend.FALLING
                if worries[-1] < worries[0]
                else Trend.RISING
                if worries[-1] > worries[0]
                else Trend.STABLE
            )
        minutes = [v.minutes for v in done]
        suggested = next(
            (n.suggested_visits_per_day for n in reversed(notes) if n.suggested_visits_per_day is not None), None
        )
        return ev.NeedsSummary(
            visits_completed=len(done),
            visits_declined=sum(1 for v in self.visits.values() if v.cancel_reason == CancelReason.DECLINED),
            visits_missed=sum(1 for v in self.visits.values() if v.status == VisitStatus.MISSED),
            average_visit_minutes=round(sum(minutes) / len(minutes)) if minutes else None,
            food=latest("food"),
            medicines=latest("medicines"),
            personal_care=latest("personal_care"),
            aids_in_use=tuple(in_use),
            aids_missing=tuple(missing),
            worry_latest=worries[-1] if worries else None,
            worry_trend=trend,
            suggested_visits_per_day=suggested,
            has_free_text_notes=any(n.free_text for n in notes),
        )


def _actual_start(visit: Visit, started_at: datetime | None, ended_at: datetime) -> datetime:
    """The completed visit's actual start; a completion the visit's state or times make impossible is refused."""
    if visit.status == VisitStatus.COMPLETED:
        raise PlanError("the visit is completed already")
    if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.STARTED, VisitStatus.MISSED):
        raise PlanError(f"a {visit.status.value} visit cannot be completed")
    start = started_at or visit.started_at
    if start is None:
        raise PlanError("the visit was not started: give its actual start")
    if ended_at < start:
        raise PlanError("a visit cannot end before it starts")
    if ended_at - start > timedelta(hours=12):
        raise PlanError("a visit longer than 12 hours is not plausible")
    return start
