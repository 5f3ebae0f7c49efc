"""What `MongoAggregateStore` remembers of its own saves: the aggregate as saved (`saved_here`, for a
write without a read) and the whole outbox it handed to the relay (so the next save hands over
all of it instead of the relay reading the document back)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.aggregate import ConcurrencyConflict
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.referral import ReadyRevoked
from trygg_shared.mongo import Document
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.outbox import OutboxEvent, OutboxRelay


class NotesCodec:
    """The state is a list of notes."""

    def to_document(self, state: list[str]) -> Document:
        return {"notes": list(state)}

    def from_document(self, doc: Document) -> list[str]:
        return list(doc["notes"])

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return []


async def test_the_last_save_is_given_once_and_a_save_against_it_needs_no_read(db: AsyncDatabase[Any]) -> None:
    store = MongoAggregateStore(db, "notes", NotesCodec(), remember_saved=8)
    aid = str(uuid.uuid4())
    state = ["a"]
    await store.save(aid, 0, state, [])
    state.append("changed after the save")  # the copy is the saved one, not the caller's object
    copy = store.saved_here(aid)
    assert copy is not None
    assert (copy.state, copy.version) == (["a"], 1)
    assert store.saved_here(aid) is None  # given once
    copy.state.append("b")
    saved = await store.save(aid, copy.version, copy.state, [], last_sequence=copy.last_sequence)
    assert saved.version == 2
    loaded = await store.load(aid)
    assert loaded is not None
    assert loaded.state == ["a", "b"]
    assert store.saved_here(aid) is None  # a read is as new as the save: nothing is kept


async def test_a_copy_another_process_wrote_past_conflicts(db: AsyncDatabase[Any]) -> None:
    here = MongoAggregateStore(db, "notes", NotesCodec(), remember_saved=8)
    there = MongoAggregateStore(db, "notes", NotesCodec())
    aid = str(uuid.uuid4())
    await here.save(aid, 0, ["a"], [])
    await there.save(aid, 1, ["a", "there"], [])
    stale = here.saved_here(aid)
    assert stale is not None
    with pytest.raises(ConcurrencyConflict):
        await here.save(aid, stale.version, [*stale.state, "here"], [], last_sequence=stale.last_sequence)
    assert there.saved_here(aid) is None  # not asked to remember


async def test_only_the_latest_aggregates_are_remembered(db: AsyncDatabase[Any]) -> None:
    store = MongoAggregateStore(db, "notes", NotesCodec(), remember_saved=2)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for aid in ids:
        await store.save(aid, 0, [aid], [])
    assert store.saved_here(ids[0]) is None
    assert [c.state if c else None for c in map(store.saved_here, ids[1:])] == [[ids[1]], [ids[2]]]


class Spy:
    """The relay's side of the store: hand-overs (whole outboxes) and nudges (read back by `_id`)."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, int, list[int]]] = []
        self.nudged: list[str] = []

    def hand_over(self, doc_id: str, version: int, events: Sequence[OutboxEvent]) -> None:
        self.handed.append((doc_id, version, [e.seq for e in events]))

    def nudge(self, doc_id: str) -> None:
        self.nudged.append(doc_id)


class EventCodec(NotesCodec):
    """Each note is also an event on the wire."""

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return [ReadyRevoked(case_id=aggregate_id, person_ref="p_notes", revoked_at=datetime.now(UTC))]


async def test_a_save_against_the_version_it_handed_over_hands_over_the_whole_outbox(db: AsyncDatabase[Any]) -> None:
    store = MongoAggregateStore(db, "notes_out", EventCodec())
    spy = Spy()
    store.on_created = store.on_updated = spy.hand_over
    store.on_saved = spy.nudge
    aid = str(uuid.uuid4())
    await store.save(aid, 0, ["a"], ["a"])
    await store.save(aid, 1, ["a", "b"], ["b"], last_sequence=1)  # the relay has not emptied version 1
    assert spy.handed == [(aid, 1, [1]), (aid, 2, [1, 2])]
    assert spy.nudged == []
    doc = await db["notes_out"].find_one({"_id": aid})
    assert doc is not None
    assert sorted(e["seq"] for e in doc["outbox"].values()) == [1, 2]  # what was handed over: all of it
    # A save against a version this store did not write (another process's) is nudged, as before.
    await MongoAggregateStore(db, "notes_out", EventCodec()).save(aid, 2, ["a", "b", "c"], ["c"], last_sequence=2)
    loaded = await store.load(aid)
    assert loaded is not None
    await store.save(aid, loaded.version, ["a", "b", "c", "d"], ["d"], last_sequence=loaded.last_sequence)
    assert spy.nudged == [aid]


async def test_the_relay_takes_a_later_whole_outbox_in_place_of_an_earlier_one(db: AsyncDatabase[Any]) -> None:
    published: list[int] = []

    async def publish(event: OutboxEvent) -> None:
        published.append(event.seq)

    relay = OutboxRelay([db["notes_relay"]], publish)
    aid = str(uuid.uuid4())
    first = OutboxEvent.of(ReadyRevoked(case_id=aid, person_ref="p", revoked_at=datetime.now(UTC)), 1)
    second = OutboxEvent.of(ReadyRevoked(case_id=aid, person_ref="p", revoked_at=datetime.now(UTC)), 2)
    outbox = {e.event_id: e.model_dump() for e in (first, second)}
    await db["notes_relay"].insert_one({"_id": aid, "version": 2, "outbox": outbox, "outbox_pending": True})
    reads: list[str] = []
    real = relay._publish_by_id

    async def by_id(doc_id: str) -> int:
        reads.append(doc_id)
        return await real(doc_id)

    relay._publish_by_id = by_id  # type: ignore[method-assign]
    relay.hand_over(db["notes_relay"], aid, 1, [first])
    relay.hand_over(db["notes_relay"], aid, 2, [first, second])  # saved again before a round
    await relay._round()
    assert published == [1, 2]
    assert reads == []
    doc = await db["notes_relay"].find_one({"_id": aid})
    assert doc is not None
    assert doc["outbox"] == {}  # emptied at version 2: nothing left behind
    # An older or unrelated hand-over still makes the relay read the document.
    relay.hand_over(db["notes_relay"], aid, 3, [second])
    relay.hand_over(db["notes_relay"], aid, 4, [first])
    await relay._round()
    assert reads == [aid]
