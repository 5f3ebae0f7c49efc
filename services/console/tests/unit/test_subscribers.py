"""The console's Kafka subscribers on FastStream's TestKafkaBroker: real envelopes, the real chassis."""

from __future__ import annotations

import json
from typing import Any

from console_support import march_2026, memory_feed
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from console.adapters.memory import MemoryReadModel, memory_stores
from console.adapters.mongo import FactSetCodec, case_fields
from console.entrypoints.subscribers import Subscribers, consumers
from console.service_layer.projections import Stores
from trygg_shared.contracts import referral as rf
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, dead_letter_topic
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import raw_body
from trygg_shared.memory import MemoryHandledEvents as FakeHandledEvents
from trygg_shared.settings import KafkaSettings


class Wired:
    def __init__(self) -> None:
        self.broker = KafkaBroker()
        self.stores: Stores = memory_stores()
        self.feed = memory_feed()
        self.guards: dict[str, FakeHandledEvents] = {}
        self.dead: list[Any] = []
        self.consumers = consumers(
            self.broker,
            Subscribers(self.stores, self.feed),
            lambda group: self.guards.setdefault(group, FakeHandledEvents()),
            KafkaSettings(retry_backoff_seconds=0, max_delivery_attempts=2),
        )

        @self.broker.subscriber(dead_letter_topic("console.referral"), decoder=raw_body)
        async def collect(body: bytes, msg: KafkaMessage) -> None:
            self.dead.append(msg)

        self.read_model = MemoryReadModel(self.stores)

    async def publish(self, event: IntegrationEvent, meta: EventMeta, *, value: bytes | None = None) -> None:
        record = encode(meta, event.model_dump(mode="json"))
        await self.broker.publish(
            value if value is not None else record.value,
            topic=event.TOPIC,
            key=record.key,
            headers={k: v.decode() for k, v in record.headers.items()},
        )


async def test_every_stream_lands_in_the_read_model_through_the_real_consumers() -> None:
    wired = Wired()
    async with TestKafkaBroker(wired.broker):
        for event, meta in march_2026().items:
            await wired.publish(event, meta)
    cases = {c.case_id: c for c in await wired.read_model.cases()}
    assert set(cases) == {"A", "B", "B2", "C", "D", "E", "F", "G"}
    assert cases["A"].period is not None
    assert cases["A"].period.ended_on is not None
    assert (await wired.read_model.teams())["vast"].name == "Team Väst"
    assert cases["A"].name == "Test Person A"  # from referral's person-contacts topic
    assert {a.alert_id for a in await wired.read_model.alerts(open_only=True)} == {"missed:V-G-3", "liability:D"}
    assert {c.group_id for c in wired.consumers} == {
        "console.referral",
        "console.referral-person-contacts",
        "console.scheduling-periods",
        "console.scheduling-teams",
        "console.notification",
        "console.billing",
    }
    assert wired.dead == []
    assert wired.feed.version > 0


async def test_a_repeated_event_is_recorded_once() -> None:
    wired = Wired()
    event, meta = march_2026().items[1]  # E's admission notice
    async with TestKafkaBroker(wired.broker):
        await wired.publish(event, meta)
        await wired.publish(event, meta)
    found = await wired.read_model.case("E")
    assert found is not None
    assert len(found[1]) == 1


async def test_a_reordered_older_event_is_still_applied_because_the_views_are_folds_of_sets() -> None:
    wired = Wired()
    items = [
        (e, m) for e, m in march_2026().items if getattr(e, "case_id", None) == "C" and e.TOPIC == REFERRAL_CASE_EVENTS
    ]
    admission, ready, decision, discharge = items
    async with TestKafkaBroker(wired.broker):
        await wired.publish(*discharge)  # sequence 4 first
        await wired.publish(*ready)  # sequence 2: stale for the chassis, applied by the console
        await wired.publish(*admission)
        await wired.publish(*decision)
    found = await wired.read_model.case("C")
    assert found is not None
    case, _ = found
    assert case.ready_at is not None
    assert case.discharged_at is not None
    assert case.status.value == "discharged"
    assert not case.on_board


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_consumption_goes_on() -> None:
    wired = Wired()
    items = march_2026().items
    (event, meta), (good, good_meta) = items[1], items[2]
    async with TestKafkaBroker(wired.broker):
        await wired.publish(event, meta, value=b'{"case_id": 17}')  # breaks the contract
        await wired.publish(good, good_meta)
    assert len(wired.dead) == 1
    headers = dict(wired.dead[0].headers)
    assert headers["dlq_reason"].startswith("contract violation")
    assert headers["dlq_original_topic"] == REFERRAL_CASE_EVENTS
    assert await wired.read_model.case("E") is not None  # the next message was handled


async def test_an_event_type_the_console_does_not_know_is_ignored() -> None:
    wired = Wired()
    event, meta = march_2026().items[1]
    unknown = EventMeta(meta.id, "se.trygghemgang.referral.something_new.v1", meta.source, meta.subject, meta.time, 1)
    async with TestKafkaBroker(wired.broker):
        await wired.publish(event, unknown)
    assert await wired.read_model.cases() == []
    assert wired.dead == []


async def test_of_the_persons_contact_details_only_the_name_is_stored() -> None:
    wired = Wired()
    async with TestKafkaBroker(wired.broker):
        for event, meta in march_2026().items:
            await wired.publish(event, meta)
    loaded = await wired.stores.cases.load("A")
    assert loaded is not None
    stored = json.dumps(FactSetCodec(case_fields).to_document(loaded.state), default=str)  # as MongoDB gets it

    assert "Test" in stored
    assert "Person A" in stored
    assert "Gatan A" not in stored  # the address and the phone were on the event
    assert "+46701234567" not in stored


async def test_a_grant_from_a_referral_before_the_person_contacts_topic_still_names_the_case() -> None:
    wired = Wired()
    grant, meta = next((e, m) for e, m in march_2026().items if isinstance(e, rf.DecisionGranted) and e.case_id == "A")
    old_style = grant.model_copy(update={"person": rf.PersonContact(given_name="Astrid", family_name="Holm")})
    async with TestKafkaBroker(wired.broker):
        await wired.publish(old_style, meta)
    found = await wired.read_model.case("A")
    assert found is not None
    assert found[0].name == "Astrid Holm"
