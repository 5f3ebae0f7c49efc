"""The relay's fast path by `_id`, its full scan under the lease, and per-document failure isolation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from tests.support import eventually, read_topic
from trygg_shared.contracts.referral import ReadyRevoked
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.envelope import decode
from trygg_shared.kafka import EventPublisher
from trygg_shared.outbox import OutboxEvent, OutboxRelay, outbox_update
from trygg_shared.relay_lease import RelayLease

from .test_outbox_and_consumer import ready


class CountingRelay(OutboxRelay):
    """Counts full scans, to show the fast path needs none."""

    scans = 0

    async def publish_pending(self) -> int:
        self.scans += 1
        return await super().publish_pending()


class Recorder:
    """A publish function that records event ids and refuses those of `poisoned` cases."""

    def __init__(self, poisoned: set[str] | None = None) -> None:
        self.poisoned = poisoned or set()
        self.ids: list[str] = []

    async def __call__(self, event: OutboxEvent) -> None:
        if event.subject in self.poisoned:
            raise RuntimeError("the broker refused this event")
        self.ids.append(event.event_id)


async def _store(db: AsyncDatabase[Any], case_id: str | None = None) -> tuple[str, list[OutboxEvent]]:
    case_id = case_id or str(uuid.uuid4())
    events = [
        OutboxEvent.of(ready(case_id), 1),  # sequence numbers start at 1
        OutboxEvent.of(ReadyRevoked(case_id=case_id, person_ref="p_x", revoked_at=datetime.now(UTC)), 2),
    ]
    await db["cases"].insert_one({"_id": case_id, "outbox": {}, "version": 1})
    await db["cases"].update_one({"_id": case_id}, {"$set": outbox_update(events)})
    return case_id, events


async def _store_malformed(db: AsyncDatabase[Any]) -> str:
    case_id = str(uuid.uuid4())
    await db["cases"].insert_one({"_id": case_id, "outbox": {"x": {"not": "an event"}}, "outbox_pending": True})
    return case_id


async def _scanned(relay: CountingRelay) -> bool:
    return relay.scans == 1


async def _after_its_first_scan(db: AsyncDatabase[Any], recorder: Recorder) -> CountingRelay:
    """A started relay (its next full scan an hour away) that has made its scan at start."""
    relay = CountingRelay([db["cases"]], recorder, poll_interval=0.2, full_scan_seconds=3600)
    relay.start()
    try:
        await eventually(lambda: _scanned(relay), within=10)
    except BaseException:
        await relay.stop()
        raise
    return relay


async def _pending(db: AsyncDatabase[Any], case_id: str) -> bool:
    doc = await db["cases"].find_one({"_id": case_id})
    assert doc is not None
    return bool(doc["outbox"]) and doc["outbox_pending"] is True


async def _published(db: AsyncDatabase[Any], case_id: str) -> bool:
    doc = await db["cases"].find_one({"_id": case_id})
    return doc is not None and doc["outbox"] == {} and doc["outbox_pending"] is False


async def test_a_nudged_document_is_published_by_id_without_a_full_scan(
    db: AsyncDatabase[Any], topics: Endpoints
) -> None:
    broker = KafkaBroker(topics.kafka_bootstrap)
    await broker.start()
    relay = CountingRelay(
        [db["cases"]], EventPublisher(broker, "urn:test").publish, poll_interval=0.2, full_scan_seconds=3600
    )
    relay.start()
    try:
        await eventually(lambda: _scanned(relay), within=10)  # the scan at start
        case_id, events = await _store(db)
        not_nudged, _ = await _store(db)
        relay.nudge(case_id)

        await eventually(lambda: _published(db, case_id), within=5)
        await asyncio.sleep(1.0)  # a few poll intervals: still no scan, so the other stays pending
        assert relay.scans == 1
        assert await _pending(db, not_nudged)
        assert relay.published == 2
    finally:
        await relay.stop()
        await broker.stop()
    records = await read_topic(topics.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    assert [decode(dict(r.headers), r.key, r.value)[0].id for r in records] == [e.event_id for e in events]


async def test_a_nudge_without_an_id_asks_for_a_full_scan(db: AsyncDatabase[Any]) -> None:
    recorder = Recorder()
    relay = await _after_its_first_scan(db, recorder)
    try:
        case_id, events = await _store(db)
        relay.nudge()
        await eventually(lambda: _published(db, case_id), within=5)
        assert relay.scans == 2
        assert recorder.ids == [e.event_id for e in events]
    finally:
        await relay.stop()


async def test_the_full_scan_runs_again_after_full_scan_seconds(db: AsyncDatabase[Any]) -> None:
    recorder = Recorder()
    relay = CountingRelay([db["cases"]], recorder, poll_interval=0.1, full_scan_seconds=0.5)
    relay.start()
    try:
        case_id, _ = await _store(db)  # saved by a process that died before it nudged
        await eventually(lambda: _published(db, case_id), within=5)
        assert relay.scans >= 1
    finally:
        await relay.stop()


async def test_one_bad_document_does_not_stop_the_full_scan(db: AsyncDatabase[Any]) -> None:
    malformed = await _store_malformed(db)
    poisoned, poisoned_events = await _store(db)
    good, good_events = await _store(db)
    recorder = Recorder(poisoned={poisoned})

    assert await OutboxRelay([db["cases"]], recorder).publish_pending() == 2

    assert recorder.ids == [e.event_id for e in good_events]
    assert await _published(db, good)
    assert await _pending(db, poisoned)  # kept for the next scan
    assert await _pending(db, malformed)

    recorder.poisoned.clear()  # the cause is fixed: the next scan publishes it
    assert await OutboxRelay([db["cases"]], recorder).publish_pending() == 2
    assert recorder.ids[2:] == [e.event_id for e in poisoned_events]
    assert await _published(db, poisoned)
    assert await _pending(db, malformed)


async def test_one_bad_document_does_not_stop_the_fast_path(db: AsyncDatabase[Any]) -> None:
    holder = RelayLease(db["relay_leases"], "cases", ttl_seconds=60)
    assert await holder.acquire()  # another replica scans: this relay only has its fast path
    malformed = await _store_malformed(db)
    poisoned, _ = await _store(db)
    good, good_events = await _store(db)
    recorder = Recorder(poisoned={poisoned})
    lease = RelayLease(db["relay_leases"], "cases", ttl_seconds=60)
    relay = OutboxRelay([db["cases"]], recorder, poll_interval=0.2, full_scan_seconds=3600, lease=lease)

    relay.start()
    try:
        for case_id in (malformed, poisoned, "unknown-id", good):
            relay.nudge(case_id)
        await eventually(lambda: _published(db, good), within=5)
    finally:
        await relay.stop()
    assert recorder.ids == [e.event_id for e in good_events]
    assert await _pending(db, poisoned)
    assert await _pending(db, malformed)


async def test_an_outage_ends_the_round_instead_of_skipping_every_document(db: AsyncDatabase[Any]) -> None:
    case_id, _ = await _store(db)

    async def broker_down(event: OutboxEvent) -> None:
        raise KafkaConnectionError("no broker")

    with pytest.raises(KafkaConnectionError):
        await OutboxRelay([db["cases"]], broker_down).publish_pending()
    assert await _pending(db, case_id)


async def test_the_full_scan_needs_the_lease_but_the_fast_path_does_not(db: AsyncDatabase[Any]) -> None:
    holder = RelayLease(db["relay_leases"], "cases", ttl_seconds=60)
    assert await holder.acquire()
    case_id, events = await _store(db)
    recorder = Recorder()
    lease = RelayLease(db["relay_leases"], "cases", ttl_seconds=60)
    relay = CountingRelay([db["cases"]], recorder, poll_interval=0.1, full_scan_seconds=0.2, lease=lease)

    assert await relay.publish_pending() == 0  # another replica holds the lease
    assert await _pending(db, case_id)

    relay.start()
    try:
        await asyncio.sleep(0.6)
        assert relay.scans == 1  # only the direct call above: the loop never scanned
        relay.nudge(case_id)
        await eventually(lambda: _published(db, case_id), within=5)
    finally:
        await relay.stop()
    assert recorder.ids == [e.event_id for e in events]


class LeaseLostAfter(RelayLease):
    """A lease that is renewed `times` times, then lost to another replica."""

    def __init__(self, db: AsyncDatabase[Any], times: int) -> None:
        super().__init__(db["relay_leases"], "cases")
        self.left = times
        self.calls = 0

    async def acquire(self) -> bool:
        self.calls += 1
        self.left -= 1
        return self.left >= 0


async def test_the_full_scan_renews_the_lease_between_documents_and_stops_when_it_is_lost(
    db: AsyncDatabase[Any],
) -> None:
    for _ in range(3):
        await _store(db)
    lease = LeaseLostAfter(db, times=1)
    recorder = Recorder()

    assert await OutboxRelay([db["cases"]], recorder, lease=lease).publish_pending() == 2

    assert lease.calls == 2  # before the first document, and before the second (lost)
    assert len(recorder.ids) == 2
    assert await db["cases"].count_documents({"outbox_pending": True}) == 2


class NoReads(CountingRelay):
    """Fails the test if the fast path reads a document back by `_id`."""

    reads = 0

    async def _publish_by_id(self, doc_id: str) -> int:
        self.reads += 1
        return await super()._publish_by_id(doc_id)


async def test_a_handed_over_new_document_is_published_as_saved_without_reading_it_back(
    db: AsyncDatabase[Any],
) -> None:
    recorder = Recorder()
    relay = NoReads([db["cases"]], recorder, poll_interval=0.2, full_scan_seconds=3600)
    relay.start()
    try:
        await eventually(lambda: _scanned(relay), within=10)  # the scan at start; no other
        case_id = str(uuid.uuid4())
        events = [OutboxEvent.of(ready(case_id), 1)]
        await db["cases"].insert_one(
            {
                "_id": case_id,
                "version": 1,
                "outbox": {e.event_id: e.model_dump() for e in events},
                "outbox_pending": True,
            }
        )
        relay.hand_over(db["cases"], case_id, 1, events)
        await eventually(lambda: _published(db, case_id), within=5)
    finally:
        await relay.stop()
    assert recorder.ids == [e.event_id for e in events]
    assert relay.reads == 0
    assert relay.scans == 1


async def test_a_handed_over_document_saved_again_meanwhile_keeps_its_newer_events(db: AsyncDatabase[Any]) -> None:
    case_id = str(uuid.uuid4())
    first = OutboxEvent.of(ready(case_id), 1)
    newer = OutboxEvent.of(ReadyRevoked(case_id=case_id, person_ref="p_x", revoked_at=datetime.now(UTC)), 2)
    await db["cases"].insert_one(
        {
            "_id": case_id,
            "version": 2,
            "outbox": {first.event_id: first.model_dump(), newer.event_id: newer.model_dump()},
        }
    )
    recorder = Recorder()
    relay = OutboxRelay([db["cases"]], recorder)

    relay.hand_over(db["cases"], case_id, 1, [first])  # as created, at version 1; now at version 2
    await relay._round()

    doc = await db["cases"].find_one({"_id": case_id})
    assert doc is not None
    assert set(doc["outbox"]) == {first.event_id, newer.event_id}
    assert recorder.ids[:1] == [first.event_id]


async def test_documents_published_together_are_emptied_by_shared_commands(servers: Endpoints) -> None:
    class Updates(monitoring.CommandListener):
        count = 0

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if event.command_name == "update":
                self.count += 1

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

        def failed(self, event: monitoring.CommandFailedEvent) -> None: ...

    updates = Updates()
    client: AsyncMongoClient[Any] = AsyncMongoClient(servers.mongo_uri, tz_aware=True, event_listeners=[updates])
    db = client[f"it_{uuid.uuid4().hex[:12]}"]
    recorder = Recorder()
    relay = await _after_its_first_scan(db, recorder)  # the scan at start, of nothing yet
    try:
        stored = [await _store(db) for _ in range(8)]
        before = updates.count
        for case_id, events in stored:
            relay.hand_over(db["cases"], case_id, 1, events)  # version 1: as `_store` left them
        for case_id, _ in stored:
            await eventually(lambda case_id=case_id: _published(db, case_id), within=10)
        assert len(recorder.ids) == 16
        # 8 outboxes emptied with at most 4 statements per `update` command (the FerretDB v1
        # hazard), not one command each.
        assert updates.count - before <= 3
    finally:
        await relay.stop()
        await client.drop_database(db.name)
        await client.close()


async def test_a_round_whose_emptying_fails_publishes_again_and_loses_nothing(
    db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo.errors import AutoReconnect

    from trygg_shared import outbox

    real = outbox.compare_and_set_many
    failures = [AutoReconnect("the database blinked")]

    async def blinking(*args: Any, **kwargs: Any) -> list[bool]:
        if failures:
            raise failures.pop()
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, "compare_and_set_many", blinking)
    recorder = Recorder()
    relay = await _after_its_first_scan(db, recorder)
    try:
        case_id, events = await _store(db)
        relay.hand_over(db["cases"], case_id, 1, events)
        await eventually(lambda: _published(db, case_id), within=10)
    finally:
        await relay.stop()
    assert failures == []
    # Published, the emptying failed, read again by `_id` and published again (same ids), then emptied.
    assert recorder.ids == [e.event_id for e in events] * 2
    assert relay.scans == 1


async def test_a_save_at_the_published_version_empties_the_outbox_instead_of_the_relay(
    db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from trygg_shared import outbox
    from trygg_shared.mongo import compare_and_set_many as real

    from .test_aggregate_store_mongo import Counted, Counter, counters

    relay_writes: list[list[Any]] = []

    async def counting(collection: Any, writes: Any) -> list[bool]:
        relay_writes.append([(doc_id, version) for doc_id, version, _ in writes])
        return await real(collection, writes)

    monkeypatch.setattr(outbox, "compare_and_set_many", counting)
    store = counters(db)
    recorder = Recorder()
    relay = CountingRelay([store.collection], recorder, poll_interval=0.1, full_scan_seconds=3600, settle_seconds=1.5)
    # As `Infrastructure.outbox_relay` wires them (hand_over="written").
    store.on_saved = relay.nudge
    store.on_created = store.on_updated = partial(relay.hand_over, store.collection)
    store.published_version = partial(relay.published_version, store.collection)
    store.on_outbox_dropped = partial(relay.dropped, store.collection)
    relay.start()
    try:
        await eventually(lambda: _scanned(relay), within=10)
        counter_id = str(uuid.uuid4())
        await store.save(counter_id, 0, Counter(1, ["+1"]), [Counted(1)])
        await eventually(lambda: _count(recorder.ids, 1), within=5)
        first = await db["counters"].find_one({"_id": counter_id})
        assert first is not None
        assert len(first["outbox"]) == 1  # published, waiting to settle
        assert relay.published_version(store.collection, counter_id) == 1
        assert await relay.publish_pending() == 0  # the full scan leaves it alone: published at this version

        # The document's next save (a delivery report, say) at the version the relay published:
        await store.save(counter_id, 1, Counter(2, ["+1", "+2"]), [Counted(2)], last_sequence=1)
        second = await db["counters"].find_one({"_id": counter_id})
        assert second is not None
        assert [e["seq"] for e in second["outbox"].values()] == [2]  # the published event went with the save
        await eventually(lambda: _count(recorder.ids, 2), within=5)
        await eventually(lambda: _settled(db, counter_id), within=10)  # the relay empties the last one itself
    finally:
        await relay.stop()
    assert len(set(recorder.ids)) == 2  # each event once
    assert relay_writes == [[(counter_id, 2)]]  # one write of the relay's: the last outbox, not the first


async def _count(ids: list[str], n: int) -> bool:
    return len(ids) == n


async def _settled(db: AsyncDatabase[Any], counter_id: str) -> bool:
    doc = await db["counters"].find_one({"_id": counter_id})
    return doc is not None and doc["outbox"] == {} and doc["outbox_pending"] is False
