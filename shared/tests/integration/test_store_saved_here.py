"""`MongoAggregateStore.saved_here`: the aggregate as this process saved it, for a write without a read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.aggregate import ConcurrencyConflict
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mongo import Document
from trygg_shared.mongo_store import MongoAggregateStore


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
