"""Dead letters on real Kafka and FerretDB: a real consumer (the chassis' `EventConsumer`) dead-letters
a message, the console's reader keeps it, a replay (two clicks at once) publishes the original record
to its topic with its key exactly once, and the message, failing again, is dead-lettered again and
kept as the replay's return."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from console_support import memory_feed, utc
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from console.adapters.dead_letters import DeadLetterReader, KafkaRepublisher, MongoDeadLetters, dead_letter_indexes
from console.adapters.memory import MemoryAuditLog
from console.adapters.ops_memory import StaticProbe
from console.domain.access import Actor
from console.service_layer import ops as uc
from console.service_layer.pages import ConsoleDeps
from devstack.testing import Endpoints
from tests.support import eventually, read_topic
from trygg_shared.clock import FixedClock
from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import dead_letter_topic
from trygg_shared.indexes import ensure_indexes
from trygg_shared.kafka import DeadLetter, EventConsumer, EventPublisher, Handles, ensure_topics
from trygg_shared.memory import MemoryHandledEvents
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import event_record, publish_record, sample_ready_for_discharge

NOW = utc(2026, 12, 6, 3)


async def _refuse(event: ReadyForDischarge, meta: Any) -> None:
    raise DeadLetter("case unknown here")


async def test_a_dead_letter_is_kept_replayed_once_and_kept_again_when_it_fails_again(
    db: AsyncDatabase[Any], servers: Endpoints
) -> None:
    bootstrap = servers.kafka_bootstrap
    topic, group = f"it.ops.{uuid.uuid4().hex[:8]}", f"it-ops-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic, dead_letter_topic(group)])
    await ensure_indexes(db, dead_letter_indexes(), servers.postgres_url)
    broker = KafkaBroker(bootstrap)
    EventConsumer(
        broker,
        topic=topic,
        group_id=group,
        handles=[Handles(ReadyForDischarge, _refuse)],
        guard=MemoryHandledEvents(),
        settings=KafkaSettings(bootstrap_servers=bootstrap),
    )
    await broker.start()
    store = MongoDeadLetters(db)
    reader = DeadLetterReader(
        bootstrap,
        pattern=rf"^{re.escape(dead_letter_topic(group))}$",
        group_id=f"{group}.dlq",
        store=store,
        refresh_seconds=1,
    )
    reading = asyncio.create_task(reader.run())
    try:
        event = sample_ready_for_discharge()
        await publish_record(broker, topic, event_record(event))

        async def kept(count: int) -> list[Any]:
            letters = await store.recent(10)
            return letters if len(letters) >= count else []

        [letter] = await eventually(lambda: kept(1), within=40)
        assert letter.reason == "case unknown here"
        assert letter.group == group
        assert letter.original_topic == topic
        assert letter.key == event.case_id
        assert letter.event_type == ReadyForDischarge.EVENT_TYPE

        audit = MemoryAuditLog()
        deps = ConsoleDeps(None, audit, None, FixedClock(NOW), memory_feed(), None)  # type: ignore[arg-type]
        republisher = KafkaRepublisher(bootstrap, EventPublisher(broker, "urn:test").publish_record)
        ops = uc.OpsDeps(StaticProbe(), store, republisher)
        actor = Actor(subject="ops:anna", roles=("ops",))
        clicks = await asyncio.gather(
            uc.replay_dead_letter(deps, ops, actor, letter.letter_id),
            uc.replay_dead_letter(deps, ops, actor, letter.letter_id),
            return_exceptions=True,
        )
        assert sum(isinstance(c, uc.AlreadyReplayed) for c in clicks) == 1, clicks
        assert [r.action for r in audit.records] == ["replay_dead_letter"]

        newest, first = await eventually(lambda: kept(2), within=40)
        assert newest.replay_of == letter.letter_id  # failed again: dead-lettered again, and shown as such
        assert newest.reason == "case unknown here"
        assert first.replay is not None
        assert first.replay.published_at == NOW
        on_topic = await read_topic(bootstrap, topic, key=event.case_id.encode())
        assert len(on_topic) == 2  # the original and one replay, with the same key
        assert on_topic[0].value == on_topic[1].value
        replay_headers = dict(on_topic[1].headers)
        assert replay_headers["trygg_replay_of"] == letter.letter_id.encode()
        assert not any(k.startswith("dlq_") for k in replay_headers)
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await broker.stop()
