"""`MongoAggregateStore` and `ProcessedEvents` on the real MongoDB wire (FerretDB locally)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.aggregate import ConcurrencyConflict, Loaded, update_aggregate
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.referral import ReadyRevoked
from trygg_shared.mongo import Document, ProcessedEvents
from trygg_shared.mongo_store import MongoAggregateStore


@dataclass
class Counter:
    """A tiny aggregate: a number and the notes of each change."""

    value: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Counted:
    """A domain event of the counter; its wire form borrows a real contract."""

    by: int


class CounterCodec:
    def to_document(self, state: Counter) -> Document:
        return {"value": state.value, "notes": list(state.notes)}

    def from_document(self, doc: Document) -> Counter:
        return Counter(int(doc["value"]), list(doc["notes"]))

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        assert isinstance(event, Counted)
        revoked_at = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=event.by)
        return [ReadyRevoked(case_id=aggregate_id, person_ref="p_counter", revoked_at=revoked_at)]


def counters(db: AsyncDatabase[Any]) -> MongoAggregateStore[Counter]:
    return MongoAggregateStore(db, "counters", CounterCodec())


def add(by: int) -> Any:
    def change(state: Counter) -> tuple[int, list[object]]:
        state.value += by
        state.notes.append(f"+{by}")
        return state.value, [Counted(by)]

    return change


async def stored(store: MongoAggregateStore[Counter], aggregate_id: str) -> Loaded[Counter]:
    """The aggregate as the store loads it (it must exist)."""
    loaded = await store.load(aggregate_id)
    assert loaded is not None
    return loaded


async def counter_document(db: AsyncDatabase[Any], aggregate_id: str) -> Document:
    """The aggregate's document as stored (state and outbox), read past the store."""
    doc: Document | None = await db["counters"].find_one({"_id": aggregate_id})
    assert doc is not None
    return doc


async def test_state_and_outbox_are_written_in_one_document(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    saved_ids: list[str] = []
    store.on_saved = saved_ids.append
    aggregate_id = str(uuid.uuid4())

    saved = await store.save(aggregate_id, 0, Counter(2, ["+2"]), [Counted(2)])

    assert (saved.version, saved.sequences) == (1, (1,))
    doc = await counter_document(db, aggregate_id)
    assert (doc["value"], doc["version"], doc["last_seq"], doc["outbox_pending"]) == (2, 1, 1, True)
    [entry] = doc["outbox"].values()
    assert (entry["seq"], entry["subject"], entry["event_type"]) == (1, aggregate_id, ReadyRevoked.EVENT_TYPE)
    assert saved_ids == [aggregate_id]


async def test_sequence_numbers_continue_across_saves(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    aggregate_id = str(uuid.uuid4())
    await store.save(aggregate_id, 0, Counter(1), [Counted(1), Counted(1)])
    loaded = await stored(store, aggregate_id)
    assert (loaded.version, loaded.last_sequence) == (1, 2)

    saved = await store.save(aggregate_id, 1, Counter(4), [Counted(3)], last_sequence=loaded.last_sequence)

    assert saved.sequences == (3,)
    doc = await counter_document(db, aggregate_id)
    assert sorted(e["seq"] for e in doc["outbox"].values()) == [1, 2, 3]
    again = await stored(store, aggregate_id)
    assert (again.state.value, again.version, again.last_sequence) == (4, 2, 3)


async def test_a_save_against_a_stale_version_is_a_conflict_and_writes_nothing(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    aggregate_id = str(uuid.uuid4())
    await store.save(aggregate_id, 0, Counter(1), [Counted(1)])
    await store.save(aggregate_id, 1, Counter(2), [Counted(1)], last_sequence=1)

    with pytest.raises(ConcurrencyConflict):
        await store.save(aggregate_id, 1, Counter(99), [Counted(98)], last_sequence=1)
    with pytest.raises(ConcurrencyConflict):  # a second creation of the same id
        await store.save(aggregate_id, 0, Counter(99), [Counted(98)])

    loaded = await stored(store, aggregate_id)
    assert (loaded.state.value, loaded.version, loaded.last_sequence) == (2, 2, 2)


async def test_a_save_without_events_changes_the_state_and_leaves_the_outbox_alone(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    aggregate_id = str(uuid.uuid4())
    await store.save(aggregate_id, 0, Counter(1), [])
    doc = await counter_document(db, aggregate_id)
    assert (doc["outbox"], doc["outbox_pending"], doc["last_seq"]) == ({}, False, 0)


async def test_concurrent_updates_both_land_through_the_one_retry_policy(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    aggregate_id = str(uuid.uuid4())
    await store.save(aggregate_id, 0, Counter(), [])

    results = await asyncio.gather(*(update_aggregate(store, aggregate_id, add(by)) for by in (1, 10, 100)))

    loaded = await stored(store, aggregate_id)
    assert loaded.state.value == 111
    assert sorted(loaded.state.notes) == ["+1", "+10", "+100"]
    assert max(results) == 111
    assert (loaded.version, loaded.last_sequence) == (4, 3)
    doc = await counter_document(db, aggregate_id)
    assert sorted(e["seq"] for e in doc["outbox"].values()) == [1, 2, 3]


async def test_update_aggregate_creates_the_aggregate_once(db: AsyncDatabase[Any]) -> None:
    store = counters(db)
    aggregate_id = str(uuid.uuid4())
    await asyncio.gather(*(update_aggregate(store, aggregate_id, add(1), create=Counter) for _ in range(3)))
    loaded = await stored(store, aggregate_id)
    assert loaded.state.value == 3


async def test_create_first_writes_a_new_aggregate_without_reading_and_an_existing_one_once(
    db: AsyncDatabase[Any],
) -> None:
    reads: list[str] = []

    class Reading(MongoAggregateStore[Counter]):
        async def load(self, aggregate_id: str) -> Loaded[Counter] | None:
            reads.append(aggregate_id)
            return await super().load(aggregate_id)

    store = Reading(db, "counters", CounterCodec())
    new_id, old_id = str(uuid.uuid4()), str(uuid.uuid4())
    await counters(db).save(old_id, 0, Counter(value=5), [])  # stored by "another process"

    await update_aggregate(store, new_id, add(1), create=Counter, create_first=True)
    assert reads == []  # new: created without a read
    await update_aggregate(store, old_id, add(1), create=Counter, create_first=True)
    assert reads == [old_id]  # the create lost (nothing written), then read and changed once
    await update_aggregate(store, old_id, add(1), create=Counter, create_first=True)
    assert reads == [old_id, old_id]  # known now: read first, no failed create

    assert (await stored(store, new_id)).state.value == 1
    loaded = await stored(store, old_id)
    assert (loaded.state.value, loaded.version, loaded.last_sequence) == (7, 3, 2)
    assert await db["counters"].count_documents({"_id": old_id}) == 1


async def test_processed_events_track_positions_that_only_move_forward(db: AsyncDatabase[Any]) -> None:
    guard = ProcessedEvents(db, "group-a")
    other = ProcessedEvents(db, "group-b")
    assert await guard.position("urn:src", "case-1") == 0

    await guard.advance("urn:src", "case-1", 3)
    await guard.advance("urn:src", "case-1", 2)  # a stale event never moves it back

    assert await guard.position("urn:src", "case-1") == 3
    assert await guard.position("urn:src", "case-2") == 0
    assert await other.position("urn:src", "case-1") == 0  # per consumer group


async def test_two_replicas_advancing_a_new_position_at_once_both_succeed(db: AsyncDatabase[Any]) -> None:
    """A rebalance may hand a subject to another replica mid-event: racing first writes raise nothing.

    (FerretDB v1 applies `$max` as read-modify-write, so which racer's value stands is not
    promised; the handled-event marks, unique per event id, are what keep an effect single.)
    """
    replicas = [ProcessedEvents(db, "group-a") for _ in range(8)]
    for subject in range(5):  # the race is won differently each time
        await asyncio.gather(*(g.advance("urn:src", f"new-{subject}", n + 1) for n, g in enumerate(replicas)))
        assert 1 <= await replicas[0].position("urn:src", f"new-{subject}") <= len(replicas)


async def test_processed_events_are_marked_once_and_swept_after_the_retention(db: AsyncDatabase[Any]) -> None:
    guard = ProcessedEvents(db, "group-a")
    assert await guard.mark("e-1", "t") is True
    assert await guard.mark("e-1", "t") is False
    assert await guard.seen("e-1") is True
    await guard.advance("urn:src", "case-1", 1)
    old = datetime.now(UTC) - timedelta(days=40)
    await db[ProcessedEvents.COLLECTION].insert_one(
        {"_id": "group-a:e-old", "consumer": "group-a", "event_id": "e-old", "event_type": "t", "handled_at": old}
    )
    await db[ProcessedEvents.POSITIONS].update_many({"consumer": "group-a"}, {"$set": {"updated_at": old}})

    removed = await guard.sweep(timedelta(days=30))

    assert removed == 2  # the old handled event and the old position
    assert await guard.seen("e-old") is False
    assert await guard.seen("e-1") is True
    assert await guard.position("urn:src", "case-1") == 0
