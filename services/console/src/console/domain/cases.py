"""One case as the console shows it: a pure fold of every fact recorded about it.

`fold_case` sorts the recorded facts (event time, producer, sequence, event id) and applies them
one by one. The same set of facts always gives the same `CaseState`, whatever order they
arrived in and however often: that is what makes the console's consumers idempotent and lets
them apply reordered ("stale") events instead of dropping them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from console.domain.checklist import ChecklistChanged, ChecklistState, apply_checklist
from console.domain.facts import (
    AdmissionNoticed,
    CaseFact,
    CaseOpened,
    DecisionChanged,
    DecisionEnded,
    DecisionGranted,
    Discharged,
    Grant,
    HandedOver,
    HemtjanstCoverOrdered,
    MessageCancelled,
    NeedsSummary,
    PeriodChanged,
    PeriodEnded,
    PeriodPlanned,
    PersonNamed,
    PlanningReceived,
    ReadyNoticed,
    ReadyRevoked,
    Recorded,
    SelfRating,
    TeamCapacityExceeded,
    VisitFact,
    WaitingListChanged,
)
from console.domain.sip import SipChanged, SipLapsed, SipLine, fold_sip
from console.domain.timeline import TimelineEntry, timeline
from console.domain.visits import VisitState, VisitStatus, fold_visit
from trygg_shared.carry import carry

# The timeline (its own module) is part of what a case offers its readers.
__all__ = [
    "BOARD_STATUSES",
    "CONTINUITY_EXCLUDED_KINDS",
    "NOT_GRANTED",
    "SERVICE_DECISIONS",
    "CaseState",
    "CaseStatus",
    "Decision",
    "DecisionState",
    "Period",
    "TimelineEntry",
    "Waiting",
    "fold_case",
    "timeline",
]


class CaseStatus(StrEnum):
    PLANNING = "planning"  # admission notice or planning information; not ready for discharge yet
    READY = "ready"  # utskrivningsklar: the payment clock runs
    READY_REVOKED = "ready_revoked"  # the clock stopped; back to planning
    DISCHARGED = "discharged"
    AT_HOME = "at_home"  # opened by an officer without a hospital message
    DECEASED = "deceased"
    CANCELLED = "cancelled"


class DecisionState(StrEnum):
    AWAITING = "awaiting_decision"
    GRANTED = "granted"
    ENDED = "ended"


# Cases the officer must act on: on the Cases board, soonest liability first.
BOARD_STATUSES = frozenset({CaseStatus.PLANNING, CaseStatus.READY, CaseStatus.READY_REVOKED})

SERVICE_DECISIONS = frozenset({"trygg_hemgang", "hemgangsbeslut"})  # a frame decision, or Gotland's pot of hours
NOT_GRANTED = frozenset({"declined", "refused"})
CONTINUITY_EXCLUDED_KINDS = frozenset({"follow_up_call"})  # a phone call, not a visit in the home


@dataclass(frozen=True)
class Decision(Grant):
    ended_reason: str | None = None
    ended_on: date | None = None


@dataclass(frozen=True)
class Period:
    period_id: str
    team_id: str
    status: str
    start_date: date
    end_date: date
    contact_person_id: str | None
    waited_days: int
    ended_on: date | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class Waiting:
    team_id: str
    change: str  # added, planned, removed
    position: int | None
    waiting_since: datetime
    requested_start_date: date | None
    changed_at: datetime

    @property
    def waiting(self) -> bool:
        return self.change == "added"


@dataclass
class CaseState:
    """What the console knows about one case."""

    case_id: str
    person_ref: str = ""
    given_name: str | None = None
    family_name: str | None = None
    episode_id: str | None = None
    care_unit: str | None = None
    care_type: str | None = None
    municipality_code: str | None = None
    admitted_at: datetime | None = None  # the admission notice (its admission time, else its event time)
    expected_discharge_date: date | None = None
    readmission_of_case_id: str | None = None
    opened_reason: str | None = None
    ready_at: datetime | None = None
    liability_starts_at: datetime | None = None
    daily_price_sek: int | None = None
    clock_running: bool = False
    discharged_at: datetime | None = None
    destination: str | None = None
    liable_days: int = 0
    deceased: bool = False
    cancelled: bool = False
    decision: Decision | None = None
    period: Period | None = None
    waiting: Waiting | None = None
    visits: dict[str, VisitState] = field(default_factory=dict)
    follow_up_call_at: datetime | None = None  # the follow-up call took place (completed)
    handed_over_at: datetime | None = None
    handover_needs: NeedsSummary | None = None  # the handover summary (kartläggning), coded
    cover_order: HemtjanstCoverOrdered | None = None  # hemtjänst's cover order in force (the latest)
    capacity_exceeded_at: datetime | None = None
    checklist: ChecklistState | None = None  # the homecoming checklist (`checklist.py`)
    sip: SipLine | None = None  # the SIP deadline and invitation (`console.domain.sip`)
    updated_at: datetime | None = None

    @property
    def name(self) -> str | None:
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or None

    @property
    def status(self) -> CaseStatus:
        if self.deceased:
            return CaseStatus.DECEASED
        if self.cancelled:
            return CaseStatus.CANCELLED
        if self.discharged_at is not None:
            return CaseStatus.DISCHARGED
        if self.clock_running:
            return CaseStatus.READY
        if self.ready_at is not None:
            return CaseStatus.READY_REVOKED
        if self.admitted_at is not None:
            return CaseStatus.PLANNING
        return CaseStatus.AT_HOME

    @property
    def decision_state(self) -> DecisionState:
        if self.decision is None:
            return DecisionState.AWAITING
        return DecisionState.ENDED if self.decision.ended_reason else DecisionState.GRANTED

    @property
    def on_board(self) -> bool:
        return self.status in BOARD_STATUSES

    @property
    def team_key(self) -> str | None:
        """The team that carries (or will carry) the case: scheduling's team, else the decision's."""
        if self.period is not None:
            return self.period.team_id
        return self.decision.team if self.decision else None

    @property
    def got_service(self) -> bool:
        """A Trygg hemgång decision (rambeslut or hemgångsbeslut) was granted."""
        return self.decision is not None and self.decision.decision_type in SERVICE_DECISIONS

    def completed_visits(self) -> list[VisitState]:
        """Completed visits in the home (the follow-up call excluded), in time order."""
        done = [
            v
            for v in self.visits.values()
            if v.status is VisitStatus.COMPLETED and v.kind not in CONTINUITY_EXCLUDED_KINDS
        ]
        return sorted(done, key=lambda v: (v.started_at or v.planned_start, v.visit_id))

    def ratings(self) -> tuple[SelfRating | None, SelfRating | None]:
        """The self-ratings at the first and at the last visit."""
        first = last = None
        for visit in self.completed_visits():
            rating = visit.self_rating
            if rating is None:
                continue
            if rating.moment == "first_visit" and first is None:
                first = rating
            elif rating.moment == "last_visit":
                last = rating
        return first, last


def fold_case(case_id: str, recorded: Iterable[Recorded[CaseFact]]) -> CaseState:
    """The case's state from its recorded facts, whatever order they came in."""
    facts = sorted(recorded, key=lambda r: r.order)
    state = CaseState(case_id=case_id)
    visit_facts: dict[str, list[Recorded[VisitFact]]] = {}
    for r in facts:
        f = r.fact
        if isinstance(f, VisitFact):
            visit_facts.setdefault(f.visit_id, []).append(r)  # type: ignore[arg-type]
        _apply(state, f, r.occurred_at)
        state.updated_at = r.occurred_at if state.updated_at is None else max(state.updated_at, r.occurred_at)
    for visit_id, items in visit_facts.items():
        visit = fold_visit(items)
        if visit is not None:
            state.visits[visit_id] = visit
            if visit.kind == "follow_up_call" and visit.status is VisitStatus.COMPLETED:
                state.follow_up_call_at = visit.ended_at
    return state


def _apply(s: CaseState, f: CaseFact, occurred_at: datetime) -> None:
    ref = getattr(f, "person_ref", None)
    if isinstance(ref, str) and ref and not s.person_ref:
        s.person_ref = ref
    _apply_message(s, f, occurred_at)
    _apply_decision(s, f)
    _apply_plan(s, f)
    if isinstance(f, SipChanged | SipLapsed):
        s.sip = fold_sip(s.sip, f)


def _apply_message(s: CaseState, f: CaseFact, occurred_at: datetime) -> None:
    """The hospital's messages (and a case opened without one): the stay, the payment clock, the discharge."""
    if isinstance(f, AdmissionNoticed):
        s.episode_id, s.care_unit, s.care_type = f.episode_id, f.care_unit, f.care_type
        s.municipality_code = f.municipality_code or s.municipality_code
        s.expected_discharge_date = f.expected_discharge_date
        s.readmission_of_case_id = f.readmission_of_case_id
        if s.admitted_at is None:
            s.admitted_at = f.admitted_at or occurred_at
    elif isinstance(f, PlanningReceived):
        if f.expected_discharge_date is not None:
            s.expected_discharge_date = f.expected_discharge_date
    elif isinstance(f, ReadyNoticed):
        s.episode_id, s.care_unit, s.care_type = f.episode_id, f.care_unit, f.care_type
        s.municipality_code = f.municipality_code or s.municipality_code
        s.ready_at, s.liability_starts_at, s.daily_price_sek = f.ready_at, f.liability_starts_at, f.daily_price_sek
        s.clock_running = s.discharged_at is None
    elif isinstance(f, ReadyRevoked):
        if f.ready_at is None or s.ready_at is None or f.ready_at >= s.ready_at:
            s.clock_running = False
    elif isinstance(f, Discharged):
        s.discharged_at, s.destination, s.liable_days = f.discharged_at, f.destination, f.liable_days
        s.daily_price_sek = f.daily_price_sek or s.daily_price_sek
        s.clock_running = False
        s.deceased = s.deceased or f.destination == "deceased"
    elif isinstance(f, MessageCancelled):
        if f.cancelled_message_type == "utskrivningsmeddelande":
            s.discharged_at, s.destination, s.liable_days = None, None, 0
            s.clock_running = s.ready_at is not None
    elif isinstance(f, CaseOpened):
        s.opened_reason = f.reason
        s.municipality_code = f.municipality_code or s.municipality_code


def _apply_decision(s: CaseState, f: CaseFact) -> None:
    """The officer's decision, its changes and end, and the person's name."""
    if isinstance(f, DecisionGranted):
        s.decision = carry(Decision, f)
        s.given_name, s.family_name = f.given_name or s.given_name, f.family_name or s.family_name
    elif isinstance(f, PersonNamed):
        s.given_name, s.family_name = f.given_name, f.family_name  # the later confirmation wins (fold order)
    elif isinstance(f, DecisionChanged):
        if s.decision is not None and s.decision.decision_id == f.decision_id:
            s.decision = replace(
                s.decision,
                length_days=f.length_days or s.decision.length_days,
                end_date=f.end_date or s.decision.end_date,
            )
    elif isinstance(f, DecisionEnded):
        if s.decision is not None and s.decision.decision_id == f.decision_id:
            s.decision = replace(s.decision, ended_reason=f.reason, ended_on=f.end_date)
        s.deceased = s.deceased or f.reason == "deceased"
        s.cancelled = s.cancelled or f.reason == "case_cancelled"


def _apply_plan(s: CaseState, f: CaseFact) -> None:
    """Scheduling's period, the waiting list, the handover and a full team."""
    if isinstance(f, PeriodPlanned):
        s.period = carry(Period, f)
    elif isinstance(f, PeriodChanged):
        base = s.period or carry(Period, f, waited_days=0)
        s.period = replace(
            base,
            status=f.status,
            start_date=f.start_date,
            end_date=f.end_date,
            contact_person_id=f.contact_person_id,
        )
    elif isinstance(f, PeriodEnded):
        base = s.period or carry(Period, f, status="ended", end_date=f.ended_on, contact_person_id=None, waited_days=0)
        s.period = replace(base, status="ended", ended_on=f.ended_on, end_reason=f.reason)
    elif isinstance(f, WaitingListChanged):
        s.waiting = carry(Waiting, f)
    elif isinstance(f, HandedOver):
        s.handed_over_at, s.handover_needs = f.handed_over_at, f.needs or s.handover_needs
    elif isinstance(f, HemtjanstCoverOrdered):
        if s.cover_order is None or f.ordered_at >= s.cover_order.ordered_at:
            s.cover_order = f  # each order replaces the earlier ones
    elif isinstance(f, TeamCapacityExceeded):
        s.capacity_exceeded_at = f.occurred_at
    elif isinstance(f, ChecklistChanged):
        s.checklist = apply_checklist(s.checklist, f)
