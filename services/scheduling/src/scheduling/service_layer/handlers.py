"""Use cases run by case events."""

from __future__ import annotations

from typing import Protocol

from scheduling.domain.referrals import IncomingReferral, on_ready, on_revoked
from trygg_shared.contracts.referral import ReadyForDischarge, ReadyRevoked
from trygg_shared.envelope import EventMeta


class IncomingReferrals(Protocol):
    async def get(self, case_id: str) -> IncomingReferral | None: ...

    async def put(self, referral: IncomingReferral) -> None: ...


async def record_ready_for_discharge(repo: IncomingReferrals, event: ReadyForDischarge, meta: EventMeta) -> None:
    incoming = IncomingReferral(
        case_id=event.case_id,
        person_ref=event.person_ref,
        care_unit_name=event.care_unit.name,
        ready_at=event.ready_at,
        planned_discharge_at=event.planned_discharge_at,
        liability_starts_at=event.liability_starts_at,
        source_event_id=meta.id,
    )
    updated = on_ready(await repo.get(event.case_id), incoming)
    await repo.put(updated)


async def record_ready_revoked(repo: IncomingReferrals, event: ReadyRevoked, meta: EventMeta) -> None:
    updated = on_revoked(await repo.get(event.case_id), event.revoked_at)
    if updated is not None:
        await repo.put(updated)
