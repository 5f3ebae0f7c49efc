"""The shared change log on FerretDB (PostgreSQL): a position is claimed once by racing replicas,
the positions stay gapless, the lookups a poll makes are served by the `_id` GIN index, and the
sweep keeps the collection small."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from console.adapters.mongo_changes import CHANGES, MongoChangeLog, change_log_indexes
from console.service_layer.changes import ChangeFeed
from devstack.testing import Endpoints
from trygg_shared.clock import FixedClock
from trygg_shared.indexes import ensure_indexes

RACERS = 8


async def test_replicas_claiming_at_once_get_distinct_gapless_positions(
    servers: Endpoints, db: AsyncDatabase[Any]
) -> None:
    await ensure_indexes(db, change_log_indexes(), servers.postgres_url)
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(servers.mongo_uri, tz_aware=True) for _ in range(RACERS)
    ]
    clock = FixedClock(datetime.now(UTC))
    try:
        feeds = [ChangeFeed(MongoChangeLog(client[db.name]), clock) for client in clients]
        await asyncio.gather(*(feed.changed() for _ in range(5) for feed in feeds))
        for feed in feeds:
            await feed.poll()
    finally:
        for client in clients:
            await client.close()

    positions = sorted([d["_id"] async for d in db[CHANGES].find({})])
    assert positions == list(range(1, len(positions) + 1))
    assert sum(feed.announced for feed in feeds) == len(positions)
    assert {feed.version for feed in feeds} == {len(positions)}


async def test_the_log_claims_once_finds_the_newest_and_forgets_old_positions(db: AsyncDatabase[Any]) -> None:
    log = MongoChangeLog(db)
    old, recent = datetime(2026, 12, 6, 3, tzinfo=UTC), datetime(2026, 12, 6, 3, 10, tzinfo=UTC)
    assert await log.newest() == 0
    for position in range(1, 6):
        assert await log.claim(position, old if position < 4 else recent)
    assert not await log.claim(3, recent)  # taken: the unique insert refuses it

    assert await log.newest() == 5
    assert await log.has(5)
    assert not await log.has(6)
    assert await log.forget(3, recent - timedelta(minutes=1)) == 2  # 1 and 2; 3 is the one kept
    assert sorted([d["_id"] async for d in db[CHANGES].find({})]) == [3, 4, 5]


async def test_a_poll_lookup_is_served_by_the_id_gin_index(servers: Endpoints, db: AsyncDatabase[Any]) -> None:
    if servers.postgres_url is None:
        pytest.skip("needs FerretDB on PostgreSQL (local servers with the default store)")
    at = datetime.now(UTC)
    await db[CHANGES].insert_many([{"_id": p, "at": at} for p in range(1, 5001)])
    await ensure_indexes(db, change_log_indexes(), servers.postgres_url)

    result = await db.command("explain", {"find": CHANGES, "filter": {"_id": 4321}})
    nodes: list[str] = []
    stack = [result["queryPlanner"]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node["Node Type"])
        stack.extend(node.get("Plans", []))

    assert result["filterPushdown"] is True
    assert any(n in ("Bitmap Index Scan", "Index Scan") for n in nodes), nodes
    assert "Seq Scan" not in nodes
