"""Domain events: plain records of what happened. The codec in `adapters` maps them to the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from scheduling.domain.calendar import CoverCause, CoverReason
from scheduling.domain.vocab import (
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
)
from trygg_shared.vocabulary import scheduling as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
CapacityLimit = words.CapacityLimit
WaitingChange = words.WaitingListChange


@dataclass(frozen=True)
class PeriodRef:
    """Who and which period an event is about (pseudonymous)."""

    person_ref: str
    period_id: str
    team_id: str


@dataclass(frozen=True)
class SelfRating:
    """EQ-5D-5L levels (1-5), VAS (0-100) and the two extra questions (1-5)."""

    mobility: int
    self_care: int
    usual_activities: int
    pain_discomfort: int
    anxiety_depression: int
    vas: int
    worry: int
    safety: int


@dataclass(frozen=True)
class NeedsSummary:
    visits_completed: int
    visits_declined: int
    visits_missed: int
    average_visit_minutes: int | None
    food: SupportLevel
    medicines: SupportLevel
    personal_care: SupportLevel
    aids_in_use: tuple[str, ...]
    aids_missing: tuple[str, ...]
    worry_latest: int | None
    worry_trend: Trend
    suggested_visits_per_day: int | None
    has_free_text_notes: bool


# --- period events --------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodPlanned:
    ref: PeriodRef
    decision_id: str
    kind: PeriodKind
    start_date: date
    end_date: date
    hours_granted: float | None
    contact_person_id: str | None
    visits_planned: int
    status: PeriodStatus
    cover_ordered: bool
    waited_days: int
    at: datetime


@dataclass(frozen=True)
class PeriodChanged:
    ref: PeriodRef
    change: PeriodChange
    status: PeriodStatus
    start_date: date
    end_date: date
    hours_granted: float | None
    contact_person_id: str | None
    at: datetime


@dataclass(frozen=True)
class VisitScheduled:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    planned_start: datetime
    planned_end: datetime
    location: Location
    staff_id: str | None
    by_contact_person: bool
    officer_invited: bool
    with_hemtjanst: bool


@dataclass(frozen=True)
class VisitRescheduled:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    previous_start: datetime
    planned_start: datetime
    planned_end: datetime
    staff_id: str | None
    by_contact_person: bool
    reason: ChangeReason


@dataclass(frozen=True)
class VisitReassigned:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    planned_start: datetime
    previous_staff_id: str | None
    staff_id: str | None
    by_contact_person: bool
    reason: ChangeReason


@dataclass(frozen=True)
class VisitCancelled:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    planned_start: datetime
    reason: CancelReason
    cancelled_by: str
    at: datetime


@dataclass(frozen=True)
class VisitStarted:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    staff_id: str
    planned_start: datetime
    started_at: datetime


@dataclass(frozen=True)
class VisitCompleted:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    staff_id: str
    by_contact_person: bool
    planned_start: datetime
    started_at: datetime
    ended_at: datetime
    duration_minutes: int
    self_rating: SelfRating | None
    rating_moment: RatingMoment | None
    minutes_used_total: int | None


@dataclass(frozen=True)
class VisitMissed:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    staff_id: str | None
    planned_start: datetime
    planned_end: datetime
    grace_minutes: int
    at: datetime


@dataclass(frozen=True)
class FollowUpDue:
    ref: PeriodRef
    visit_id: str
    kind: VisitKind
    follow_up: FollowUp
    due_at: datetime
    staff_id: str | None
    officer_invited: bool
    location: Location


@dataclass(frozen=True)
class WeekdayHours:
    """The team's hours on one weekday (0 = Monday), local time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class CoverWindow:
    start: datetime
    end: datetime
    reason: CoverReason
    cause: CoverCause
    holiday: str | None  # the public holiday's Swedish name (cause holiday)


@dataclass(frozen=True)
class HemtjanstCoverOrdered:
    ref: PeriodRef
    order_id: str
    valid_from: datetime
    windows: tuple[CoverWindow, ...]
    decision_orders_hemtjanst: bool
    at: datetime
    team_hours: tuple[WeekdayHours, ...]  # objects, not pairs: FerretDB v1 stores no nested arrays
    team_works_holidays: bool


@dataclass(frozen=True)
class HandedOverToHemtjanst:
    ref: PeriodRef
    visit_id: str
    staff_id: str
    at: datetime
    needs: NeedsSummary


@dataclass(frozen=True)
class PeriodEnded:
    ref: PeriodRef
    decision_id: str
    kind: PeriodKind
    start_date: date
    planned_end_date: date
    ended_on: date
    reason: EndReason
    visits_completed: int
    visits_missed: int
    visits_cancelled: int
    distinct_staff: int
    contact_person_id: str | None
    contact_person_visits: int
    visit_minutes: int
    hours_granted: float | None
    follow_up_call_planned: bool
    at: datetime

    @property
    def contact_person_share(self) -> float | None:
        return None if self.visits_completed == 0 else round(self.contact_person_visits / self.visits_completed, 4)


# --- team events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamConfigured:
    team_id: str
    name: str
    phone: str
    hemtjanst_phone: str | None
    municipality_profile: str
    municipality_code: str | None
    timezone: str
    hours: tuple[tuple[int, time, time], ...]
    works_on_holidays: bool
    clients_per_day: int
    new_clients_per_month: int
    max_period_days: int
    members: tuple[tuple[str, str | None, bool], ...]
    version: int
    at: datetime


@dataclass(frozen=True)
class TeamCapacityExceeded:
    team_id: str
    case_id: str
    person_ref: str
    limit: CapacityLimit
    capacity: int
    on_date: date
    waiting_count: int
    at: datetime


@dataclass(frozen=True)
class WaitingListChanged:
    team_id: str
    case_id: str
    person_ref: str
    change: WaitingChange
    position: int | None
    waiting_count: int
    waiting_since: datetime
    requested_start: date | None
    at: datetime


@dataclass(frozen=True)
class DayReplanned:
    team_id: str
    day: date
    absent_staff_id: str
    visits_reassigned: int
    visits_unstaffed: int
    continuity_kept: int
    at: datetime
