"""Changes applied to a plan's visits: make them match the desired visits, staff them, hold and resume.

`_apply` keeps, moves, adds and cancels the open visits so that they match `desired.py`'s specs;
each visit is staffed with continuity (`staffing.py`). A sick call re-staffs a member's day; the
field may move a visit. Hemtjänst's cover order follows every re-plan.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from scheduling.domain import events as ev
from scheduling.domain.desired import desired
from scheduling.domain.plan_state import PlanState
from scheduling.domain.plan_values import (
    NAMESPACE,
    SINGLE_VISITS,
    PlanContext,
    PlanError,
    Spec,
    Visit,
    flex_minutes,
)
from scheduling.domain.staffing import Roster, VisitRequest, assign, candidate_order
from scheduling.domain.team import Team
from scheduling.domain.vocab import (
    HOME_VISITS,
    CancelReason,
    ChangeReason,
    PeriodChange,
    PeriodStatus,
    VisitKind,
    VisitStatus,
)
from trygg_shared.carry import carry


class Replanning(PlanState):
    """The plan's visits made to match what the period should have, and their staffing."""

    def _replan(
        self, ctx: PlanContext, *, reason: ChangeReason, cancel: CancelReason = CancelReason.REPLANNED
    ) -> list[object]:
        """Re-plan the open visits from today on by the current terms and facts."""
        today = ctx.team.calendar.local_date(ctx.now)
        wanted = desired(self, ctx.team, ctx.now, from_day=today)
        return self._apply(ctx, ctx.roster.copy(), wanted, from_day=today, reason=reason, cancel=cancel)

    def _apply(
        self,
        ctx: PlanContext,
        roster: Roster,
        specs: list[Spec],
        *,
        from_day: date,
        reason: ChangeReason = ChangeReason.OTHER,
        cancel: CancelReason = CancelReason.REPLANNED,
    ) -> list[object]:
        """Make the open visits from `from_day` on match `specs`: keep, move, add, cancel."""
        open_visits = [v for v in self.ordered_visits() if v.status == VisitStatus.SCHEDULED and v.day >= from_day]
        # This plan's own visits that stay where they are take their members' time too.
        for v in self.visits.values():
            if v.staff_id and v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED):
                roster.remove(v.visit_id)
        keep, new, unmatched = _match(specs, open_visits)
        events: list[object] = [self._cancel(v, cancel, "system", ctx.now) for v in unmatched]
        moving: list[tuple[Spec, Visit]] = []
        for spec, v in keep:
            moved = v.day != spec.day or (
                v.kind == VisitKind.HOMECOMING and abs(v.planned_start - spec.preferred) > timedelta(minutes=15)
            )
            if moved:
                moving.append((spec, v))
            else:
                self._book(roster, v)
        for v in self.visits.values():
            if v.status == VisitStatus.STARTED:
                self._book(roster, v)
        events += [
            self._move(ctx, roster, spec, v, reason) for spec, v in sorted(moving, key=lambda sv: sv[0].preferred)
        ]
        events += [self._add(ctx, roster, spec) for spec in sorted(new, key=lambda s: s.preferred)]
        return events

    def _move(
        self, ctx: PlanContext, roster: Roster, spec: Spec, v: Visit, reason: ChangeReason
    ) -> ev.VisitRescheduled:
        previous = v.planned_start
        staff, start = self._staff(ctx, roster, spec, v.visit_id, prefer=v.staff_id)
        v.day, v.planned_start, v.planned_end, v.staff_id = (
            spec.day,
            start,
            start + timedelta(minutes=spec.minutes),
            staff,
        )
        self._set_visit_timers(v, ctx.team, ctx.now)
        return ev.VisitRescheduled(
            self.ref,
            v.visit_id,
            v.kind,
            previous,
            v.planned_start,
            v.planned_end,
            staff,
            self._by_contact(staff),
            reason,
        )

    def _add(self, ctx: PlanContext, roster: Roster, spec: Spec) -> ev.VisitScheduled:
        self.visit_counter += 1
        visit_id = str(uuid.uuid5(NAMESPACE, f"{self.case_id}/visit/{self.visit_counter}"))
        staff, start = self._staff(ctx, roster, spec, visit_id)
        visit = Visit(
            visit_id,
            spec.kind,
            spec.day,
            start,
            start + timedelta(minutes=spec.minutes),
            spec.location,
            staff,
            officer_invited=spec.officer_invited,
            with_hemtjanst=spec.with_hemtjanst,
        )
        self.visits[visit_id] = visit
        self._set_visit_timers(visit, ctx.team, ctx.now)
        return ev.VisitScheduled(
            self.ref,
            visit_id,
            spec.kind,
            visit.planned_start,
            visit.planned_end,
            spec.location,
            staff,
            self._by_contact(staff),
            spec.officer_invited,
            spec.with_hemtjanst,
        )

    def _by_contact(self, staff_id: str | None) -> bool:
        """The member is the period's contact person."""
        return staff_id is not None and self.period is not None and staff_id == self.period.contact_person_id

    def _staff(
        self, ctx: PlanContext, roster: Roster, spec: Spec, visit_id: str, *, prefer: str | None = None
    ) -> tuple[str | None, datetime]:
        p = self.period
        assert p is not None
        met = self.met()
        if prefer:
            met[prefer] += 1000  # the member who had the visit keeps it when free
        order = candidate_order(ctx.team, roster, spec.day, p.contact_person_id, met)
        if prefer and prefer in order:
            order.remove(prefer)
            order.insert(0 if spec.kind != VisitKind.HOMECOMING else min(1, len(order)), prefer)
        request = VisitRequest(
            visit_id,
            spec.day,
            spec.preferred,
            timedelta(minutes=spec.minutes),
            timedelta(minutes=spec.flex_minutes),
            self.place,
            spec.not_before,
        )
        return assign(ctx.team, roster, request, order, ctx.travel)

    # --- hold, resume, the homecoming moved -----------------------------------------------------

    def _hold(self, now: datetime, reason: CancelReason) -> list[object]:
        p = self.period
        assert p is not None
        events: list[object] = [
            self._cancel(v, reason, "system", now) for v in self.ordered_visits() if v.status == VisitStatus.SCHEDULED
        ]
        p.status = PeriodStatus.ON_HOLD
        events.append(self._period_changed(PeriodChange.PUT_ON_HOLD, now))
        return events

    def _resume(self, ctx: PlanContext) -> list[object]:
        p = self.period
        assert p is not None
        p.status = PeriodStatus.PLANNED
        events: list[object] = [self._period_changed(PeriodChange.RESUMED, ctx.now)]
        events += self._replan(ctx, reason=ChangeReason.RESUMED)
        events += self._cover_order(ctx.team, ctx.now, valid_from=ctx.now)
        return events

    def _move_homecoming(self, ctx: PlanContext) -> list[object]:
        if self.home_visit_done():
            return []
        events = self._replan(ctx, reason=ChangeReason.DISCHARGE_TIME)
        if any(isinstance(e, ev.VisitRescheduled) and e.kind == VisitKind.HOMECOMING for e in events):
            events.insert(0, self._period_changed(PeriodChange.HOMECOMING_MOVED, ctx.now))
            events += self._cover_order(ctx.team, ctx.now, valid_from=ctx.now)
        return events

    def _cover_order(self, team: Team, now: datetime, *, valid_from: datetime) -> list[object]:
        """Hemtjänst's share: every stretch from arrival (or now) to the period's end the team does not cover."""
        p = self.period
        assert p is not None
        cal = team.calendar
        start = max(valid_from, self.arrival(team) or cal.midnight(p.start_date), cal.midnight(p.start_date))
        end = cal.midnight(p.end_date + timedelta(days=1))
        spans = cal.cover_spans(start, end) if start < end else []
        if not spans:
            return []
        order_id = str(uuid.uuid5(NAMESPACE, f"{self.case_id}/cover/{valid_from.isoformat()}"))
        windows = tuple(carry(ev.CoverWindow, s) for s in spans)
        hours = tuple(ev.WeekdayHours(wd, h.start, h.end) for wd, h in sorted(cal.hours.items()))
        order = ev.HemtjanstCoverOrdered(
            self.ref, order_id, valid_from, windows, p.hemtjanst_by_decision, now, hours, cal.works_on_holidays
        )
        self.cover_order = order  # the order in force, for hemtjänst to read (`GET /cases/{id}/cover-order`)
        return [order]

    # --- a member away, a visit moved from the field ---------------------------------------------

    def restaff_day(
        self, day: date, absent_staff_id: str, ctx: PlanContext, roster: Roster
    ) -> tuple[list[object], int, int, int]:
        """A member is away on `day`: give their visits to others, keeping continuity where possible.

        `roster` is the team's (shared across the cases re-planned in one go, updated here).
        Returns events, visits reassigned, left unstaffed, and reassigned to someone the client had met.
        """
        events: list[object] = []
        moved = unstaffed = kept = 0
        if self.period is None:
            return events, 0, 0, 0
        for visit in self.ordered_visits():
            if visit.day != day or visit.staff_id != absent_staff_id or visit.status != VisitStatus.SCHEDULED:
                continue
            event, met_before = self._restaff(visit, absent_staff_id, ctx, roster)
            events.append(event)
            if met_before is None:
                unstaffed += 1
            else:
                moved += 1
                kept += met_before
        return events, moved, unstaffed, kept

    def _restaff(
        self, visit: Visit, absent_staff_id: str, ctx: PlanContext, roster: Roster
    ) -> tuple[object, bool | None]:
        """One visit of an absent member to another: its event, and whether the client had met the new
        member (or it is the contact person); None: nobody was free, the visit is left unstaffed."""
        p = self.period
        assert p is not None
        roster.remove(visit.visit_id)
        met = self.met()
        met.pop(absent_staff_id, None)
        contact = p.contact_person_id if p.contact_person_id != absent_staff_id else None
        order = candidate_order(ctx.team, roster, visit.day, contact, met, exclude=[absent_staff_id])
        duration = visit.planned_end - visit.planned_start
        flex = timedelta(minutes=flex_minutes(visit.kind))
        request = VisitRequest(visit.visit_id, visit.day, visit.planned_start, duration, flex, self.place)
        chosen, start = assign(ctx.team, roster, request, order, ctx.travel)
        previous_start, previous_staff = visit.planned_start, visit.staff_id
        visit.staff_id = chosen
        if chosen is None:
            reassigned = ev.VisitReassigned(
                self.ref,
                visit.visit_id,
                visit.kind,
                previous_start,
                previous_staff,
                None,
                False,
                ChangeReason.SICK_CALL,
            )
            return reassigned, None
        met_before = met[chosen] > 0 or chosen == p.contact_person_id
        by_contact = chosen == p.contact_person_id
        if start == previous_start:
            reassigned = ev.VisitReassigned(
                self.ref, visit.visit_id, visit.kind, start, previous_staff, chosen, by_contact, ChangeReason.SICK_CALL
            )
            return reassigned, met_before
        visit.planned_start, visit.planned_end = start, start + duration
        self._set_visit_timers(visit, ctx.team, ctx.now)
        rescheduled = ev.VisitRescheduled(
            self.ref,
            visit.visit_id,
            visit.kind,
            previous_start,
            start,
            visit.planned_end,
            chosen,
            by_contact,
            ChangeReason.SICK_CALL,
        )
        return rescheduled, met_before

    def reschedule_visit(
        self, visit_id: str, start: datetime, minutes: int | None, staff_id: str | None, ctx: PlanContext
    ) -> list[object] | None:
        visit = self.visit(visit_id)
        if visit.status != VisitStatus.SCHEDULED:
            raise PlanError(f"a {visit.status.value} visit cannot be rescheduled")
        team = ctx.team
        duration = timedelta(minutes=minutes) if minutes else visit.planned_end - visit.planned_start
        day = team.calendar.local_date(start)
        window = team.calendar.window(day)
        if window is None or not window.contains(start, start + duration):
            raise PlanError("the new time is outside the team's working hours")
        p = self.period
        assert p is not None
        if visit.kind in HOME_VISITS and not (p.start_date <= day <= p.end_date):
            raise PlanError("the new day is outside the period")
        roster = ctx.roster.copy()
        roster.remove(visit_id)
        request = VisitRequest(visit_id, day, start, duration, timedelta(0), self.place)
        order = [staff_id] if staff_id else candidate_order(team, roster, day, visit.staff_id, self.met())
        if staff_id and team.member(staff_id) is None:
            raise PlanError("no such member in the team")
        chosen, chosen_start = assign(team, roster, request, order, ctx.travel)
        if staff_id and chosen is None:
            raise PlanError("that member is not free at that time")
        if (
            chosen_start == visit.planned_start
            and chosen == visit.staff_id
            and duration == visit.planned_end - visit.planned_start
        ):
            return None
        previous = visit.planned_start
        visit.day, visit.planned_start, visit.planned_end, visit.staff_id = (
            day,
            chosen_start,
            chosen_start + duration,
            chosen,
        )
        self._set_visit_timers(visit, team, ctx.now)
        return [
            ev.VisitRescheduled(
                self.ref,
                visit_id,
                visit.kind,
                previous,
                visit.planned_start,
                visit.planned_end,
                chosen,
                chosen is not None and chosen == p.contact_person_id,
                ChangeReason.FIELD_REQUEST,
            )
        ]


def _match(specs: list[Spec], open_visits: list[Visit]) -> tuple[list[tuple[Spec, Visit]], list[Spec], list[Visit]]:
    """Pair each wanted visit with an open one of its kind (a single visit anywhere, others on its day).

    Returns the pairs kept, the specs to add and the open visits nobody wants (to cancel).
    """
    unmatched = list(open_visits)
    keep: list[tuple[Spec, Visit]] = []
    new: list[Spec] = []
    for spec in specs:
        match = next(
            (v for v in unmatched if v.kind == spec.kind and (spec.kind in SINGLE_VISITS or v.day == spec.day)),
            None,
        )
        if match is None:
            new.append(spec)
        else:
            unmatched.remove(match)
            keep.append((spec, match))
    return keep, new, unmatched
