"""The case plan's state (one person's period, its visits and its timers), its queries, its timers and its end.

`CasePlan` (in `plan.py`) builds on this: the desired visits (`desired.py`), the changes applied
to visits and their staffing (`replan.py`), the field's work (`field_work.py`), the decisions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from scheduling.domain import events as ev
from scheduling.domain.calendar import Calendar
from scheduling.domain.checklist import CHECKLIST_TIMER, Checklist, ChecklistOverdue, item_states
from scheduling.domain.plan_values import (
    DecisionChange,
    DecisionEnd,
    DecisionTerms,
    Period,
    PersonContact,
    Timer,
    Visit,
    VisitNotFound,
    timer_key,
)
from scheduling.domain.staffing import Busy, Place, Roster
from scheduling.domain.team import Team
from scheduling.domain.vocab import (
    HOME_VISITS,
    TEAM_VISITS,
    CancelReason,
    EndReason,
    FollowUp,
    PeriodChange,
    PeriodStatus,
    VisitKind,
    VisitStatus,
)
from trygg_shared.carry import carry


@dataclass
class PlanState:
    case_id: str
    person_ref: str
    contact: PersonContact | None = None
    coordinates: tuple[float, float] | None = None
    at_home: bool = False
    ready_at: datetime | None = None
    planned_discharge_at: datetime | None = None
    discharged_at: datetime | None = None
    ready_revoked: bool = False
    decision: DecisionTerms | None = None
    # Decisions ended here: never planned (again). A grant whose end overtook it is not among
    # them until it is planned and ended as in order (`decision_ends` keeps the end meanwhile).
    ended_decisions: list[str] = field(default_factory=list)
    decision_ends: dict[str, DecisionEnd] = field(default_factory=dict)
    # Changes of decisions whose grant has not come yet (applied after the grant, in order).
    early_changes: list[DecisionChange] = field(default_factory=list)
    waiting_since: datetime | None = None
    period: Period | None = None
    visits: dict[str, Visit] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    visit_counter: int = 0
    # The homecoming checklist (`checklist.py`); None before planning and for plans made before it existed.
    checklist: Checklist | None = None
    cover_order: ev.HemtjanstCoverOrdered | None = None  # the latest hemtjänst cover order (replaces earlier ones)

    # --- queries ------------------------------------------------------------------------------

    @property
    def place(self) -> Place:
        return Place(self.case_id, self.coordinates)

    @property
    def ref(self) -> ev.PeriodRef:
        assert self.period is not None
        return ev.PeriodRef(self.person_ref, self.period.period_id, self.period.team_id)

    @property
    def team_id(self) -> str | None:
        return self.period.team_id if self.period else None

    @property
    def active(self) -> bool:
        """Has a period that is not over, or visits still to make (the follow-up call)."""
        if self.period is None:
            return False
        if self.period.status != PeriodStatus.ENDED:
            return True
        return any(v.status == VisitStatus.SCHEDULED for v in self.visits.values())

    @property
    def next_due_at(self) -> datetime | None:
        return min((t.due_at for t in self.timers.values()), default=None)

    def visit(self, visit_id: str) -> Visit:
        found = self.visits.get(visit_id)
        if found is None:
            raise VisitNotFound(visit_id)
        return found

    def ordered_visits(self) -> list[Visit]:
        return sorted(self.visits.values(), key=lambda v: (v.planned_start, v.visit_id))

    def met(self) -> Counter[str]:
        """Visits per member with this client (made or planned): the continuity the plan keeps."""
        return Counter(
            v.staff_id
            for v in self.visits.values()
            if v.staff_id and v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED, VisitStatus.COMPLETED)
        )

    def minutes_used(self) -> int:
        return sum(
            v.minutes for v in self.visits.values() if v.status == VisitStatus.COMPLETED and v.kind in TEAM_VISITS
        )

    def add_to(self, roster: Roster) -> None:
        """Book this plan's open visits (and its contact person) into a team roster."""
        for v in self.visits.values():
            if v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED):
                self._book(roster, v)
        if self.period and self.period.status != PeriodStatus.ENDED and self.period.contact_person_id:
            roster.contacts[self.period.contact_person_id] += 1

    def _book(self, roster: Roster, visit: Visit) -> None:
        """The visit's member is busy then, here (a visit without a member takes nobody's time)."""
        if visit.staff_id:
            roster.add(
                visit.staff_id, visit.day, Busy(visit.planned_start, visit.planned_end, self.place, visit.visit_id)
            )

    def home_visit_done(self) -> bool:
        return any(
            v.kind in HOME_VISITS and v.status in (VisitStatus.COMPLETED, VisitStatus.STARTED)
            for v in self.visits.values()
        )

    def arrival(self, team: Team) -> datetime | None:
        """When the person is (expected) home; None when already home or not known."""
        rules = team.rules
        after = timedelta(minutes=rules.arrival_after_discharge_minutes)
        if self.discharged_at is not None:
            return self.discharged_at + after
        if self.at_home:
            return None
        if self.planned_discharge_at is not None:
            return self.planned_discharge_at + after
        return None

    def _period_changed(self, change: PeriodChange, now: datetime) -> ev.PeriodChanged:
        p = self.period
        assert p is not None
        return carry(ev.PeriodChanged, p, ref=self.ref, change=change, at=now)

    def _cancel(self, visit: Visit, reason: CancelReason, by: str, now: datetime) -> ev.VisitCancelled:
        visit.status, visit.cancel_reason = VisitStatus.CANCELLED, reason
        self._clear_visit_timers(visit.visit_id)
        return carry(ev.VisitCancelled, visit, ref=self.ref, reason=reason, cancelled_by=by, at=now)

    # --- ending -------------------------------------------------------------------------------

    def end_now(self, reason: EndReason, now: datetime, *, ended_on: date) -> list[object]:
        """End the period now: cancel what is still to come (the follow-up call too unless it ran its course)."""
        p = self.period
        if p is None or p.status == PeriodStatus.ENDED:
            return []
        cancel_call = reason in (EndReason.READMITTED, EndReason.DECEASED, EndReason.CASE_CANCELLED, EndReason.DECLINED)
        cancel_call = cancel_call or (ended_on is not None and ended_on < p.start_date)  # never began: no call
        cancel_reason = {
            EndReason.READMITTED: CancelReason.READMITTED,
            EndReason.DECEASED: CancelReason.DECEASED,
            EndReason.HOURS_USED: CancelReason.HOURS_USED,
        }.get(reason, CancelReason.PERIOD_ENDED)
        events: list[object] = []
        for v in self.ordered_visits():
            if v.status not in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
                continue
            if v.kind == VisitKind.FOLLOW_UP_CALL and not cancel_call:
                continue
            if v.status == VisitStatus.MISSED:
                continue  # already over; stays missed
            events.append(self._cancel(v, cancel_reason, "system", now))
        self.timers.pop("period_end", None)
        p.status_before_end = p.status
        p.status = PeriodStatus.ENDED
        p.end_reason = reason
        last_day = (
            p.end_date
            if reason in (EndReason.COMPLETED, p.end_reason_at_end) and ended_on is None
            else (ended_on or now.date())
        )
        # Ended before its first day (cancelled, declined, the person died or was readmitted
        # before it began): 0 days, `ended_on` the day before `start_date`, never a 1-day period.
        p.ended_on = max(p.start_date - timedelta(days=1), min(last_day, p.end_date))
        events.append(self._ended_event(now))
        return events

    def _ended_event(self, now: datetime) -> ev.PeriodEnded:
        p = self.period
        assert p is not None
        assert p.end_reason is not None
        assert p.ended_on is not None
        team_visits = [v for v in self.visits.values() if v.kind in TEAM_VISITS]
        done = [v for v in team_visits if v.status == VisitStatus.COMPLETED]
        by_contact = sum(1 for v in done if p.contact_person_id and v.done_by == p.contact_person_id)
        return carry(
            ev.PeriodEnded,
            p,
            ref=self.ref,
            planned_end_date=p.end_date,
            reason=p.end_reason,
            visits_completed=len(done),
            visits_missed=sum(1 for v in team_visits if v.status == VisitStatus.MISSED),
            visits_cancelled=sum(1 for v in team_visits if v.status == VisitStatus.CANCELLED),
            distinct_staff=len({v.done_by for v in done if v.done_by}),
            contact_person_visits=by_contact,
            visit_minutes=sum(v.minutes for v in done),
            follow_up_call_planned=any(
                v.kind == VisitKind.FOLLOW_UP_CALL and v.status == VisitStatus.SCHEDULED for v in self.visits.values()
            ),
            at=now,
        )

    # --- timers -------------------------------------------------------------------------------

    def fire_due(self, now: datetime) -> list[object] | None:
        """Fire every timer due at `now`, in due order; None when nothing was due."""
        due = sorted((t for t in self.timers.values() if t.due_at <= now), key=lambda t: (t.due_at, t.kind, t.ref))
        if not due:
            return None
        events: list[object] = []
        for timer in due:
            key = timer_key(timer.kind, timer.ref)
            if key not in self.timers:
                continue  # removed by an earlier timer in this round (the period ended)
            del self.timers[key]
            events += self._fire(timer, now)
        return events

    def _fire(self, timer: Timer, now: datetime) -> list[object]:
        if timer.kind == CHECKLIST_TIMER:
            return self._checklist_overdue(now)
        if timer.kind == "period_end":
            if self.period is None:
                return []
            reason = self.period.end_reason_at_end
            if self.period.status == PeriodStatus.ON_HOLD:
                reason = EndReason.ENDED_EARLY
            return self.end_now(reason, now, ended_on=self.period.end_date)
        visit = self.visits.get(timer.ref)
        if visit is None or visit.status != VisitStatus.SCHEDULED or self.period is None:
            return []
        if timer.kind == "missed":
            visit.status = VisitStatus.MISSED
            grace = int((timer.due_at - visit.planned_start).total_seconds() // 60)
            return [
                ev.VisitMissed(
                    self.ref,
                    visit.visit_id,
                    visit.kind,
                    visit.staff_id,
                    visit.planned_start,
                    visit.planned_end,
                    max(0, grace),
                    now,
                )
            ]
        if timer.kind == "follow_up":
            return [
                ev.FollowUpDue(
                    self.ref,
                    visit.visit_id,
                    visit.kind,
                    FollowUp.MEETING if visit.kind == VisitKind.FOLLOW_UP_MEETING else FollowUp.CALL,
                    visit.planned_start,
                    visit.staff_id,
                    visit.officer_invited,
                    visit.location,
                )
            ]
        return []

    def _set_visit_timers(self, visit: Visit, team: Team, now: datetime) -> None:
        self._clear_visit_timers(visit.visit_id)
        if visit.status != VisitStatus.SCHEDULED:
            return
        rules = team.rules
        grace = timedelta(minutes=rules.missed_visit_grace_minutes)
        self.timers[timer_key("missed", visit.visit_id)] = Timer("missed", visit.visit_id, visit.planned_start + grace)
        if visit.kind in (VisitKind.FOLLOW_UP_MEETING, VisitKind.FOLLOW_UP_CALL):
            notice = visit.planned_start - timedelta(hours=rules.follow_up_notice_hours)
            self.timers[timer_key("follow_up", visit.visit_id)] = Timer("follow_up", visit.visit_id, max(notice, now))
        if visit.kind == VisitKind.HOMECOMING:
            self._sync_checklist_timer(now)

    def _clear_visit_timers(self, visit_id: str) -> None:
        self.timers.pop(timer_key("missed", visit_id), None)
        self.timers.pop(timer_key("follow_up", visit_id), None)
        if self._homecoming() is None:  # the homecoming began, or was cancelled: no checklist alert
            self._drop_checklist_timer()

    # --- the homecoming checklist's timer (the checklist itself: `checklist.py`) ------------------

    def _homecoming(self) -> Visit | None:
        """The homecoming visit still to be made."""
        return next(
            (v for v in self.visits.values() if v.kind == VisitKind.HOMECOMING and v.status == VisitStatus.SCHEDULED),
            None,
        )

    def _drop_checklist_timer(self) -> None:
        for key in [k for k, t in self.timers.items() if t.kind == CHECKLIST_TIMER]:
            del self.timers[key]

    def _sync_checklist_timer(self, now: datetime) -> None:
        """Arm the open-item alert for the homecoming's current time (kept when already armed for it)."""
        visit = self._homecoming()
        due = None if self.checklist is None or visit is None else self.checklist.due(visit.planned_start, now)
        if visit is None or due is None:
            self._drop_checklist_timer()
            return
        ref = f"{visit.visit_id}@{visit.planned_start.isoformat()}"
        if timer_key(CHECKLIST_TIMER, ref) in self.timers:
            return  # armed for this very time already (its due time does not drift with `now`)
        self._drop_checklist_timer()
        self.timers[timer_key(CHECKLIST_TIMER, ref)] = Timer(CHECKLIST_TIMER, ref, due)

    def _checklist_overdue(self, now: datetime) -> list[object]:
        visit, checklist = self._homecoming(), self.checklist
        if visit is None or checklist is None or checklist.due(visit.planned_start, now) is None:
            return []
        checklist.alerted_at = now
        open_items = tuple(s for s in item_states(checklist) if not s.done)
        deadline = checklist.deadline(visit.planned_start)
        return [
            ChecklistOverdue(
                self.ref, visit.visit_id, visit.planned_start, deadline, open_items, len(checklist.items), now
            )
        ]

    def _set_end_timer(self, calendar: Calendar) -> None:
        assert self.period is not None
        due = calendar.midnight(self.period.end_date + timedelta(days=1))
        self.timers["period_end"] = Timer("period_end", self.period.period_id, due)
