"""Fixtures: the billing service wired with in-memory stores, its broker under TestKafkaBroker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from billing_support import FixedClock
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from billing.adapters.memory import MemoryStores
from billing.bootstrap import Billing, bootstrap
from billing.config import Settings
from billing.service_layer.tariffs import seed_books
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.topics import dead_letter_topic
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import raw_body
from trygg_shared.settings import KafkaSettings


@dataclass
class Harness:
    billing: Billing
    stores: MemoryStores
    clock: FixedClock
    broker: KafkaBroker
    dead: list[Any]
    sequences: dict[str, int]

    async def send(
        self,
        event: IntegrationEvent,
        *,
        event_id: str | None = None,
        data: dict[str, Any] | None = None,
        sequence: int | None = None,
        source: str = "urn:trygghemgang:referral",
    ) -> str:
        subject = event.partition_key()
        if sequence is None:
            sequence = self.sequences.get(source + subject, 0) + 1
            self.sequences[source + subject] = sequence
        meta = EventMeta(
            id=event_id or str(uuid.uuid4()),
            type=event.EVENT_TYPE,
            source=source,
            subject=subject,
            time=datetime.now(UTC),
            sequence=sequence,
        )
        record = encode(meta, data if data is not None else event.model_dump(mode="json"))
        await self.broker.publish(
            record.value, topic=event.TOPIC, key=record.key, headers={k: v.decode() for k, v in record.headers.items()}
        )
        return meta.id


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    clock = FixedClock(datetime(2024, 4, 2, 8, 0, tzinfo=UTC))
    stores = MemoryStores()
    settings = Settings(kafka=KafkaSettings(retry_backoff_seconds=0, max_delivery_attempts=2))
    billing = bootstrap(settings, clock=clock, memory=stores)
    await seed_books(billing.deps)
    broker = billing.runtime.infra.broker
    dead: list[Any] = []

    @broker.subscriber(dead_letter_topic("billing"), decoder=raw_body)
    async def collect(body: bytes, msg: KafkaMessage) -> None:
        dead.append(msg)

    async with TestKafkaBroker(broker):
        yield Harness(billing, stores, clock, broker, dead, {})
