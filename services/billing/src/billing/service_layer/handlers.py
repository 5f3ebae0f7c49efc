"""Use cases run by case events."""

from __future__ import annotations

from typing import Protocol

from billing.domain.liability import CaseLiability, LiabilityPeriod, on_discharged, on_ready, on_revoked
from trygg_shared.contracts.referral import Discharged, ReadyForDischarge, ReadyRevoked
from trygg_shared.envelope import EventMeta


class CaseLiabilities(Protocol):
    async def get(self, case_id: str) -> CaseLiability | None: ...

    async def put(self, case: CaseLiability) -> None: ...


async def _current(repo: CaseLiabilities, case_id: str, person_ref: str) -> CaseLiability:
    return await repo.get(case_id) or CaseLiability(case_id=case_id, person_ref=person_ref)


async def open_liability_period(repo: CaseLiabilities, event: ReadyForDischarge, meta: EventMeta) -> None:
    period = LiabilityPeriod(
        ready_at=event.ready_at,
        liability_starts_at=event.liability_starts_at,
        agreement_id=event.agreement_id,
        agreement_version=event.agreement_version,
        daily_price_sek=event.daily_price_sek,
        source_event_id=meta.id,
    )
    case = await _current(repo, event.case_id, event.person_ref)
    await repo.put(on_ready(case, period))


async def revoke_liability_period(repo: CaseLiabilities, event: ReadyRevoked, meta: EventMeta) -> None:
    case = await _current(repo, event.case_id, event.person_ref)
    await repo.put(on_revoked(case, event.ready_at, event.revoked_at, event.liable_days or 0))


async def close_liability_period(repo: CaseLiabilities, event: Discharged, meta: EventMeta) -> None:
    case = await _current(repo, event.case_id, event.person_ref)
    await repo.put(on_discharged(case, event.discharged_at, event.liable_days, event.daily_price_sek))
