"""The case plan: one person's Trygg hemgång period, its visits and its timers (the aggregate).

Every change goes through a method that mutates the plan and returns the domain events it
caused (an empty list: a change without events; `None` from `fire_due`: nothing was due).
Timers live in the plan itself, so a timer fires in the same single-document write as its
effect: whoever saves first wins, the other writer reloads and finds nothing due.

`CasePlan` is built in layers, one module each: its values (`plan_values.py`), its state,
queries, timers and end (`plan_state.py`), the visits the period should have (`desired.py`),
the changes applied to visits and their staffing (`replan.py`), the field's work
(`field_work.py`); here the facts from referral and the decisions that plan, change and end it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduling.domain import events as ev
from scheduling.domain.checklist_work import ChecklistWork
from scheduling.domain.desired import desired
from scheduling.domain.field_work import FieldWork
from scheduling.domain.plan_values import (
    END_CANCELS,
    MIN_NOTICE,
    NAMESPACE,
    SINGLE_VISITS,
    DecisionChange,
    DecisionEnd,
    DecisionTerms,
    Period,
    PersonContact,
    PlanContext,
    PlanError,
    Spec,
    Timer,
    Visit,
    VisitNotes,
    VisitNotFound,
)
from scheduling.domain.staffing import Roster, choose_contact_person
from scheduling.domain.team import Team
from scheduling.domain.vocab import (
    TEAM_VISITS,
    CancelReason,
    ChangeReason,
    EndReason,
    PeriodChange,
    PeriodStatus,
    VisitStatus,
)

__all__ = [
    "MIN_NOTICE",
    "SINGLE_VISITS",
    "CasePlan",
    "DecisionChange",
    "DecisionEnd",
    "DecisionTerms",
    "Period",
    "PersonContact",
    "PlanContext",
    "PlanError",
    "Spec",
    "Timer",
    "Visit",
    "VisitNotFound",
    "VisitNotes",
    "continuity",
    "team_roster",
]


@dataclass
class CasePlan(FieldWork, ChecklistWork):
    """One case's plan: the facts from referral and the decisions that plan, change and end its period."""

    def record_contact(self, contact: PersonContact | None) -> None:
        if contact is not None:
            self.contact = contact

    def record_opened_at_home(self) -> None:
        self.at_home = True

    def record_ready(
        self, ready_at: datetime, planned_discharge_at: datetime | None, ctx: PlanContext | None
    ) -> list[object]:
        """A (new) ready notice: the plan leaves hold, and the homecoming follows the planned discharge."""
        self.ready_at = ready_at
        self.ready_revoked = False
        if planned_discharge_at is not None:
            self.planned_discharge_at = planned_discharge_at
        if self.period is None or ctx is None or self.discharged_at is not None:
            return []
        if self.period.status == PeriodStatus.ON_HOLD:
            return self._resume(ctx)
        if self.period.status in (PeriodStatus.PLANNED, PeriodStatus.ACTIVE) and planned_discharge_at is not None:
            return self._move_homecoming(ctx)
        return []

    def record_revoked(self, now: datetime) -> list[object]:
        """The ready notice was revoked: the plan waits (visits cancelled) until a new one."""
        self.ready_revoked = True
        if self.discharged_at is not None or self.period is None:
            return []
        if self.period.status not in (PeriodStatus.PLANNED, PeriodStatus.ACTIVE) or self.home_visit_done():
            return []
        return self._hold(now, CancelReason.READY_REVOKED)

    def record_discharged(
        self, at: datetime, going_home: bool, deceased: bool, ctx: PlanContext | None
    ) -> list[object]:
        self.discharged_at = at
        self.ready_revoked = False
        if self.period is None or self.period.status == PeriodStatus.ENDED or ctx is None:
            return []
        if deceased:
            return self.end_now(EndReason.DECEASED, ctx.now, ended_on=ctx.team.calendar.local_date(at))
        if not going_home:
            return self._hold(ctx.now, CancelReason.OTHER) if self.period.status != PeriodStatus.ON_HOLD else []
        if self.period.status == PeriodStatus.ON_HOLD:
            return self._resume(ctx)
        return self._move_homecoming(ctx)

    # --- decisions ------------------------------------------------------------------------------

    def record_decision(self, terms: DecisionTerms) -> bool:
        """Keep the granted decision's terms; False when it was ended already or is older."""
        if terms.decision_id in self.ended_decisions:
            return False
        if (
            self.decision
            and self.decision.decision_id == terms.decision_id
            and self.decision.terms_at >= terms.terms_at
        ):
            return False
        self.decision = terms
        return True

    def remember_change(self, change: DecisionChange) -> list[object] | None:
        """A change that overtook its grant: kept until the grant comes (None: known already)."""
        if change.decision_id in self.ended_decisions or change in self.early_changes:
            return None
        self.early_changes.append(change)
        return []

    def early_changes_of(self, decision_id: str) -> list[DecisionChange]:
        """The changes kept for a decision, in the order the officer made them."""
        return sorted((c for c in self.early_changes if c.decision_id == decision_id), key=lambda c: c.changed_at)

    def forget_early_changes(self, decision_id: str) -> list[object] | None:
        kept = [c for c in self.early_changes if c.decision_id != decision_id]
        if len(kept) == len(self.early_changes):
            return None
        self.early_changes = kept
        return []

    def pending_end(self, decision_id: str) -> DecisionEnd | None:
        """The end of a decision that came before its grant and is not applied yet."""
        if decision_id in self.ended_decisions:
            return None
        return self.decision_ends.get(decision_id)

    def period_days(self, team: Team, today: date) -> tuple[date, date]:
        """First and last day the decision asks for (the team's longest period when it gives none)."""
        assert self.decision is not None
        d = self.decision
        first = d.start_date or today
        if d.end_date is not None:
            last = d.end_date
        else:
            length = d.length_days or team.config.max_period_days
            last = first + timedelta(days=length - 1)
        return first, max(first, last)

    def mark_waiting(self, since: datetime) -> list[object]:
        if self.waiting_since is None:
            self.waiting_since = since
        return []

    def plan(self, ctx: PlanContext, *, first_day: date | None = None) -> list[object]:
        """Plan the period of the granted decision (idempotent: a second call changes nothing)."""
        d = self.decision
        if d is None or d.decision_id in self.ended_decisions:
            return []
        if self.period is not None and self.period.decision_id == d.decision_id:
            return []
        team, now = ctx.team, ctx.now
        today = team.calendar.local_date(now)
        first, last = self.period_days(team, today)
        if first_day is not None and first_day > first:
            first = first_day
        last = max(first, last)
        waited = (now - self.waiting_since).days if self.waiting_since else 0
        self.waiting_since = None
        roster = ctx.roster.copy()
        contact = choose_contact_person(team, roster, team.calendar.team_days(first, last))
        on_hold = self.ready_revoked and self.discharged_at is None and not self.at_home
        self.period = Period(
            period_id=str(uuid.uuid5(NAMESPACE, f"{self.case_id}/{d.decision_id}")),
            decision_id=d.decision_id,
            team_id=team.team_id,
            kind=d.kind,
            start_date=first,
            end_date=last,
            hours_granted=d.hours_granted,
            contact_person_id=contact,
            status=PeriodStatus.ON_HOLD if on_hold else PeriodStatus.PLANNED,
            planned_at=now,
            hemtjanst_by_decision=d.hemtjanst,
            waited_days=max(0, waited),
        )
        self._set_end_timer(team.calendar)
        opened = self.open_checklist(team.config.checklist, now)
        events: list[object] = []
        if not on_hold:
            events += self._apply(ctx, roster, desired(self, team, now, from_day=today), from_day=today)
        cover = [] if on_hold else self._cover_order(team, now, valid_from=now)
        planned = ev.PeriodPlanned(
            self.ref,
            d.decision_id,
            d.kind,
            first,
            last,
            d.hours_granted,
            contact,
            sum(1 for e in events if isinstance(e, ev.VisitScheduled)),
            self.period.status,
            bool(cover),
            waited,
            now,
        )
        return [planned, *events, *opened, *cover]

    def change_terms(self, terms: DecisionTerms, ctx: PlanContext) -> list[object]:
        """The decision changed: extend, shorten or change the hours; re-plan from today.

        A change that the decision's end overtook (newer than the terms applied, but handled
        after the end) is applied before the end, as in order: the end is undone, the change
        applied and the end applied again.
        """
        end = self._end_overtaking(terms)
        if end is not None:
            return self._change_before_end(terms, end, ctx)
        if not self.record_decision(terms):
            return []
        p = self.period
        if p is None or p.decision_id != terms.decision_id or p.status == PeriodStatus.ENDED:
            return []
        team, now = ctx.team, ctx.now
        today = team.calendar.local_date(now)
        _, new_last = self.period_days(team, today)
        new_last = max(new_last, p.start_date)
        change = (
            PeriodChange.EXTENDED
            if new_last > p.end_date
            else PeriodChange.SHORTENED
            if new_last < p.end_date
            else PeriodChange.HOURS_CHANGED
            if terms.hours_granted != p.hours_granted
            else PeriodChange.OTHER
        )
        if new_last < today:
            return self.end_now(EndReason.ENDED_EARLY, now, ended_on=new_last)
        p.end_date, p.hours_granted, p.hemtjanst_by_decision = new_last, terms.hours_granted, terms.hemtjanst
        self._set_end_timer(team.calendar)
        events = self._replan_changed(ctx)
        changed = self._period_changed(change, now)
        cover = [] if p.status == PeriodStatus.ON_HOLD else self._cover_order(team, now, valid_from=now)
        return [changed, *events, *cover]

    def end_decision(
        self, decision_id: str, end_date: date, reason: EndReason, ctx: PlanContext | None
    ) -> list[object] | None:
        """The decision ended: end the period now (readmitted, deceased, cancelled, past end date)
        or shorten it to its new last day. `ctx` None: the plan has no team (no period yet).

        An end that overtook its grant is kept (`decision_ends`) and applied once the grant has
        planned the period, so that the end state is the one of in-order delivery. An end of a
        granted decision that is not planned (waiting) closes it: it is never planned.
        None: nothing changed (the end was known already).
        """
        if decision_id in self.ended_decisions:
            return None
        end = DecisionEnd(end_date, reason)
        if self.decision is None or self.decision.decision_id != decision_id:
            if self.decision_ends.get(decision_id) == end:
                return None
            self.decision_ends[decision_id] = end
            return []
        self.decision_ends[decision_id] = end
        self.ended_decisions.append(decision_id)
        p = self.period
        if p is None or p.decision_id != decision_id:
            self.waiting_since = None
            return []
        if p.status == PeriodStatus.ENDED:
            return []
        assert ctx is not None, "a planned period is ended within its team's context"
        today = ctx.team.calendar.local_date(ctx.now)
        before_start = end_date < p.start_date  # the period never began: it ends with 0 days
        if reason == EndReason.ENDED_EARLY and end_date >= today and not before_start and self.decision is not None:
            return self._shorten(end_date, ctx)
        return self.end_now(reason, ctx.now, ended_on=min(end_date, today))

    def _shorten(self, end_date: date, ctx: PlanContext) -> list[object]:
        """The officer ended the decision early to a later day: the period ends then."""
        p = self.period
        assert p is not None
        p.end_date = max(end_date, p.start_date)
        p.end_reason_at_end = EndReason.ENDED_EARLY
        self._set_end_timer(ctx.team.calendar)
        events = self._replan_changed(ctx)
        return [self._period_changed(PeriodChange.SHORTENED, ctx.now), *events]

    def _replan_changed(self, ctx: PlanContext) -> list[object]:
        """The period's terms changed: re-plan from today (nothing while it is on hold)."""
        assert self.period is not None
        if self.period.status == PeriodStatus.ON_HOLD:
            return []
        return self._replan(ctx, reason=ChangeReason.DECISION_CHANGED, cancel=CancelReason.PERIOD_SHORTENED)

    def _end_overtaking(self, terms: DecisionTerms) -> DecisionEnd | None:
        """The applied end of `terms`' decision when `terms` are newer than the ones it ended with."""
        p, d = self.period, self.decision
        end = self.decision_ends.get(terms.decision_id)
        if (
            end is None
            or terms.decision_id not in self.ended_decisions
            or d is None
            or d.decision_id != terms.decision_id
            or d.terms_at >= terms.terms_at
            or p is None
            or p.decision_id != terms.decision_id
        ):
            return None
        if p.status == PeriodStatus.ENDED and (p.end_reason != end.reason or p.status_before_end is None):
            return None  # ended otherwise (its own end date, hours used): not the decision's end
        return end

    def _change_before_end(self, terms: DecisionTerms, end: DecisionEnd, ctx: PlanContext) -> list[object]:
        p = self.period
        assert p is not None
        decision_id = terms.decision_id
        restored: set[str] = set()
        if p.status == PeriodStatus.ENDED:
            assert p.status_before_end is not None
            for v in self.visits.values():
                if v.status == VisitStatus.CANCELLED and v.cancel_reason in END_CANCELS:
                    v.status, v.cancel_reason = VisitStatus.SCHEDULED, None
                    self._set_visit_timers(v, ctx.team, ctx.now)
                    restored.add(v.visit_id)
            p.status, p.status_before_end = p.status_before_end, None
            p.ended_on, p.end_reason = None, None
            self._set_end_timer(ctx.team.calendar)
        self.ended_decisions.remove(decision_id)
        events = self.change_terms(terms, ctx)
        events += self.end_decision(decision_id, end.end_date, end.reason, ctx) or []
        # Visits the end had cancelled already are not announced again.
        return [
            e
            for e in events
            if not (isinstance(e, (ev.VisitCancelled, ev.VisitRescheduled)) and e.visit_id in restored)
        ]

    def readmitted(self, now: datetime, today: date) -> list[object]:
        if self.period is None or self.period.status == PeriodStatus.ENDED:
            return []
        return self.end_now(EndReason.READMITTED, now, ended_on=today)


def team_roster(plans: Iterable[CasePlan], *, excluding: str | None = None) -> Roster:
    """The team's roster from its active plans (the plan being changed left out)."""
    roster = Roster()
    for plan in plans:
        if plan.case_id != excluding:
            plan.add_to(roster)
    return roster


def continuity(plans: Iterable[CasePlan]) -> tuple[float, float]:
    """Average distinct staff per client and share of visits by the contact person (planned or made)."""
    distinct: list[int] = []
    by_contact = total = 0
    for plan in plans:
        if plan.period is None:
            continue
        staffed = [
            v
            for v in plan.visits.values()
            if v.kind in TEAM_VISITS and v.status in (VisitStatus.SCHEDULED, VisitStatus.COMPLETED, VisitStatus.STARTED)
        ]
        who = [v.done_by or v.staff_id for v in staffed]
        distinct.append(len({w for w in who if w}))
        total += len(who)
        by_contact += sum(1 for w in who if w and w == plan.period.contact_person_id)
    return (sum(distinct) / len(distinct) if distinct else 0.0, by_contact / total if total else 0.0)
