"""The case plan's values: decision terms, visits, the period, timers, and what planning needs.

Errors a plan raises, and the few rules every part of the plan shares (the visit ids' namespace,
the notice before a visit today, which visits are single, how timers are keyed).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from scheduling.domain import events as ev
from scheduling.domain.staffing import Roster, TravelTime
from scheduling.domain.team import Team
from scheduling.domain.vocab import (
    CancelReason,
    EndReason,
    Location,
    PeriodKind,
    PeriodStatus,
    RatingMoment,
    SupportLevel,
    VisitKind,
    VisitStatus,
)

NAMESPACE = uuid.UUID("6b7f0a52-3c1e-4f59-9a63-5d2c8e1f4b70")
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


# Cancelled by the period's end: a change the end overtook restores them.
END_CANCELS = frozenset(
    {CancelReason.PERIOD_ENDED, CancelReason.READMITTED, CancelReason.DECEASED, CancelReason.HOURS_USED}
)


def quarter_hour_up(moment: datetime) -> datetime:
    minutes = math.ceil((moment.timestamp() / 60) / 15) * 15
    return datetime.fromtimestamp(minutes * 60, tz=moment.tzinfo)


def timer_key(kind: str, ref: str) -> str:
    return "period_end" if kind == "period_end" else f"{kind}:{ref}"


def flex_minutes(kind: VisitKind) -> int:
    return 60 if kind in (VisitKind.HOMECOMING, VisitKind.HOSPITAL_VISIT) else 12 * 60
