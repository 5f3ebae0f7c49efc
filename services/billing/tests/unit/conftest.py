"""Fixtures: the billing service wired with in-memory stores, its broker under TestKafkaBroker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from billing_support import FixedClock
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from billing.adapters.memory import MemoryStores
from billing.bootstrap import Billing, bootstrap
from billing.config import Settings
from billing.service_layer.tariffs import seed_books
from trygg_shared.contracts import referral as ref
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


def granted(
    case_id: str,
    person_ref: str,
    start: date,
    length: int,
    *,
    decision_id: str | None = None,
    kind: ref.DecisionType = ref.DecisionType.TRYGG_HEMGANG,
    at: datetime | None = None,
) -> ref.DecisionGranted:
    return ref.DecisionGranted(
        case_id=case_id,
        person_ref=person_ref,
        decision_id=decision_id or f"d-{uuid.uuid4().hex[:8]}",
        decision_type=kind,
        start_date=start,
        length_days=length,
        team="Team Väst",
        relatives=(ref.Relative(relative_id="r1", name="Karin Lindqvist", phone="+46709998877", consent=True),),
        granted_by="officer:anna",
        granted_at=at or datetime(2024, 3, 1, 9, tzinfo=UTC),
    )


def subject(case_id: str, person_ref: str) -> ref.BillingSubjectRegistered:
    return ref.BillingSubjectRegistered(
        case_id=case_id,
        person_ref=person_ref,
        id_type="personnummer",
        identity_number="194010092387",
        given_name="Astrid",
        family_name="Lindqvist",
        address=ref.Address(street="Exempelgatan 4", postal_code="81330", city="Hofors", municipality_code="2104"),
    )
