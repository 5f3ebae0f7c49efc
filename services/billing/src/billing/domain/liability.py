"""The municipality's payment liability to the region (betalningsansvar) for one case.

One record per case holds its ready periods and, after discharge, the liable days and the amount
owed. Referral puts the hospital's messages in order and computes the liable days; Kafka keeps
one case's events in order; so each event is applied as it comes, the last one being the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class PeriodStatus(StrEnum):
    OPEN = "open"  # the clock runs
    REVOKED = "revoked"  # ready notice revoked or withdrawn
    SUPERSEDED = "superseded"  # a later ready notice replaced it
    CLOSED = "closed"  # discharged


@dataclass(frozen=True)
class LiabilityPeriod:
    ready_at: datetime
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    status: PeriodStatus = PeriodStatus.OPEN
    ended_at: datetime | None = None
    liable_days: int = 0
    source_event_id: str = ""


@dataclass(frozen=True)
class CaseLiability:
    case_id: str
    person_ref: str
    periods: tuple[LiabilityPeriod, ...] = field(default=())
    discharged_at: datetime | None = None
    liable_days: int = 0  # the whole stay, as referral computed it at discharge
    daily_price_sek: int | None = None

    @property
    def amount_sek(self) -> int:
        return self.liable_days * (self.daily_price_sek or 0)

    @property
    def open_period(self) -> LiabilityPeriod | None:
        return next((p for p in self.periods if p.status is PeriodStatus.OPEN), None)


def same_instant(a: datetime | None, b: datetime | None) -> bool:
    """Equal to the millisecond: the precision the database keeps (BSON dates)."""
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 0.001


def on_ready(case: CaseLiability, period: LiabilityPeriod) -> CaseLiability:
    """A ready period starts (or runs again): any other open period is superseded."""
    others = tuple(
        replace(p, status=PeriodStatus.SUPERSEDED) if p.status is PeriodStatus.OPEN else p
        for p in case.periods
        if not same_instant(p.ready_at, period.ready_at)
    )
    return replace(case, periods=(*others, replace(period, status=PeriodStatus.OPEN)), discharged_at=None)


def on_revoked(case: CaseLiability, ready_at: datetime | None, revoked_at: datetime, liable_days: int) -> CaseLiability:
    """The named period (or the open one) stops; it keeps the days it accrued."""
    target = ready_at or (case.open_period.ready_at if case.open_period else None)
    return replace(
        case,
        periods=tuple(
            replace(p, status=PeriodStatus.REVOKED, ended_at=revoked_at, liable_days=liable_days)
            if same_instant(p.ready_at, target)
            else p
            for p in case.periods
        ),
    )


def on_discharged(
    case: CaseLiability, discharged_at: datetime, liable_days: int, daily_price_sek: int | None
) -> CaseLiability:
    """Discharge ends liability; the liable days of the whole stay are final (until corrected)."""
    return replace(
        case,
        periods=tuple(
            replace(p, status=PeriodStatus.CLOSED, ended_at=discharged_at) if p.status is PeriodStatus.OPEN else p
            for p in case.periods
        ),
        discharged_at=discharged_at,
        liable_days=liable_days,
        daily_price_sek=daily_price_sek if daily_price_sek is not None else case.daily_price_sek,
    )
