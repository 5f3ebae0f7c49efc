"""MongoDB chassis: one AsyncMongoClient per service database, and the idempotent-consumer guard.

Written for the MongoDB wire protocol as FerretDB v1 serves it: single-document atomic writes,
unique indexes; no multi-document transactions, change streams, TTL indexes or `$lookup`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from trygg_shared.group_commit import group_insert
from trygg_shared.settings import MongoSettings

Document = dict[str, Any]


def create_mongo_client(settings: MongoSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A client for one service; it connects lazily on first use."""
    return AsyncMongoClient(
        settings.uri,
        appname=app_name,
        serverSelectionTimeoutMS=settings.timeout_ms,
        connectTimeoutMS=settings.timeout_ms,
        socketTimeoutMS=max(settings.timeout_ms, 10_000),
        tz_aware=True,
        maxPoolSize=settings.max_pool_size,
    )


async def ping(db: AsyncDatabase[Document]) -> None:
    """Raise when the database does not answer."""
    await db.command("ping")


# --- compare-and-set that holds on FerretDB v1 -----------------------------------------------
#
# Compare-and-set on FerretDB v1: a conditional `update_one` is *not* atomic there. FerretDB
# reads the documents that match the filter, applies the update in Go and writes the whole
# document back with `UPDATE … WHERE _id = $1` (backends/postgresql/collection.go, UpdateAll), so
# two writers that both read version 7 both "match" and the later write silently undoes the
# earlier one. Only a unique key is enforced by the database itself. So every write to an
# aggregate document first *claims* the version it writes: it inserts `<id>@<version>` into the
# collection's `<collection>_claims`; the insert that loses gets a duplicate-key error, which is a
# `ConcurrencyConflict`. The claim is removed after the write (in the background, several in one
# command: it is garbage by then, never needed for safety). A claim left by a process that died
# between claim and write is older than `STALE_CLAIM` and the next writer skips that version
# (claims the one after), so an aggregate never stays stuck. On MongoDB the claim costs one
# insert and is redundant but harmless.

# A claim this old whose version was never written belongs to a process that died mid-write.
STALE_CLAIM = timedelta(seconds=30)

_background: set[asyncio.Task[Any]] = set()


def claims_of(collection: AsyncCollection[Document]) -> AsyncCollection[Document]:
    """The collection of version claims that guards writes to `collection` (see the module doc)."""
    return collection.database[f"{collection.name}_claims"]


async def _claim(claims: AsyncCollection[Document], doc_id: Any, version: int) -> bool:
    try:
        # Concurrent claims share one insert command (a duplicate fails only its own claim).
        await group_insert(claims).insert({"_id": f"{doc_id}@{version}", "at": datetime.now(UTC)})
    except DuplicateKeyError:
        return False
    return True


@dataclass
class _Releases:
    """Claims waiting for one background removal of one claims collection."""

    ids: list[str]
    now: asyncio.Event  # set: remove without waiting for more


_released: dict[tuple[int, str], _Releases] = {}  # (event loop, claims collection) -> claims to remove
# Claims removed by one `delete` command: one statement (`_id` `$in` the batch), not a statement
# per claim. On FerretDB v1 each statement of one command keeps a PostgreSQL connection until the
# command ends, so many statements can exhaust its pool (see bench/README.md); one statement
# holds one, and the claims collection it looks through is small (claims live for a moment).
RELEASE_BATCH = 64
# How long the claim of a version that was written waits for others to share its `delete`: at
# 10 SMS/s (three written claims each) 0.25 s made one `delete` per 1.6 SMS, 2 s one per ≈ 15.
# A written version's claim decides nothing any more (see `_release`), so it may linger; an
# unwritten one is removed at once.
RELEASE_LINGER = 2.0


def _release(claims: AsyncCollection[Document], doc_id: Any, version: int, *, written: bool = False) -> None:
    """Remove a claim in the background (it is garbage once its write is done or abandoned).

    Claims released while a removal is under way or waiting are removed together: one `delete`
    command with one statement (`_id` `$in` them), one round trip for many writes. The claim
    of a version that was `written` waits up to `RELEASE_LINGER` for others (until a batch is
    full), so that writes at a few per second share deletes too: no writer can use that version
    number any more (the document is past it; one that tries read an older version, and its
    update matches nothing whether or not the claim is still there). A claim whose write did not
    happen is removed at once (with whatever waits), as before.
    """
    loop = asyncio.get_running_loop()
    key = (id(loop), claims.full_name)
    pending = _released.get(key)
    if pending is not None:  # a removal is under way or waiting for this collection: it takes this one too
        pending.ids.append(f"{doc_id}@{version}")
        if not written or len(pending.ids) >= RELEASE_BATCH:
            pending.now.set()
        return
    pending = _released[key] = _Releases([f"{doc_id}@{version}"], asyncio.Event())
    if not written:
        pending.now.set()
    ids = pending.ids

    async def release() -> None:
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.now.wait(), RELEASE_LINGER)
            # Housekeeping, not part of any journey: untraced (it outlives the span that started it).
            with suppress_instrumentation():
                while ids:
                    batch = ids[:RELEASE_BATCH]
                    del ids[:RELEASE_BATCH]
                    with contextlib.suppress(Exception):
                        await claims.delete_many({"_id": {"$in": batch}})
        finally:
            _released.pop(key, None)

    # A fresh context: the task must not inherit the caller's trace (a handler's span ends long
    # before the linger does, and the deletes showed up in that journey's trace after it ended).
    task = loop.create_task(release(), context=contextvars.Context())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def compare_and_set(
    collection: AsyncCollection[Document],
    doc_id: Any,
    expected_version: int,
    fields: Document,
    *,
    extra_filter: Document | None = None,
) -> int | None:
    """`$set` `fields` on a document still at `expected_version`; returns the new version, or None
    when another writer got there first (then nothing was written).

    The version written is claimed first (a unique insert), so of two writers that read the same
    version exactly one writes, on FerretDB v1 too. A stale claim (a writer that died between
    claim and write) is skipped: the version after it is claimed instead.
    """
    claims = claims_of(collection)
    new_version = expected_version + 1
    if not await _claim(claims, doc_id, new_version):
        stale = await claims.find_one({"_id": f"{doc_id}@{new_version}"})
        if stale is None or stale["at"] > datetime.now(UTC) - STALE_CLAIM:
            return None
        new_version += 1
        if not await _claim(claims, doc_id, new_version):
            return None
    written = False
    try:
        result = await collection.update_one(
            {"_id": doc_id, "version": expected_version, **(extra_filter or {})},
            {"$set": {**fields, "version": new_version}},
        )
        written = result.matched_count == 1
        return new_version if written else None
    finally:
        _release(claims, doc_id, new_version, written=written)


# Statements per `update` command of `compare_and_set_many`; small for the FerretDB v1 hazard
# (one PostgreSQL connection per statement until the command ends, see bench/README.md).
CAS_UPDATE_BATCH = 4


async def compare_and_set_many(
    collection: AsyncCollection[Document], writes: Sequence[tuple[Any, int, Document]]
) -> list[bool]:
    """`compare_and_set` for several documents at once: `(doc_id, expected_version, fields)` each.

    The claims go out as one insert command (a group insert), the updates of the claimed ones as
    `update` commands of up to `CAS_UPDATE_BATCH` statements. Returns per write whether it is
    known to be written: a lost claim (another writer, or a stale claim) writes nothing (False),
    and when a command's statements did not all match, which did is unknown (False for each;
    callers must treat False as "maybe not written", as the relay does: its events stay and go
    out again with the same ids). Each version written is claimed first, as in `compare_and_set`.
    """
    claims = claims_of(collection)
    claimed = await asyncio.gather(
        *(_claim(claims, doc_id, version + 1) for doc_id, version, _ in writes), return_exceptions=True
    )
    written = [False] * len(writes)
    todo = [i for i, ok in enumerate(claimed) if ok is True]

    async def update(chunk: list[int]) -> None:
        updates = [
            UpdateOne(
                {"_id": writes[i][0], "version": writes[i][1]}, {"$set": {**writes[i][2], "version": writes[i][1] + 1}}
            )
            for i in chunk
        ]
        result = await collection.bulk_write(updates, ordered=False)
        if result.matched_count == len(chunk):
            for i in chunk:
                written[i] = True

    failure = next((c for c in claimed if isinstance(c, BaseException)), None)
    try:
        if failure is None:
            # Concurrent commands, each of a few statements (the hazard is statements per command);
            # every one has ended before any claim is released (a claim released under a running
            # update would let another writer take the same version).
            chunks = [todo[n : n + CAS_UPDATE_BATCH] for n in range(0, len(todo), CAS_UPDATE_BATCH)]
            results = await asyncio.gather(*(update(chunk) for chunk in chunks), return_exceptions=True)
            failure = next((r for r in results if isinstance(r, BaseException)), None)
    finally:  # as `compare_and_set`: a claim whose write is not known to be done is removed at once
        for i in todo:
            _release(claims, writes[i][0], writes[i][1] + 1, written=written[i])
    if failure is not None:
        raise failure
    return written


class ProcessedEvents:
    """Idempotent-consumer guard: the ids of events a consumer group has handled, and its
    position (last sequence number handled) per aggregate.

    Each record's `_id` is `<consumer>:<event id>` (the unique primary index), so a second
    record for the same event cannot exist. The guard makes repeats cheap and skips effects;
    handlers still write their effects idempotently (deterministic ids, upserts), because a
    process can die after the effect and before `mark`.

    FerretDB v1 has no TTL indexes: `sweep` removes records older than the retention, called
    by the service runtime's background loop.
    """

    COLLECTION = "processed_events"
    POSITIONS = "consumer_positions"

    def __init__(self, db: AsyncDatabase[Document], consumer: str) -> None:
        self._collection = db[self.COLLECTION]
        self._positions = db[self.POSITIONS]
        self._consumer = consumer

    async def position(self, stream: str, subject: str) -> int:
        doc = await self._positions.find_one({"_id": f"{self._consumer}|{stream}|{subject}"}, {"seq": 1})
        return int(doc["seq"]) if doc else 0

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        key = {"_id": f"{self._consumer}|{stream}|{subject}"}
        change = {"$max": {"seq": sequence}, "$set": {"consumer": self._consumer, "updated_at": datetime.now(UTC)}}
        try:
            await self._positions.update_one(key, change, upsert=True)
        except DuplicateKeyError:
            # Another replica (a rebalance hands a partition over) created the position between
            # FerretDB's look and its insert: it exists now, so the plain update applies `$max`.
            await self._positions.update_one(key, change)

    async def sweep(self, retention: timedelta) -> int:
        """Forget handled events and positions not touched within `retention`; returns how many."""
        cutoff = datetime.now(UTC) - retention
        handled = await self._collection.delete_many({"consumer": self._consumer, "handled_at": {"$lt": cutoff}})
        positions = await self._positions.delete_many({"consumer": self._consumer, "updated_at": {"$lt": cutoff}})
        return handled.deleted_count + positions.deleted_count

    def _key(self, event_id: str) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": self._key(event_id)}, {"_id": 1}) is not None

    async def mark(self, event_id: str, event_type: str) -> bool:
        """Record the event as handled; False when it already was."""
        try:
            await self._collection.insert_one(
                {
                    "_id": self._key(event_id),
                    "consumer": self._consumer,
                    "event_id": event_id,
                    "event_type": event_type,
                    "handled_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True
