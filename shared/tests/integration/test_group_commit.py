"""Group commit of inserts on FerretDB: concurrent inserts share a command, each judged on its own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from bson.errors import BSONError
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from devstack.testing import Endpoints
from trygg_shared.group_commit import GroupInsert, group_insert
from trygg_shared.mongo import RELEASE_LINGER, claims_of, compare_and_set_many
from trygg_shared.store_errors import is_permanent_store_error


async def _outcomes(inserts: GroupInsert, docs: list[dict[str, Any]]) -> list[BaseException | None]:
    return list(await asyncio.gather(*(inserts.insert(d) for d in docs), return_exceptions=True))


async def test_concurrent_inserts_share_commands_and_all_are_stored(db: AsyncDatabase[Any]) -> None:
    inserts = GroupInsert(db["group_a"], max_batch=8)
    docs = [{"_id": f"d-{i}", "n": i} for i in range(20)]

    assert await _outcomes(inserts, docs) == [None] * 20

    # All 20 came before the first command went out: batches of at most 8.
    assert inserts.commands == 3
    assert sorted([d["n"] async for d in db["group_a"].find({})]) == list(range(20))


async def test_a_duplicate_fails_only_its_own_caller(db: AsyncDatabase[Any]) -> None:
    await db["group_b"].insert_one({"_id": "taken"})
    inserts = GroupInsert(db["group_b"])

    first = await _outcomes(inserts, [{"_id": "warm"}])  # alone: written at once
    outcomes = await _outcomes(inserts, [{"_id": "x-1"}, {"_id": "taken", "n": 2}, {"_id": "x-3"}])

    assert first == [None]
    assert inserts.commands == 2  # the three shared one
    assert outcomes[0] is None
    assert outcomes[2] is None
    assert isinstance(outcomes[1], DuplicateKeyError)
    assert sorted([d["_id"] async for d in db["group_b"].find({})]) == ["taken", "warm", "x-1", "x-3"]
    assert await db["group_b"].find_one({"_id": "taken"}) == {"_id": "taken"}  # not overwritten


async def test_a_document_the_store_refuses_fails_only_its_own_caller(db: AsyncDatabase[Any]) -> None:
    inserts = GroupInsert(db["group_c"])
    docs = [
        {"_id": "ok-1"},
        {"_id": "nul", "text": "a\x00b"},  # PostgreSQL refuses U+0000 in JSONB
        {"_id": "bad-key", "a\x00b": 1},  # the driver cannot encode a NUL in a key
        {"_id": "ok-2"},
    ]
    outcomes = await _outcomes(inserts, docs)

    assert outcomes[0] is None
    assert outcomes[3] is None
    assert isinstance(outcomes[1], PyMongoError)
    assert isinstance(outcomes[2], BSONError)
    # As `insert_one` raises them: for good (422, dead letter), never "retry later" (503).
    assert is_permanent_store_error(outcomes[1])
    assert is_permanent_store_error(outcomes[2])
    assert sorted([d["_id"] async for d in db["group_c"].find({})]) == ["ok-1", "ok-2"]


async def test_callers_with_different_collection_objects_share_one_group(
    db: AsyncDatabase[Any], servers: Endpoints
) -> None:
    name = f"group_{uuid.uuid4().hex[:6]}"
    assert group_insert(db[name]) is group_insert(db[name])
    assert group_insert(db[name]) is not group_insert(db["other"])
    other_client: AsyncMongoClient[Any] = AsyncMongoClient(servers.mongo_uri, tz_aware=True)
    try:
        assert other_client == db.client  # PyMongo: same server, "equal" clients
        assert group_insert(other_client[db.name][name]) is not group_insert(db[name])  # never each other's pool
    finally:
        await other_client.close()


@pytest.mark.parametrize("size", [64])
async def test_a_large_burst_is_bounded_per_command(db: AsyncDatabase[Any], size: int) -> None:
    inserts = GroupInsert(db["group_d"], max_batch=32)
    assert await _outcomes(inserts, [{"_id": i, "pad": "x" * 2000} for i in range(size)]) == [None] * size
    assert inserts.commands == 2
    assert await db["group_d"].count_documents({}) == size


async def test_compare_and_set_many_writes_each_claimed_version_once(db: AsyncDatabase[Any]) -> None:
    things = db["cas_many"]
    await things.insert_many([{"_id": f"t{i}", "version": 3, "v": 0} for i in range(6)])
    await things.update_one({"_id": "t1"}, {"$set": {"version": 4}})  # moved on since it was read at 3
    await claims_of(things).insert_one({"_id": "t2@4", "at": datetime.now(UTC)})  # another writer holds 4

    written = await compare_and_set_many(things, [(f"t{i}", 3, {"v": 1}) for i in range(6)])

    docs = {d["_id"]: (d["version"], d["v"]) async for d in things.find({})}
    assert docs == {"t0": (4, 1), "t1": (4, 0), "t2": (3, 0), "t3": (4, 1), "t4": (4, 1), "t5": (4, 1)}
    # t2 lost its claim: not written. t0, t1, t3, t4 shared a command in which t1 matched nothing,
    # so none of them is known written (False means "maybe"); t5 went alone and is known written.
    assert written == [False, False, False, False, False, True]
    # The claims taken here are removed (the other writer's stays: it is its own).
    await asyncio.sleep(RELEASE_LINGER + 0.5)
    assert sorted([c["_id"] async for c in claims_of(things).find({})]) == ["t2@4"]
