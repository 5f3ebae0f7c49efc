"""Several replicas: one relay publishes at a time; another takes over when the lease lapses."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.relay_lease import RelayLease


async def test_only_one_owner_holds_the_lease_until_it_lapses_or_is_released(db: AsyncDatabase[Any]) -> None:
    a = RelayLease(db["relay_leases"], "cases", ttl_seconds=1.0)
    b = RelayLease(db["relay_leases"], "cases", ttl_seconds=1.0)

    assert await a.acquire() is True
    assert await b.acquire() is False
    assert await a.acquire() is True  # renewal by the holder
    await asyncio.sleep(1.2)
    assert await b.acquire() is True  # a stopped renewing: b takes over
    assert await a.acquire() is False
    await b.release()
    assert await a.acquire() is True


async def test_two_relays_racing_for_a_new_lease_get_one_winner(db: AsyncDatabase[Any]) -> None:
    leases = [RelayLease(db["relay_leases"], "race", ttl_seconds=10.0) for _ in range(5)]
    results = await asyncio.gather(*(lease.acquire() for lease in leases))
    assert sum(results) == 1
