"""Use cases run by case events."""

from __future__ import annotations

from typing import Protocol

from billing.domain.liability import LiabilityPeriod, close, open_period, revoke
from trygg_shared.contracts.referral import Discharged, ReadyForDischarge, ReadyRevoked
from trygg_shared.envelope import EventMeta


class LiabilityPeriods(Protocol):
    async def current(self, case_id: str) -> LiabilityPeriod | None: ...

    async def put(self, period: LiabilityPeriod) -> None: ...


async def open_liability_period(repo: LiabilityPeriods, event: ReadyForDischarge, meta: EventMeta) -> None:
    new = LiabilityPeriod(
        case_id=event.case_id,
        person_ref=event.person_ref,
        ready_at=event.ready_at,
        liability_starts_at=event.liability_starts_at,
        agreement_id=event.agreement_id,
        agreement_version=event.agreement_version,
        daily_price_sek=event.daily_price_sek,
        source_event_id=meta.id,
    )
    await repo.put(open_period(await repo.current(event.case_id), new))


async def revoke_liability_period(repo: LiabilityPeriods, event: ReadyRevoked, meta: EventMeta) -> None:
    period = revoke(await repo.current(event.case_id), event.revoked_at)
    if period is not None:
        await repo.put(period)


async def close_liability_period(repo: LiabilityPeriods, event: Discharged, meta: EventMeta) -> None:
    period = close(await repo.current(event.case_id), event.discharged_at, event.liable_days)
    if period is not None:
        await repo.put(period)
