"""Use cases run by case events."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from notification.domain.watches import LiabilityWatch, stop_watch, watch_ready
from trygg_shared.contracts.referral import ReadyForDischarge, ReadyRevoked
from trygg_shared.envelope import EventMeta


class LiabilityWatches(Protocol):
    async def get(self, case_id: str) -> LiabilityWatch | None: ...

    async def put(self, watch: LiabilityWatch) -> None: ...


async def start_liability_watch(
    repo: LiabilityWatches, event: ReadyForDischarge, meta: EventMeta, lead_time: timedelta
) -> None:
    watch = watch_ready(
        await repo.get(event.case_id),
        case_id=event.case_id,
        person_ref=event.person_ref,
        ready_at=event.ready_at,
        liability_starts_at=event.liability_starts_at,
        lead_time=lead_time,
        source_event_id=meta.id,
    )
    await repo.put(watch)


async def stop_liability_watch(repo: LiabilityWatches, event: ReadyRevoked, meta: EventMeta) -> None:
    watch = stop_watch(await repo.get(event.case_id), event.revoked_at)
    if watch is not None:
        await repo.put(watch)
