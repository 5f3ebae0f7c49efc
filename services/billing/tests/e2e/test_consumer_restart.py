"""A consumer that dies mid-stream loses nothing and repeats nothing when it comes back."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pymongo import AsyncMongoClient

from tests.fixtures.e2e import System
from tests.support import eventually

MESSAGES = 30


async def test_billing_killed_mid_stream_ends_with_exactly_one_period_per_case(system: System) -> None:
    billing = system.processes["billing"]
    case_ids: list[str] = []
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    periods = client[system.database("billing")]["case_liability"]
    processed = client[system.database("billing")]["processed_events"]
    try:
        for i in range(MESSAGES):
            response = await asyncio.to_thread(system.send, "utskrivningsklar", episode_id=f"E2E-R-{uuid.uuid4().hex}")
            assert response.status_code == 202
            case_ids.append(response.json()["case_id"])
            if i == MESSAGES // 3:
                # Wait until billing is busy with this stream, then kill it without warning.
                await eventually(lambda: periods.count_documents({"_id": {"$in": case_ids}}), within=30)
                billing.kill()
        billing.start()  # from the main thread: the child is tied to this process's life
        await asyncio.to_thread(billing.wait_ready, 90)

        async def all_there() -> bool:
            return await periods.count_documents({"_id": {"$in": case_ids}}) >= MESSAGES

        await eventually(all_there, within=60)
        await asyncio.sleep(2.0)  # anything redelivered after the restart has arrived by now

        docs = [d async for d in periods.find({"_id": {"$in": case_ids}})]
        assert sorted(d["_id"] for d in docs) == sorted(case_ids)  # none lost
        assert all(len(d["periods"]) == 1 for d in docs)  # none twice
        event_ids = [d["periods"][0]["source_event_id"] for d in docs]
        assert len(set(event_ids)) == MESSAGES
        assert await processed.count_documents({"event_id": {"$in": event_ids}}) == MESSAGES
    finally:
        await client.close()
