"""The dispatcher's due query reads hour buckets on FerretDB, not every queued message.

FerretDB v1 pushes only top-level equalities down to PostgreSQL; everything else it decides by
decoding each row the equality selected. So "rows read" by a find is the number of documents
that match its filter's top-level equalities, which is what these tests count (with a command
listener on the queries' own client): a poll with many future reminders queued reads the due
bucket only; a message written before buckets existed is found by the start-up sweep and
bucketed; a message left due in an older bucket after the hour turned is still found.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from devstack.testing import Endpoints
from notification.adapters import mongo
from notification.domain.contacts import Language
from notification.domain.message import Message, MessageState, RecipientKind
from notification.domain.templates import MessageKind
from trygg_shared.clock import FixedClock
from trygg_shared.indexes import ensure_indexes
from trygg_shared.timers import hour_key

NOW = datetime(2026, 12, 7, 10, 20, tzinfo=UTC)


class Finds(CommandListener):
    """The filters of the `find` commands on `messages`."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == mongo.MESSAGES:
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: CommandSucceededEvent) -> None: ...

    def failed(self, event: CommandFailedEvent) -> None: ...


@dataclass
class Bucketed:
    """A fresh database with the service's indexes, its `find` filters, a fixed clock and the stores."""

    db: AsyncDatabase[dict[str, Any]]
    finds: Finds
    clock: FixedClock
    stores: mongo.Stores

    def queries(self) -> mongo.MongoMessageQueries:
        return mongo.MongoMessageQueries(self.db, self.stores.messages)


@pytest.fixture
async def listened(servers: Endpoints) -> AsyncIterator[Bucketed]:
    finds = Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_uri, tz_aware=True, event_listeners=[finds]
    )
    name = f"it_{uuid.uuid4().hex[:12]}"
    try:
        db = client[name]
        await ensure_indexes(db, mongo.INDEXES, servers.postgres_url)
        clock = FixedClock(NOW)
        yield Bucketed(db, finds, clock, mongo.Stores(db, ZoneInfo("Europe/Stockholm"), clock))
        await client.drop_database(name)
    finally:
        await client.close()


def message(not_before: datetime, state: MessageState = MessageState.QUEUED, **fields: Any) -> Message:
    return Message(
        message_id=str(uuid.uuid4()),
        kind=MessageKind.FOLLOW_UP_MEETING,
        recipient=RecipientKind.RELATIVE,
        recipient_id="r-1",
        to="+46701112233",
        text="Påminnelse",
        language=Language.SV,
        created_at=NOW - timedelta(days=1),
        not_before=not_before,
        case_id="case-1",
        state=state,
        **fields,
    )


async def rows_read(db: AsyncDatabase[dict[str, Any]], filters: list[dict[str, Any]]) -> int:
    """The documents FerretDB reads for these finds: those matching their top-level equalities."""
    total = 0
    for query in filters:
        pushed = {k: v for k, v in query.items() if not isinstance(v, dict)}
        total += await db[mongo.MESSAGES].count_documents(pushed)
    return total


async def save_all(stores: mongo.Stores, messages: list[Message]) -> None:
    for m in messages:
        await stores.messages.save(m.message_id, 0, m, [])


async def test_a_poll_with_many_future_reminders_queued_reads_only_the_due_bucket(listened: Bucketed) -> None:
    db, finds, clock, stores = listened.db, listened.finds, listened.clock, listened.stores
    future = [message(NOW + timedelta(days=d % 5 + 1, minutes=d)) for d in range(120)]
    due = message(NOW - timedelta(seconds=5))
    later_this_hour = message(NOW + timedelta(minutes=10))
    lapsed = message(
        NOW - timedelta(minutes=1), MessageState.SENDING, attempts=1, claim_until=NOW - timedelta(seconds=1)
    )
    await save_all(stores, [*future, due, later_this_hour, lapsed])
    stored = await db[mongo.MESSAGES].find_one({"_id": future[0].message_id})
    assert stored is not None
    assert stored["due_hour"] == hour_key(future[0].not_before)
    queries = listened.queries()

    await queries.due_messages(clock.now(), 50)  # the start-up sweep: reads every queued message, once
    finds.filters.clear()
    clock.advance(seconds=1)
    found = await queries.due_messages(clock.now(), 50)

    assert [m.state.message_id for m in found] == [due.message_id, lapsed.message_id]  # oldest first
    assert finds.filters
    assert all(set(f) == {"due_hour"} for f in finds.filters)
    # The current hour's bucket: the two due and the one due later this hour; none of the 120.
    assert await rows_read(db, finds.filters) == 3
    assert queries.sweeps == 1


async def test_a_message_written_without_a_bucket_is_found_by_the_start_up_sweep_and_bucketed(
    listened: Bucketed,
) -> None:
    db, finds, clock, stores = listened.db, listened.finds, listened.clock, listened.stores
    due, tomorrow = message(NOW - timedelta(hours=30)), message(NOW + timedelta(days=1, minutes=7))
    await save_all(stores, [due, tomorrow])
    await db[mongo.MESSAGES].update_many({}, {"$unset": {"due_hour": ""}})  # as written before buckets
    queries = listened.queries()

    [found] = await queries.due_messages(clock.now(), 50)
    assert found.state.message_id == due.message_id
    assert found.version == 2  # bucketed by a save at its version: the claim is written against that
    docs = {d["_id"]: d async for d in db[mongo.MESSAGES].find({}, {"due_hour": 1})}
    assert docs[due.message_id]["due_hour"] == hour_key(NOW)  # past due: the current hour
    assert docs[tomorrow.message_id]["due_hour"] == hour_key(tomorrow.not_before)

    # Tomorrow, in that hour: the poll reads the bucket and sends it.
    clock.moment = tomorrow.not_before + timedelta(seconds=1)
    await queries.due_messages(clock.now(), 50)  # the hour turned: a sweep
    finds.filters.clear()
    clock.advance(seconds=1)
    found_then = await queries.due_messages(clock.now(), 50)
    assert {m.state.message_id for m in found_then} == {due.message_id, tomorrow.message_id}
    assert all(set(f) == {"due_hour"} for f in finds.filters)


async def test_a_message_left_due_in_an_older_bucket_is_found_after_the_hour_turned(listened: Bucketed) -> None:
    finds, clock, stores = listened.finds, listened.clock, listened.stores
    waiting = message(NOW + timedelta(minutes=5))
    queries = listened.queries()
    assert await queries.due_messages(clock.now(), 50) == []  # the start-up sweep: nothing
    await save_all(stores, [waiting])

    # Not sent in its hour (its dispatch failed, say): two hours later it is still due.
    clock.moment = NOW + timedelta(hours=2, minutes=10)
    [first] = await queries.due_messages(clock.now(), 50)  # the sweep of the new hour
    finds.filters.clear()
    clock.advance(seconds=1)
    [again] = await queries.due_messages(clock.now(), 50)  # its bucket is read until it leaves it
    assert first.state.message_id == again.state.message_id == waiting.message_id
    assert {f["due_hour"] for f in finds.filters} == {hour_key(NOW), hour_key(clock.now())}
