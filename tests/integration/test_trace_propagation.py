"""Trace context travels from the request that caused an event, through the outbox and Kafka, to the consumer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from trygg_shared.contracts.referral import ReadyRevoked
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, dead_letter_topic
from trygg_shared.envelope import EventMeta
from trygg_shared.kafka import EventConsumer, EventPublisher, Handles, create_broker, ensure_topics
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.outbox import OutboxEvent, OutboxRelay, outbox_update
from trygg_shared.settings import KafkaSettings

from ..support import eventually


async def test_the_consumer_continues_the_trace_of_the_request_that_caused_the_event(
    db: AsyncDatabase[Any], topics: Endpoints
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    settings = KafkaSettings(bootstrap_servers=topics.kafka_bootstrap, retry_backoff_seconds=0)
    group = f"trace-{uuid.uuid4().hex[:8]}"
    await ensure_topics(topics.kafka_bootstrap, [dead_letter_topic(group)])
    case_id = str(uuid.uuid4())

    # A request handler records an event inside its span; the event waits in the outbox.
    with tracer.start_as_current_span("POST /webhooks/lus") as request_span:
        event = OutboxEvent.of(ReadyRevoked(case_id=case_id, person_ref="p", revoked_at=datetime.now(UTC)), 1)
    await db["cases"].insert_one({"_id": case_id, "outbox": {}, "version": 1})
    await db["cases"].update_one({"_id": case_id}, {"$set": outbox_update([event])})

    seen: dict[str, int] = {}

    async def handler(received: ReadyRevoked, meta: EventMeta) -> None:
        if received.case_id == case_id:
            seen["trace_id"] = trace.get_current_span().get_span_context().trace_id

    consumer = create_broker(settings, "trace-consumer", provider)
    EventConsumer(
        consumer,
        topic=REFERRAL_CASE_EVENTS,
        group_id=group,
        handles=[Handles(ReadyRevoked, handler)],
        guard=ProcessedEvents(db, group),
        settings=settings,
    )
    producer = create_broker(settings, "trace-producer", provider)
    await consumer.start()
    await producer.start()
    try:
        await OutboxRelay([db["cases"]], EventPublisher(producer, "urn:test").publish).publish_pending()

        async def handled() -> bool:
            return "trace_id" in seen

        await eventually(handled, within=20)
    finally:
        await producer.stop()
        await consumer.stop()

    assert event.traceparent is not None
    assert seen["trace_id"] == request_span.get_span_context().trace_id
