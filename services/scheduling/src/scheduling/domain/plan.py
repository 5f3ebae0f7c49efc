"""The case plan: one person's Trygg hemgång period, its visits and its timers (the aggregate).

Every change goes through a method that mutates the plan and returns the domain events it
caused (an empty list: a change without events; `None` from `fire_due`: nothing was due).
Timers live in the plan itself, so a timer fires in the same single-document write as its
effect: whoever saves first wins, the other writer reloads and finds nothing due.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from scheduling.domain import events as ev
from scheduling.domain.calendar import Calendar
from scheduling.domain.staffing import (
    Busy,
    Place,
    Roster,
    TravelTime,
    VisitRequest,
    assign,
    candidate_order,
    choose_contact_person,
)
from scheduling.domain.team import Team
from scheduling.domain.vocab import (
    HOME_VISITS,
    TEAM_VISITS,
    CancelReason,
    ChangeReason,
    EndReason,
    FollowUp,
    Location,
    PeriodChange,
    PeriodKind,
    PeriodStatus,
    RatingMoment,
    SupportLevel,
    Trend,
    VisitKind,
    VisitStatus,
)

_NAMESPACE = uuid.UUID("6b7f0a52-3c1e-4f59-9a63-5d2c8e1f4b70")
# Visits are never planned in the past: a visit planned for today starts at least this long after
# it is planned (the member is told and travels), on a quarter hour. A visit that no longer fits
# in today's working hours goes to the next team day instead (there it replaces that day's daily
# visit); a daily visit or a hospital visit that no longer fits today is simply not planned.
MIN_NOTICE = timedelta(minutes=60)
SINGLE_VISITS = frozenset(
    {
        VisitKind.HOSPITAL_VISIT,
        VisitKind.HOMECOMING,
        VisitKind.FOLLOW_UP_MEETING,
        VisitKind.HANDOVER,
        VisitKind.FOLLOW_UP_CALL,
    }
)


class PlanError(Exception):
    """A request that conflicts with the plan's state (answered 409)."""


class VisitNotFound(LookupError):
    """No such visit in this case's plan."""


# --- value objects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonContact:
    """Name, address and phone for the team's visits (personal data: reads are audited)."""

    given_name: str
    family_name: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class DecisionTerms:
    decision_id: str
    kind: PeriodKind
    start_date: date | None
    end_date: date | None
    length_days: int | None
    team: str | None
    hours_granted: float | None
    hemtjanst: bool
    terms_at: datetime

    def changed_by(self, change: DecisionChange) -> DecisionTerms:
        """The terms after a change (a change names no length or hours: those stay)."""
        return replace(
            self,
            end_date=change.end_date,
            length_days=change.length_days or self.length_days,
            hours_granted=change.hours_granted if change.hours_granted is not None else self.hours_granted,
            hemtjanst=change.hemtjanst,
            terms_at=change.changed_at,
        )


@dataclass(frozen=True)
class DecisionChange:
    """New terms for a granted decision, as the officer changed them."""

    decision_id: str
    length_days: int | None
    end_date: date | None
    hours_granted: float | None
    hemtjanst: bool
    changed_at: datetime


@dataclass(frozen=True)
class DecisionEnd:
    """How a decision ended: its last day and why."""

    end_date: date
    reason: EndReason


@dataclass(frozen=True)
class VisitNotes:
    """What the team noted at a visit: coded areas, aids, worry (1-5) and free text (stays here)."""

    food: SupportLevel = SupportLevel.NOT_ASSESSED
    medicines: SupportLevel = SupportLevel.NOT_ASSESSED
    personal_care: SupportLevel = SupportLevel.NOT_ASSESSED
    aids_in_use: tuple[str, ...] = ()
    aids_missing: tuple[str, ...] = ()
    worry: int | None = None
    suggested_visits_per_day: int | None = None
    free_text: str | None = None


@dataclass
class Visit:
    visit_id: str
    kind: VisitKind
    day: date
    planned_start: datetime
    planned_end: datetime
    location: Location
    staff_id: str | None
    status: VisitStatus = VisitStatus.SCHEDULED
    officer_invited: bool = False
    with_hemtjanst: bool = False
    started_at: datetime | None = None
    ended_at: datetime | None = None
    done_by: str | None = None
    notes: VisitNotes | None = None
    self_rating: ev.SelfRating | None = None
    rating_moment: RatingMoment | None = None
    cancel_reason: CancelReason | None = None

    @property
    def minutes(self) -> int:
        if self.started_at is None or self.ended_at is None:
            return 0
        return max(0, math.floor((self.ended_at - self.started_at).total_seconds() / 60 + 0.5))


@dataclass
class Period:
    period_id: str
    decision_id: str
    team_id: str
    kind: PeriodKind
    start_date: date
    end_date: date
    hours_granted: float | None
    contact_person_id: str | None
    status: PeriodStatus
    planned_at: datetime
    hemtjanst_by_decision: bool
    waited_days: int = 0
    ended_on: date | None = None
    end_reason: EndReason | None = None
    end_reason_at_end: EndReason = EndReason.COMPLETED  # ended_early when the officer ended it to a later day
    status_before_end: PeriodStatus | None = None  # to replay a change that the end overtook


@dataclass
class Timer:
    kind: str  # "missed", "follow_up" or "period_end"
    ref: str
    due_at: datetime


@dataclass(frozen=True)
class Spec:
    """A visit the plan wants on a day (before staffing)."""

    kind: VisitKind
    day: date
    preferred: datetime
    minutes: int
    flex_minutes: int
    location: Location
    officer_invited: bool = False
    with_hemtjanst: bool = False
    not_before: datetime | None = None  # a visit today: not before now + MIN_NOTICE


@dataclass
class PlanContext:
    """What planning needs beyond the plan: the team, who is busy when, travel time, now."""

    team: Team
    roster: Roster
    travel: TravelTime
    now: datetime


# --- the aggregate ----------------------------------------------------------------------------


@dataclass
class CasePlan:
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
            if v.staff_id and v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED):
                roster.add(v.staff_id, v.day, Busy(v.planned_start, v.planned_end, self.place, v.visit_id))
        if self.period and self.period.status != PeriodStatus.ENDED and self.period.contact_person_id:
            roster.contacts[self.period.contact_person_id] += 1

    # --- facts from referral --------------------------------------------------------------------

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
        if self.period.status not in (PeriodStatus.PLANNED, PeriodStatus.ACTIVE) or self._home_visit_done():
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
            period_id=str(uuid.uuid5(_NAMESPACE, f"{self.case_id}/{d.decision_id}")),
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
        events: list[object] = []
        if not on_hold:
            events += self._apply(ctx, roster, self._desired(team, now, from_day=today), from_day=today)
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
        return [planned, *events, *cover]

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
        events: list[object] = []
        if p.status != PeriodStatus.ON_HOLD:
            events += self._apply(
                ctx,
                ctx.roster.copy(),
                self._desired(team, now, from_day=today),
                from_day=today,
                reason=ChangeReason.DECISION_CHANGED,
                cancel=CancelReason.PERIOD_SHORTENED,
            )
        changed = ev.PeriodChanged(
            self.ref, change, p.status, p.start_date, p.end_date, p.hours_granted, p.contact_person_id, now
        )
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
            p.end_date = max(end_date, p.start_date)
            p.end_reason_at_end = EndReason.ENDED_EARLY
            self._set_end_timer(ctx.team.calendar)
            events: list[object] = []
            if p.status != PeriodStatus.ON_HOLD:
                events += self._apply(
                    ctx,
                    ctx.roster.copy(),
                    self._desired(ctx.team, ctx.now, from_day=today),
                    from_day=today,
                    reason=ChangeReason.DECISION_CHANGED,
                    cancel=CancelReason.PERIOD_SHORTENED,
                )
            changed = ev.PeriodChanged(
                self.ref,
                PeriodChange.SHORTENED,
                p.status,
                p.start_date,
                p.end_date,
                p.hours_granted,
                p.contact_person_id,
                ctx.now,
            )
            return [changed, *events]
        return self.end_now(reason, ctx.now, ended_on=min(end_date, today))

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
                if v.status == VisitStatus.CANCELLED and v.cancel_reason in _END_CANCELS:
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
        return ev.PeriodEnded(
            ref=self.ref,
            decision_id=p.decision_id,
            kind=p.kind,
            start_date=p.start_date,
            planned_end_date=p.end_date,
            ended_on=p.ended_on,
            reason=p.end_reason,
            visits_completed=len(done),
            visits_missed=sum(1 for v in team_visits if v.status == VisitStatus.MISSED),
            visits_cancelled=sum(1 for v in team_visits if v.status == VisitStatus.CANCELLED),
            distinct_staff=len({v.done_by for v in done if v.done_by}),
            contact_person_id=p.contact_person_id,
            contact_person_visits=by_contact,
            visit_minutes=sum(v.minutes for v in done),
            hours_granted=p.hours_granted,
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
            key = _timer_key(timer.kind, timer.ref)
            if key not in self.timers:
                continue  # removed by an earlier timer in this round (the period ended)
            del self.timers[key]
            if timer.kind == "missed":
                visit = self.visits.get(timer.ref)
                if visit is not None and visit.status == VisitStatus.SCHEDULED and self.period is not None:
                    visit.status = VisitStatus.MISSED
                    grace = int((timer.due_at - visit.planned_start).total_seconds() // 60)
                    events.append(
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
                    )
            elif timer.kind == "follow_up":
                visit = self.visits.get(timer.ref)
                if visit is not None and visit.status == VisitStatus.SCHEDULED and self.period is not None:
                    events.append(
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
                    )
            elif timer.kind == "period_end" and self.period is not None:
                reason = self.period.end_reason_at_end
                if self.period.status == PeriodStatus.ON_HOLD:
                    reason = EndReason.ENDED_EARLY
                events += self.end_now(reason, now, ended_on=self.period.end_date)
        return events

    def _set_visit_timers(self, visit: Visit, team: Team, now: datetime) -> None:
        self._clear_visit_timers(visit.visit_id)
        if visit.status != VisitStatus.SCHEDULED:
            return
        rules = team.rules
        grace = timedelta(minutes=rules.missed_visit_grace_minutes)
        self.timers[_timer_key("missed", visit.visit_id)] = Timer("missed", visit.visit_id, visit.planned_start + grace)
        if visit.kind in (VisitKind.FOLLOW_UP_MEETING, VisitKind.FOLLOW_UP_CALL):
            notice = visit.planned_start - timedelta(hours=rules.follow_up_notice_hours)
            self.timers[_timer_key("follow_up", visit.visit_id)] = Timer("follow_up", visit.visit_id, max(notice, now))

    def _clear_visit_timers(self, visit_id: str) -> None:
        self.timers.pop(_timer_key("missed", visit_id), None)
        self.timers.pop(_timer_key("follow_up", visit_id), None)

    def _set_end_timer(self, calendar: Calendar) -> None:
        assert self.period is not None
        due = calendar.midnight(self.period.end_date + timedelta(days=1))
        self.timers["period_end"] = Timer("period_end", self.period.period_id, due)

    # --- the field ----------------------------------------------------------------------------

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
        if visit.status == VisitStatus.COMPLETED:
            if visit.ended_at == ended_at and visit.done_by == staff_id:
                return None  # a retry of the same completion
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
        if (
            used is not None
            and p.hours_granted is not None
            and used >= p.hours_granted * 60
            and p.status != PeriodStatus.ENDED
        ):
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

    def restaff_day(
        self, day: date, absent_staff_id: str, ctx: PlanContext, roster: Roster
    ) -> tuple[list[object], int, int, int]:
        """A member is away on `day`: give their visits to others, keeping continuity where possible.

        `roster` is the team's (shared across the cases re-planned in one go, updated here).
        Returns events, visits reassigned, left unstaffed, and reassigned to someone the client had met.
        """
        events: list[object] = []
        moved = unstaffed = kept = 0
        p = self.period
        if p is None:
            return events, 0, 0, 0
        for visit in self.ordered_visits():
            if visit.day != day or visit.staff_id != absent_staff_id or visit.status != VisitStatus.SCHEDULED:
                continue
            roster.remove(visit.visit_id)
            met = self.met()
            met.pop(absent_staff_id, None)
            contact = p.contact_person_id if p.contact_person_id != absent_staff_id else None
            order = candidate_order(ctx.team, roster, day, contact, met, exclude=[absent_staff_id])
            duration = visit.planned_end - visit.planned_start
            flex = timedelta(minutes=_flex_minutes(visit.kind))
            request = VisitRequest(visit.visit_id, day, visit.planned_start, duration, flex, self.place)
            chosen, start = assign(ctx.team, roster, request, order, ctx.travel)
            previous_start, previous_staff = visit.planned_start, visit.staff_id
            if chosen is None:
                unstaffed += 1
                visit.staff_id = None
                events.append(
                    ev.VisitReassigned(
                        self.ref,
                        visit.visit_id,
                        visit.kind,
                        visit.planned_start,
                        previous_staff,
                        None,
                        False,
                        ChangeReason.SICK_CALL,
                    )
                )
                continue
            moved += 1
            if met[chosen] > 0 or chosen == p.contact_person_id:
                kept += 1
            visit.staff_id = chosen
            by_contact = chosen == p.contact_person_id
            if start != previous_start:
                visit.planned_start, visit.planned_end = start, start + duration
                self._set_visit_timers(visit, ctx.team, ctx.now)
                events.append(
                    ev.VisitRescheduled(
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
                )
            else:
                events.append(
                    ev.VisitReassigned(
                        self.ref,
                        visit.visit_id,
                        visit.kind,
                        start,
                        previous_staff,
                        chosen,
                        by_contact,
                        ChangeReason.SICK_CALL,
                    )
                )
        return events, moved, unstaffed, kept

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

    # --- planning internals ---------------------------------------------------------------------

    def _home_visit_done(self) -> bool:
        return any(
            v.kind in HOME_VISITS and v.status in (VisitStatus.COMPLETED, VisitStatus.STARTED)
            for v in self.visits.values()
        )

    def _arrival(self, team: Team) -> datetime | None:
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

    def _desired(self, team: Team, now: datetime, *, from_day: date) -> list[Spec]:
        """The visits the period should have from `from_day` on, by the team's rules."""
        p = self.period
        assert p is not None
        cal, rules = team.calendar, team.rules
        today = cal.local_date(now)
        specs: list[Spec] = []
        arrival = self._arrival(team)
        if arrival is not None and cal.local_date(arrival) < p.start_date:
            arrival = None  # discharged before the period: home on its first day
        first_home_day = max(p.start_date, cal.local_date(arrival) if arrival else p.start_date)
        # Hospital visit: on a team day shortly before discharge, while the person is still in hospital.
        if rules.hospital_visit and not self.at_home and self.discharged_at is None:
            not_before = max(today, p.start_date - timedelta(days=3))
            day = cal.previous_team_day(first_home_day - timedelta(days=1), not_before=not_before)
            window = cal.window(day) if day else None
            if day is not None and window is not None:
                preferred = window.start + timedelta(hours=3)
                specs.append(
                    Spec(VisitKind.HOSPITAL_VISIT, day, preferred, rules.hospital_visit_minutes, 240, Location.HOSPITAL)
                )
        # Homecoming: when the person arrives, or the team's next working time.
        home_day: date | None = None
        preferred_home: datetime | None = None
        if arrival is not None:
            day = cal.local_date(arrival)
            window = cal.window(day)
            if window is not None and arrival + timedelta(minutes=rules.homecoming_minutes) <= window.end:
                home_day, preferred_home = day, max(arrival, window.start)
            else:
                later = cal.next_team_day(day + timedelta(days=1) if window is None or arrival >= window.start else day)
                if later is not None and (w := cal.window(later)) is not None:
                    home_day, preferred_home = later, w.start
        else:
            day_found = cal.next_team_day(first_home_day)
            if day_found is not None and (w := cal.window(day_found)) is not None:
                moment = rules.daily_visit_time if self.at_home or self.discharged_at else rules.default_arrival
                home_day = day_found
                preferred_home = min(
                    max(cal.at(day_found, moment), w.start), w.end - timedelta(minutes=rules.homecoming_minutes)
                )
        if home_day is not None and preferred_home is not None and home_day <= p.end_date:
            specs.append(
                Spec(VisitKind.HOMECOMING, home_day, preferred_home, rules.homecoming_minutes, 60, Location.HOME)
            )
            later_days = cal.team_days(home_day + timedelta(days=1), p.end_date)
        else:
            later_days = cal.team_days(first_home_day, p.end_date)
        handover_target = p.end_date - timedelta(days=rules.handover_days_before_end)
        handover_day = next(
            (d for d in reversed(later_days) if d <= handover_target), later_days[-1] if later_days else None
        )
        meeting_target = p.start_date + timedelta(days=rules.follow_up_meeting_day - 1)
        meeting_day = next((d for d in later_days if d >= meeting_target and d != handover_day), None)
        if meeting_day is None:
            meeting_day = next((d for d in reversed(later_days) if d != handover_day), None)
        essential: list[Spec] = []
        daily: list[Spec] = []
        for d in later_days:
            window = cal.window(d)
            assert window is not None
            kind, minutes, flex = VisitKind.DAILY, rules.daily_visit_minutes, 12 * 60
            if d == handover_day:
                kind, minutes, flex = VisitKind.HANDOVER, rules.handover_minutes, 12 * 60
            elif d == meeting_day:
                kind, minutes, flex = VisitKind.FOLLOW_UP_MEETING, rules.follow_up_meeting_minutes, 12 * 60
            preferred = min(
                max(cal.at(d, rules.daily_visit_time), window.start), window.end - timedelta(minutes=minutes)
            )
            spec = Spec(
                kind,
                d,
                preferred,
                minutes,
                flex,
                Location.HOME,
                officer_invited=kind == VisitKind.FOLLOW_UP_MEETING,
                with_hemtjanst=kind == VisitKind.HANDOVER,
            )
            (daily if kind == VisitKind.DAILY else essential).append(spec)
        if p.kind == PeriodKind.HOURS_POT and p.hours_granted is not None:
            # A pot of hours: the essential visits first, then daily visits while hours remain.
            budget = p.hours_granted * 60 - self.minutes_used()
            budget -= sum(
                v.planned_end.timestamp() / 60 - v.planned_start.timestamp() / 60
                for v in self.visits.values()
                if v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED)
                and v.kind in HOME_VISITS
                and v.day < from_day
            )
            chosen: list[Spec] = []
            for spec in [s for s in specs if s.kind == VisitKind.HOMECOMING] + essential + daily:
                if spec.minutes <= budget:
                    chosen.append(spec)
                    budget -= spec.minutes
            specs = [s for s in specs if s.kind == VisitKind.HOSPITAL_VISIT] + chosen
        else:
            specs += essential + daily
        call_day = cal.next_team_day(p.end_date + timedelta(days=rules.follow_up_call_days_after))
        if call_day is not None and (w := cal.window(call_day)) is not None:
            preferred = min(
                max(cal.at(call_day, time(13, 0)), w.start), w.end - timedelta(minutes=rules.follow_up_call_minutes)
            )
            specs.append(
                Spec(
                    VisitKind.FOLLOW_UP_CALL, call_day, preferred, rules.follow_up_call_minutes, 12 * 60, Location.PHONE
                )
            )
        wanted = sorted((s for s in specs if s.day >= from_day), key=lambda s: (s.day, s.preferred))
        return self._not_in_the_past(team, now, wanted)

    def _not_in_the_past(self, team: Team, now: datetime, specs: list[Spec]) -> list[Spec]:
        """Today's visits start after now + MIN_NOTICE, or move to the next team day (see MIN_NOTICE).

        A visit already planned for today (of that kind) is left as it is: re-planning never
        moves or cancels a visit that is due or under way; its missed-visit check stays honest.
        """
        p = self.period
        assert p is not None
        cal = team.calendar
        today = cal.local_date(now)
        earliest = _quarter_hour_up(now + MIN_NOTICE)
        planned = {
            (v.kind, v.day)
            for v in self.visits.values()
            if v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED, VisitStatus.COMPLETED)
        }
        out: list[Spec] = []
        moved_to: set[date] = set()
        for s in specs:
            if s.day != today or (s.kind, s.day) in planned:
                out.append(s)
                continue
            window = cal.window(s.day)
            if window is not None and earliest + timedelta(minutes=s.minutes) <= window.end:
                out.append(replace(s, preferred=max(s.preferred, earliest), not_before=earliest))
                continue
            if s.kind in (VisitKind.DAILY, VisitKind.HOSPITAL_VISIT):
                continue  # the next day has its own daily visit; the hospital visit is too late
            day = cal.next_team_day(s.day + timedelta(days=1))
            w = cal.window(day) if day is not None else None
            if day is None or w is None or (day > p.end_date and s.kind != VisitKind.FOLLOW_UP_CALL):
                continue
            preferred = min(
                max(cal.at(day, cal.local_time(s.preferred)), w.start), w.end - timedelta(minutes=s.minutes)
            )
            out.append(replace(s, day=day, preferred=preferred))
            moved_to.add(day)
        out = [s for s in out if not (s.kind == VisitKind.DAILY and s.day in moved_to)]
        return sorted(out, key=lambda s: (s.day, s.preferred))

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
        p = self.period
        assert p is not None
        team, now = ctx.team, ctx.now
        open_visits = [v for v in self.ordered_visits() if v.status == VisitStatus.SCHEDULED and v.day >= from_day]
        # This plan's own visits that stay where they are take their members' time too.
        for v in self.visits.values():
            if v.staff_id and v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED):
                roster.remove(v.visit_id)
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
        events: list[object] = []
        for v in unmatched:
            events.append(self._cancel(v, cancel, "system", now))
        moving: list[tuple[Spec, Visit]] = []
        for spec, v in keep:
            moved = v.day != spec.day or (
                v.kind == VisitKind.HOMECOMING and abs(v.planned_start - spec.preferred) > timedelta(minutes=15)
            )
            if moved:
                moving.append((spec, v))
            elif v.staff_id:
                roster.add(v.staff_id, v.day, Busy(v.planned_start, v.planned_end, self.place, v.visit_id))
        for v in self.visits.values():
            if v.staff_id and v.status == VisitStatus.STARTED:
                roster.add(v.staff_id, v.day, Busy(v.planned_start, v.planned_end, self.place, v.visit_id))
        for spec, v in sorted(moving, key=lambda sv: sv[0].preferred):
            previous = v.planned_start
            staff, start = self._staff(ctx, roster, spec, v.visit_id, prefer=v.staff_id)
            v.day, v.planned_start, v.planned_end, v.staff_id = (
                spec.day,
                start,
                start + timedelta(minutes=spec.minutes),
                staff,
            )
            self._set_visit_timers(v, team, now)
            events.append(
                ev.VisitRescheduled(
                    self.ref,
                    v.visit_id,
                    v.kind,
                    previous,
                    v.planned_start,
                    v.planned_end,
                    staff,
                    staff is not None and staff == p.contact_person_id,
                    reason,
                )
            )
        for spec in sorted(new, key=lambda s: s.preferred):
            self.visit_counter += 1
            visit_id = str(uuid.uuid5(_NAMESPACE, f"{self.case_id}/visit/{self.visit_counter}"))
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
            self._set_visit_timers(visit, team, now)
            events.append(
                ev.VisitScheduled(
                    self.ref,
                    visit_id,
                    spec.kind,
                    visit.planned_start,
                    visit.planned_end,
                    spec.location,
                    staff,
                    staff is not None and staff == p.contact_person_id,
                    spec.officer_invited,
                    spec.with_hemtjanst,
                )
            )
        return events

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

    def _cancel(self, visit: Visit, reason: CancelReason, by: str, now: datetime) -> ev.VisitCancelled:
        visit.status, visit.cancel_reason = VisitStatus.CANCELLED, reason
        self._clear_visit_timers(visit.visit_id)
        return ev.VisitCancelled(self.ref, visit.visit_id, visit.kind, visit.planned_start, reason, by, now)

    def _hold(self, now: datetime, reason: CancelReason) -> list[object]:
        p = self.period
        assert p is not None
        events: list[object] = [
            self._cancel(v, reason, "system", now) for v in self.ordered_visits() if v.status == VisitStatus.SCHEDULED
        ]
        p.status = PeriodStatus.ON_HOLD
        events.append(
            ev.PeriodChanged(
                self.ref,
                PeriodChange.PUT_ON_HOLD,
                p.status,
                p.start_date,
                p.end_date,
                p.hours_granted,
                p.contact_person_id,
                now,
            )
        )
        return events

    def _resume(self, ctx: PlanContext) -> list[object]:
        p = self.period
        assert p is not None
        today = ctx.team.calendar.local_date(ctx.now)
        p.status = PeriodStatus.PLANNED
        events: list[object] = [
            ev.PeriodChanged(
                self.ref,
                PeriodChange.RESUMED,
                p.status,
                p.start_date,
                p.end_date,
                p.hours_granted,
                p.contact_person_id,
                ctx.now,
            )
        ]
        events += self._apply(
            ctx,
            ctx.roster.copy(),
            self._desired(ctx.team, ctx.now, from_day=today),
            from_day=today,
            reason=ChangeReason.RESUMED,
        )
        events += self._cover_order(ctx.team, ctx.now, valid_from=ctx.now)
        return events

    def _move_homecoming(self, ctx: PlanContext) -> list[object]:
        p = self.period
        assert p is not None
        if self._home_visit_done():
            return []
        today = ctx.team.calendar.local_date(ctx.now)
        events = self._apply(
            ctx,
            ctx.roster.copy(),
            self._desired(ctx.team, ctx.now, from_day=today),
            from_day=today,
            reason=ChangeReason.DISCHARGE_TIME,
        )
        if any(isinstance(e, ev.VisitRescheduled) and e.kind == VisitKind.HOMECOMING for e in events):
            events.insert(
                0,
                ev.PeriodChanged(
                    self.ref,
                    PeriodChange.HOMECOMING_MOVED,
                    p.status,
                    p.start_date,
                    p.end_date,
                    p.hours_granted,
                    p.contact_person_id,
                    ctx.now,
                ),
            )
            events += self._cover_order(ctx.team, ctx.now, valid_from=ctx.now)
        return events

    def _cover_order(self, team: Team, now: datetime, *, valid_from: datetime) -> list[object]:
        """Hemtjänst's share: every stretch from arrival (or now) to the period's end the team does not cover."""
        p = self.period
        assert p is not None
        cal = team.calendar
        start = max(valid_from, self._arrival(team) or cal.midnight(p.start_date), cal.midnight(p.start_date))
        end = cal.midnight(p.end_date + timedelta(days=1))
        spans = cal.cover_spans(start, end) if start < end else []
        if not spans:
            return []
        order_id = str(uuid.uuid5(_NAMESPACE, f"{self.case_id}/cover/{valid_from.isoformat()}"))
        windows = tuple(ev.CoverWindow(s.start, s.end, s.reason) for s in spans)
        return [ev.HemtjanstCoverOrdered(self.ref, order_id, valid_from, windows, p.hemtjanst_by_decision, now)]


_END_CANCELS = frozenset(
    {CancelReason.PERIOD_ENDED, CancelReason.READMITTED, CancelReason.DECEASED, CancelReason.HOURS_USED}
)


def _quarter_hour_up(moment: datetime) -> datetime:
    minutes = math.ceil((moment.timestamp() / 60) / 15) * 15
    return datetime.fromtimestamp(minutes * 60, tz=moment.tzinfo)


def _timer_key(kind: str, ref: str) -> str:
    return "period_end" if kind == "period_end" else f"{kind}:{ref}"


def _flex_minutes(kind: VisitKind) -> int:
    return 60 if kind in (VisitKind.HOMECOMING, VisitKind.HOSPITAL_VISIT) else 12 * 60


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
