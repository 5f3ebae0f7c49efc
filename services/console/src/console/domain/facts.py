"""The facts the console folds: what other services told it, in the console's own words.

Each fact is a frozen dataclass with only what a page or figure needs (the entrypoints translate the wire into facts).
A `Recorded` fact adds the envelope (id, time, sequence, trace id). Each view folds its *set* of facts (keyed by event
id) in a fixed order, so a repeated, late or reordered event gives the same view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Generic, TypeVar

from console.domain import checklist, sip  # the homecoming checklist's and SIP's facts, in their own modules
from console.domain.alert_facts import AlertAcknowledged, AlertEscalated, AlertRaised, AlertResolved, RelativeMessage
from console.domain.team_facts import (
    DayReplanned,
    StaffMember,
    TeamCapacityExceeded,
    TeamConfigured,
    WaitingListChanged,
)

# Kept importable from here, where the views and adapters find every fact.
__all__ = [
    "AlertAcknowledged",
    "AlertEscalated",
    "AlertRaised",
    "AlertResolved",
    "DayReplanned",
    "RelativeMessage",
    "StaffMember",
    "TeamCapacityExceeded",
    "TeamConfigured",
    "WaitingListChanged",
]

# --- referral: the hospital stay and the officer's decision -------------------------------------


@dataclass(frozen=True)
class AdmissionNoticed:
    """Inskrivningsmeddelande."""

    person_ref: str
    episode_id: str
    care_unit: str
    care_type: str
    admitted_at: datetime | None
    expected_discharge_date: date
    municipality_code: str | None
    readmission_of_case_id: str | None


@dataclass(frozen=True)
class PlanningReceived:
    """Planeringsunderlag."""

    person_ref: str
    expected_discharge_date: date | None
    fast_vardkontakt_unit: str | None


@dataclass(frozen=True)
class ReadyNoticed:
    """Utskrivningsklar: the payment clock runs from here."""

    person_ref: str
    episode_id: str
    care_unit: str
    care_type: str
    ready_at: datetime
    planned_discharge_at: datetime | None
    liability_starts_at: datetime
    daily_price_sek: int
    municipality_code: str | None


@dataclass(frozen=True)
class ReadyRevoked:
    """Återkallad utskrivningsklar: the clock stops."""

    person_ref: str
    revoked_at: datetime
    ready_at: datetime | None
    liable_days: int | None


@dataclass(frozen=True)
class Discharged:
    """Utskrivningsmeddelande: the patient left hospital."""

    person_ref: str
    discharged_at: datetime
    destination: str | None
    liable_days: int
    daily_price_sek: int | None


@dataclass(frozen=True)
class MessageCancelled:
    """Makulering: a hospital message was withdrawn."""

    person_ref: str
    cancelled_message_type: str | None


@dataclass(frozen=True)
class CaseOpened:
    """Opened by an officer without a hospital message."""

    person_ref: str
    reason: str
    municipality_code: str | None


@dataclass(frozen=True)
class Grant:
    """What the officer granted, and who and when: the decision as a case keeps it (`cases.Decision`)."""

    decision_id: str
    decision_type: str
    start_date: date | None
    length_days: int | None
    end_date: date | None
    team: str | None
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class DecisionGranted(Grant):
    """Biståndsbeslut (for Trygg hemgång a frame decision)."""

    person_ref: str
    # Only in grants from a referral before the person-contacts topic (now `PersonNamed`).
    given_name: str | None = None
    family_name: str | None = None


@dataclass(frozen=True)
class PersonNamed:
    """The person's name as the officer confirmed it with a decision (address and phone are not kept here)."""

    person_ref: str
    decision_id: str
    given_name: str
    family_name: str
    registered_at: datetime


@dataclass(frozen=True)
class DecisionChanged:
    person_ref: str
    decision_id: str
    changes: tuple[str, ...]
    length_days: int | None
    end_date: date | None
    changed_at: datetime


@dataclass(frozen=True)
class DecisionEnded:
    person_ref: str
    decision_id: str
    end_date: date
    reason: str
    ended_at: datetime


# --- scheduling: the period and its visits ------------------------------------------------------

# The first fields of every fact about a period, and of every fact about a visit (own fields follow).


@dataclass(frozen=True)
class _PeriodFact:
    person_ref: str
    period_id: str
    team_id: str


@dataclass(frozen=True)
class VisitRef:
    """Which visit: its case, person, period, team, id and kind (none of them changes; `VisitState` has them too)."""

    case_id: str
    person_ref: str
    period_id: str
    team_id: str
    visit_id: str
    kind: str


@dataclass(frozen=True)
class PeriodPlanned(_PeriodFact):
    decision_id: str
    start_date: date
    end_date: date
    contact_person_id: str | None
    visits_planned: int
    status: str
    waited_days: int
    planned_at: datetime


@dataclass(frozen=True)
class PeriodChanged(_PeriodFact):
    change: str
    status: str
    start_date: date
    end_date: date
    contact_person_id: str | None
    changed_at: datetime


@dataclass(frozen=True)
class SelfRating:
    """EQ-5D-5L levels (1 = no problems .. 5 = extreme), EQ VAS 0-100, worry and safety 1-5."""

    moment: str  # first_visit or last_visit
    mobility: int
    self_care: int
    usual_activities: int
    pain_discomfort: int
    anxiety_depression: int
    vas: int
    worry: int
    safety: int

    @property
    def level_sum(self) -> int:
        """Sum of the five EQ-5D-5L levels: 5 (no problems) to 25 (extreme problems)."""
        return self.mobility + self.self_care + self.usual_activities + self.pain_discomfort + self.anxiety_depression


@dataclass(frozen=True)
class VisitScheduled(VisitRef):
    planned_start: datetime
    planned_end: datetime
    location: str
    staff_id: str | None
    by_contact_person: bool


@dataclass(frozen=True)
class VisitRescheduled(VisitRef):
    planned_start: datetime
    planned_end: datetime
    staff_id: str | None
    by_contact_person: bool
    reason: str


@dataclass(frozen=True)
class VisitReassigned(VisitRef):
    planned_start: datetime
    staff_id: str | None
    by_contact_person: bool
    reason: str


@dataclass(frozen=True)
class VisitCancelled(VisitRef):
    planned_start: datetime
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True)
class VisitStarted(VisitRef):
    staff_id: str
    planned_start: datetime
    started_at: datetime


@dataclass(frozen=True)
class VisitCompleted(VisitRef):
    staff_id: str
    by_contact_person: bool
    planned_start: datetime
    started_at: datetime
    ended_at: datetime
    duration_minutes: int
    self_rating: SelfRating | None


@dataclass(frozen=True)
class VisitMissed(VisitRef):
    staff_id: str | None
    planned_start: datetime
    planned_end: datetime
    detected_at: datetime


@dataclass(frozen=True)
class FollowUpDue(_PeriodFact):
    visit_id: str
    kind: str
    follow_up: str  # meeting or call
    due_at: datetime


@dataclass(frozen=True)
class CoverWindow:
    """A stretch hemtjänst covers and why."""

    start: datetime
    end: datetime
    reason: str  # outside_team_hours, team_day_off, public_holiday
    cause: str | None = None  # morning, evening, night, weekend, day_off, holiday (None: an order from before causes)
    holiday: str | None = None  # the public holiday's Swedish name


@dataclass(frozen=True)
class TeamHours:
    weekday: str  # monday .. sunday
    start: time
    end: time


@dataclass(frozen=True)
class HemtjanstCoverOrdered(_PeriodFact):
    """The hemtjänst cover order: it replaces earlier orders of the period from `valid_from` on."""

    order_id: str
    windows: int
    ordered_at: datetime
    # Facts recorded before the console kept the windows hold only their count.
    valid_from: datetime | None = None
    decision_orders_hemtjanst: bool = False
    cover_windows: tuple[CoverWindow, ...] = ()
    team_hours: tuple[TeamHours, ...] = ()
    team_works_holidays: bool | None = None


@dataclass(frozen=True)
class AreaSupport:
    area: str  # food, medicines, personal_care
    level: str  # independent, some_help, full_help, not_assessed


@dataclass(frozen=True)
class NeedsSummary:
    """The handover summary (kartläggning), coded: no free text. No nested arrays (FerretDB v1 stores none)."""

    support: tuple[AreaSupport, ...]
    aids_in_use: tuple[str, ...]
    aids_missing: tuple[str, ...]
    worry: tuple[int | None, str]  # the latest rating 1-5, its trend (falling, stable, rising, unknown)
    suggested_visits_per_day: int | None
    visits: tuple[int, int, int]  # completed, declined, missed


@dataclass(frozen=True)
class HandedOver(_PeriodFact):
    """Överlämning to hemtjänst."""

    visit_id: str
    handed_over_at: datetime
    needs: NeedsSummary | None = None  # None in facts recorded before the console kept it


@dataclass(frozen=True)
class PeriodEnded(_PeriodFact):
    start_date: date
    ended_on: date
    reason: str
    visits_completed: int
    visit_minutes: int
    ended_at: datetime


F = TypeVar("F")


@dataclass(frozen=True)
class Recorded(Generic[F]):
    """A fact as the console received it: which event, when, from which service."""

    event_id: str
    source: str
    occurred_at: datetime
    sequence: int | None
    trace_id: str | None
    fact: F

    @property
    def order(self) -> tuple[datetime, str, int, str]:
        """Fold order: event time, then the producer's sequence, then the id (a total order)."""
        return (self.occurred_at, self.source, self.sequence or 0, self.event_id)


@dataclass
class FactSet(Generic[F]):
    """The stored unit of the read model: every fact recorded about one case, visit, team or alert.

    Keyed by event id, so recording the same event twice changes nothing.
    """

    key: str
    facts: dict[str, Recorded[F]] = field(default_factory=dict)

    def record(self, recorded: Recorded[F]) -> bool:
        """Add a fact; False when this event was recorded already."""
        if recorded.event_id in self.facts:
            return False
        self.facts[recorded.event_id] = recorded
        return True

    def recorded(self) -> list[Recorded[F]]:
        return sorted(self.facts.values(), key=lambda r: r.order)


# --- billing; the team's facts and notification's are in `team_facts` and `alert_facts` --------


@dataclass(frozen=True)
class LiabilityAccrued:
    """Billing's count of a case's payment-liability days and their cost."""

    liability_days: int
    amount_ore: int
    home_in_time: bool
    at: datetime


CaseFact = (
    AdmissionNoticed
    | PlanningReceived
    | ReadyNoticed
    | ReadyRevoked
    | Discharged
    | MessageCancelled
    | CaseOpened
    | DecisionGranted
    | PersonNamed
    | DecisionChanged
    | DecisionEnded
    | PeriodPlanned
    | PeriodChanged
    | VisitScheduled
    | VisitRescheduled
    | VisitReassigned
    | VisitCancelled
    | VisitStarted
    | VisitCompleted
    | VisitMissed
    | FollowUpDue
    | HemtjanstCoverOrdered
    | HandedOver
    | PeriodEnded
    | WaitingListChanged
    | TeamCapacityExceeded
    | AlertRaised
    | AlertAcknowledged
    | RelativeMessage
    | LiabilityAccrued
    | checklist.ChecklistChanged
    | sip.SipFact
)

VisitFact = (
    VisitScheduled | VisitRescheduled | VisitReassigned | VisitCancelled | VisitStarted | VisitCompleted | VisitMissed
)

TeamFact = TeamConfigured | WaitingListChanged | TeamCapacityExceeded | DayReplanned

AlertFact = AlertRaised | AlertAcknowledged | AlertEscalated | AlertResolved
