"""The outbox relay and the consumer chassis against real Kafka and the real MongoDB wire."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from tests.support import committed_offset, eventually, read_topic
from trygg_shared.contracts.referral import ReadyForDischarge, ReadyRevoked
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, dead_letter_topic
from trygg_shared.envelope import EventMeta, decode, encode
from trygg_shared.kafka import EventConsumer, EventPublisher, Handles, ensure_topics
from trygg_shared.metrics import ServiceMetrics
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.outbox import OutboxEvent, OutboxRelay, outbox_update
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import publish_record, sample_ready_for_discharge


def ready(case_id: str | None = None) -> ReadyForDischarge:
    return sample_ready_for_discharge(case_id)


async def _store_with_outbox(db: AsyncDatabase[Any], case_id: str) -> list[OutboxEvent]:
    events = [
        OutboxEvent.of(ready(case_id), 1),  # sequence numbers start at 1
        OutboxEvent.of(ReadyRevoked(case_id=case_id, person_ref="p_x", revoked_at=datetime.now(UTC)), 2),
    ]
    await db["cases"].insert_one({"_id": case_id, "outbox": {}, "version": 1})
    await db["cases"].update_one({"_id": case_id}, {"$set": outbox_update(events)})
    return events


async def test_the_relay_publishes_in_order_keyed_by_case_and_empties_the_outbox(
    db: AsyncDatabase[Any], topics: Endpoints, producer: KafkaBroker
) -> None:
    case_id = str(uuid.uuid4())
    events = await _store_with_outbox(db, case_id)
    relay = OutboxRelay([db["cases"]], EventPublisher(producer, "urn:test").publish)
    relay.metrics = ServiceMetrics("test").chassis
    first = min(e.time for e in events)
    stored = first.replace(microsecond=first.microsecond // 1000 * 1000)  # BSON dates hold milliseconds
    assert await relay.oldest_pending() == {"cases": stored}  # the outbox-age metric's reading
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0
    assert await relay.oldest_pending() == {"cases": None}
    published = relay.metrics.events_published
    assert published.labels(topic=REFERRAL_CASE_EVENTS, type=ReadyForDischarge.EVENT_TYPE)._value.get() == 1
    assert published.labels(topic=REFERRAL_CASE_EVENTS, type=ReadyRevoked.EVENT_TYPE)._value.get() == 1

    doc = await db["cases"].find_one({"_id": case_id})
    assert doc is not None
    assert doc["outbox"] == {}
    assert doc["outbox_pending"] is False
    records = await read_topic(topics.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    metas = [decode(dict(r.headers), r.key, r.value)[0] for r in records]
    assert [m.id for m in metas] == [e.event_id for e in events]
    assert [m.type for m in metas] == [ReadyForDischarge.EVENT_TYPE, ReadyRevoked.EVENT_TYPE]
    assert {r.partition for r in records} == {records[0].partition}  # one case, one partition


async def test_a_relay_that_dies_after_publishing_publishes_again_with_the_same_event_ids(
    db: AsyncDatabase[Any], topics: Endpoints, producer: KafkaBroker
) -> None:
    case_id = str(uuid.uuid4())
    events = await _store_with_outbox(db, case_id)
    published: list[str] = []
    publisher = EventPublisher(producer, "urn:test")

    async def publish_then_die(event: OutboxEvent) -> None:
        await publisher.publish(event)
        published.append(event.event_id)
        raise ConnectionError("process died before the outbox entry was removed")

    relay = OutboxRelay([db["cases"]], publish_then_die)
    with contextlib.suppress(ConnectionError):
        await relay.publish_pending()
    # A new process starts: everything still pending is published again.
    relay = OutboxRelay([db["cases"]], publisher.publish)
    assert await relay.publish_pending() == 2
    records = await read_topic(topics.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    ids = [decode(dict(r.headers), r.key, r.value)[0].id for r in records]
    assert ids == [events[0].event_id, events[0].event_id, events[1].event_id]


async def _start_consumer(bootstrap: str, db: AsyncDatabase[Any], group: str, seen: list[str]) -> KafkaBroker:
    broker = KafkaBroker(bootstrap)

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        seen.append(f"{event.case_id}/{meta.id}")
        await db["effects"].replace_one({"_id": meta.id}, {"_id": meta.id, "case_id": event.case_id}, upsert=True)

    EventConsumer(
        broker,
        topic=REFERRAL_CASE_EVENTS,
        group_id=group,
        handles=[Handles(ReadyForDischarge, handler)],
        guard=ProcessedEvents(db, group),
        settings=KafkaSettings(bootstrap_servers=bootstrap, retry_backoff_seconds=0),
    )
    await broker.start()
    return broker


async def _new_group(bootstrap: str, db: AsyncDatabase[Any]) -> tuple[str, list[str], KafkaBroker]:
    """A consumer group of its own for one test (with its dead-letter topic), started: the group, what its
    handler saw, the consumer."""
    group = f"it-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [dead_letter_topic(group)])
    seen: list[str] = []
    return group, seen, await _start_consumer(bootstrap, db, group, seen)


def _meta(event: ReadyForDischarge) -> EventMeta:
    """A new event id for the event, keyed by its case."""
    return EventMeta(str(uuid.uuid4()), event.EVENT_TYPE, "urn:test", event.case_id, datetime.now(UTC))


async def _send(broker: KafkaBroker, meta: EventMeta, data: dict[str, Any] | bytes, headers: Any = None) -> None:
    if isinstance(data, bytes):
        await broker.publish(data, topic=REFERRAL_CASE_EVENTS, key=meta.subject.encode(), headers=headers or {})
        return
    await publish_record(broker, REFERRAL_CASE_EVENTS, encode(meta, data))


async def test_a_consumer_handles_a_repeated_event_once_and_a_restart_does_not_handle_it_again(
    db: AsyncDatabase[Any], topics: Endpoints, producer: KafkaBroker
) -> None:
    group, seen, consumer = await _new_group(topics.kafka_bootstrap, db)
    case_id = str(uuid.uuid4())
    event = ready(case_id)
    meta = _meta(event)
    await _send(producer, meta, event.model_dump(mode="json"))
    await _send(producer, meta, event.model_dump(mode="json"))  # the same event id again

    async def handled() -> bool:
        return await db["processed_events"].count_documents({"event_id": meta.id}) == 1

    await eventually(handled, within=20)
    await asyncio.sleep(1.0)  # give the repeat time to arrive
    await consumer.stop()
    # Offsets were committed past both copies (after the handler, not by auto-commit).
    ours = [r for r in await read_topic(topics.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())]
    assert len(ours) == 2
    assert await committed_offset(topics.kafka_bootstrap, group, ours[-1]) == ours[-1].offset + 1
    assert [s for s in seen if s.startswith(case_id)] == [f"{case_id}/{meta.id}"]

    # A new process in the same group starts after the committed offsets: nothing is handled again.
    consumer = await _start_consumer(topics.kafka_bootstrap, db, group, seen)
    await asyncio.sleep(3.0)
    await consumer.stop()
    assert [s for s in seen if s.startswith(case_id)] == [f"{case_id}/{meta.id}"]
    assert await db["effects"].count_documents({"case_id": case_id}) == 1


async def test_a_poison_message_on_real_kafka_lands_on_the_dead_letter_topic_with_its_reason(
    db: AsyncDatabase[Any], topics: Endpoints, producer: KafkaBroker
) -> None:
    group, seen, consumer = await _new_group(topics.kafka_bootstrap, db)
    case_id = str(uuid.uuid4())
    event = ready(case_id)
    bad = {**event.model_dump(mode="json"), "liability_starts_at": "not a time"}
    meta = _meta(event)
    await _send(producer, meta, bad)
    good_meta = _meta(event)
    await _send(producer, good_meta, event.model_dump(mode="json"))

    async def good_handled() -> bool:
        return f"{case_id}/{good_meta.id}" in seen

    await eventually(good_handled, within=20)  # the partition moved on past the poison message
    await consumer.stop()
    dead = await read_topic(topics.kafka_bootstrap, dead_letter_topic(group), key=case_id.encode())
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["dlq_reason"].startswith("contract violation: liability_starts_at")
    assert headers["ce_id"] == meta.id
    assert json.loads(dead[0].value)["liability_starts_at"] == "not a time"
    assert [s for s in seen if s.startswith(case_id)] == [f"{case_id}/{good_meta.id}"]
