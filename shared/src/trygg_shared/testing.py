"""Test support shipped with the shared package: sample events built from the real contracts, and
events put on Kafka as a service's outbox relay puts them (tests, e2e runs and benchmarks)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from faststream.kafka import KafkaBroker

from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.referral import (
    CareUnit,
    DecisionGranted,
    ReadyForDischarge,
    Relative,
)
from trygg_shared.envelope import EventMeta, KafkaRecord, encode
from trygg_shared.vocabulary.referral import CareType, DecisionType, Language


def sample_ready_for_discharge(case_id: str | None = None, person_ref: str | None = None) -> ReadyForDischarge:
    """A valid ready-for-discharge event (a new case id unless one is given)."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    return ReadyForDischarge(
        case_id=case_id or str(uuid.uuid4()),
        person_ref=person_ref or "p_" + uuid.uuid4().hex,
        episode_id="TC-1",
        care_unit=CareUnit(hsa_id="SE1", name="Avd 61"),
        care_type=CareType.SOMATIC,
        ready_at=now,
        liability_starts_at=now,
        agreement_id="national-default",
        agreement_version=1,
        daily_price_sek=9300,
    )


def sample_decision_granted(
    phone: str, *, case_id: str | None = None, team: str = "Team Väst", granted_by: str = "officer:test"
) -> DecisionGranted:
    """A Trygg hemgång decision of 14 days from today with one relative (Swedish, consent to SMS) at `phone`."""
    return DecisionGranted(
        case_id=case_id or str(uuid.uuid4()),
        person_ref="p_" + uuid.uuid4().hex,
        decision_id="d_" + uuid.uuid4().hex,
        decision_type=DecisionType.TRYGG_HEMGANG,
        start_date=date.today(),
        length_days=14,
        team=team,
        relatives=(Relative(relative_id="rel1", name="Anhörig", phone=phone, language=Language.SV, consent=True),),
        granted_by=granted_by,
        granted_at=datetime.now(UTC),
    )


def event_record(
    event: IntegrationEvent,
    *,
    source: str = "urn:test",
    sequence: int | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> KafkaRecord:
    """The event in its CloudEvents envelope, keyed by its partition key, as a relay publishes it (a new id and
    the current time unless given); `data` replaces the body (a broken one)."""
    meta = EventMeta(
        id=event_id or str(uuid.uuid4()),
        type=event.EVENT_TYPE,
        source=source,
        subject=event.partition_key(),
        time=time or datetime.now(UTC),
        sequence=sequence,
    )
    return encode(meta, data if data is not None else event.model_dump(mode="json"))


async def publish_record(broker: KafkaBroker, topic: str, record: KafkaRecord) -> None:
    """Put an encoded record on a topic as the relay does (headers as text)."""
    headers = {k: v.decode() for k, v in record.headers.items()}
    await broker.publish(record.value, topic=topic, key=record.key, headers=headers)


async def publish_event(
    broker: KafkaBroker,
    event: IntegrationEvent,
    *,
    source: str = "urn:test",
    sequence: int | None = None,
    event_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Publish a contract on its own topic as the service that owns it does (see `event_record`)."""
    record = event_record(event, source=source, sequence=sequence, event_id=event_id, data=data)
    await publish_record(broker, event.TOPIC, record)
