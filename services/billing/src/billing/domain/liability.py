"""The municipality's payment liability to the region (betalningsansvar), period by period.

One period per ready notice: it opens with the notice, and closes at revocation or at
discharge, when the liable days are known and the amount owed to the region follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class PeriodStatus(StrEnum):
    OPEN = "open"
    REVOKED = "revoked"
    CLOSED = "closed"  # discharged; liable days final


@dataclass(frozen=True)
class LiabilityPeriod:
    case_id: str
    person_ref: str
    ready_at: datetime
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    status: PeriodStatus = PeriodStatus.OPEN
    ended_at: datetime | None = None
    liable_days: int = 0
    source_event_id: str = ""

    @property
    def amount_sek(self) -> int:
        return self.liable_days * self.daily_price_sek


def open_period(current: LiabilityPeriod | None, new: LiabilityPeriod) -> LiabilityPeriod:
    """A newer ready notice opens a new period; a late older one changes nothing."""
    if current is not None and current.ready_at > new.ready_at:
        return current
    return new


def revoke(current: LiabilityPeriod | None, revoked_at: datetime) -> LiabilityPeriod | None:
    if current is None or current.status is not PeriodStatus.OPEN or current.ready_at > revoked_at:
        return current
    return replace(current, status=PeriodStatus.REVOKED, ended_at=revoked_at)


def close(current: LiabilityPeriod | None, discharged_at: datetime, liable_days: int) -> LiabilityPeriod | None:
    if current is None or current.status is PeriodStatus.REVOKED:
        return current
    return replace(current, status=PeriodStatus.CLOSED, ended_at=discharged_at, liable_days=liable_days)
