"""Dead letters: read from every dead-letter topic into the console's `dead_letters` collection, and
replayed from the topic on request.

- `DeadLetterReader` consumes the topics matching `CONSOLE_OPS__DEAD_LETTER_TOPICS` (a pattern:
  every service's `trygg.dlq.<group>`, new ones found within `TOPIC_REFRESH_SECONDS`) in its own
  consumer group, keeps what the record's `dlq_*` headers and CloudEvents headers say (never the
  body: it may hold personal data and stays on the topic), and commits after the write. The
  document's id is the record's place (topic, partition, offset), so a record read twice is
  stored once.
- `MongoDeadLetters` is the store and the replay claims (`dead_letter_replays`: a unique insert
  per dead letter, so of two clicks exactly one replays).
- `KafkaRepublisher` reads the record back from its place on the dead-letter topic and publishes
  it to its original topic with its key and headers, without the `dlq_*` ones, plus
  `trygg_replay_of` (a replay that fails again is dead-lettered with it and shown as such).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from console.domain.ops import DeadLetter, Replay, letter_id, trace_id_of
from console.service_layer.ops import ReplayFailed
from trygg_shared.envelope import KafkaRecord
from trygg_shared.indexes import Index
from trygg_shared.logging import get_logger
from trygg_shared.mongo import Document

log = get_logger(__name__)

DEAD_LETTERS = "dead_letters"
REPLAYS = "dead_letter_replays"
REPLAY_OF = "trygg_replay_of"
DLQ_PREFIX = "dlq_"


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def dead_letter_of(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    """What a dead-letter record says about the message (headers and key; the body is not read)."""
    headers = {k: bytes(v).decode(errors="replace") for k, v in (record.headers or ())}
    key = bytes(record.key).decode(errors="replace") if record.key is not None else None
    failed_at = _time(headers.get("dlq_failed_at"))
    if failed_at is None and record.timestamp:
        failed_at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return DeadLetter(
        letter_id=letter_id(record.topic, record.partition, record.offset),
        dead_letter_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        group=headers.get("dlq_consumer_group", record.topic.removeprefix("trygg.dlq.")),
        original_topic=headers.get("dlq_original_topic", "?"),
        original_partition=_int(headers.get("dlq_original_partition")),
        original_offset=_int(headers.get("dlq_original_offset")),
        key=key,
        event_type=headers.get("ce_type"),
        event_id=headers.get("ce_id"),
        reason=headers.get("dlq_reason", "(no reason given)"),
        failed_at=failed_at,
        trace_id=trace_id_of(headers.get("traceparent")),
        replay_of=headers.get(REPLAY_OF),
    )


_LETTER_FIELDS = (
    "dead_letter_topic",
    "partition",
    "offset",
    "group",
    "original_topic",
    "original_partition",
    "original_offset",
    "key",
    "event_type",
    "event_id",
    "reason",
    "failed_at",
    "trace_id",
    "replay_of",
)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def dead_letter_indexes() -> list[Index]:
    return [Index(DEAD_LETTERS, ("failed_at",))]


class MongoDeadLetters:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._letters = db[DEAD_LETTERS]
        self._replays = db[REPLAYS]

    async def add(self, letter: DeadLetter) -> None:
        doc: Document = {"_id": letter.letter_id, **{f: getattr(letter, f) for f in _LETTER_FIELDS}}
        with contextlib.suppress(DuplicateKeyError):  # read again after a restart or rebalance: kept already
            await self._letters.insert_one(doc)

    def _letter(self, doc: Document, replay: Document | None) -> DeadLetter:
        fields: dict[str, Any] = {f: doc.get(f) for f in _LETTER_FIELDS}
        fields["failed_at"] = _utc(fields["failed_at"])
        found = None
        if replay is not None:
            found = Replay(replay["by"], _utc(replay["at"]), _utc(replay.get("published_at")))  # type: ignore[arg-type]
        return DeadLetter(letter_id=doc["_id"], replay=found, **fields)

    async def recent(self, limit: int) -> list[DeadLetter]:
        docs = await self._letters.find({}).sort([("failed_at", -1), ("_id", -1)]).limit(limit).to_list(None)
        ids = [d["_id"] for d in docs]
        replays = {r["_id"]: r async for r in self._replays.find({"_id": {"$in": ids}})} if ids else {}
        return [self._letter(d, replays.get(d["_id"])) for d in docs]

    async def get(self, letter_id: str) -> DeadLetter | None:
        doc = await self._letters.find_one({"_id": letter_id})
        if doc is None:
            return None
        return self._letter(doc, await self._replays.find_one({"_id": letter_id}))

    async def claim_replay(self, letter_id: str, by: str, at: datetime) -> bool:
        try:
            await self._replays.insert_one({"_id": letter_id, "by": by, "at": at, "published_at": None})
        except DuplicateKeyError:
            return False
        return True

    async def release_replay(self, letter_id: str) -> None:
        await self._replays.delete_one({"_id": letter_id, "published_at": None})

    async def replay_published(self, letter_id: str, at: datetime) -> None:
        await self._replays.update_one({"_id": letter_id}, {"$set": {"published_at": at}})


class DeadLetterSink(Protocol):
    async def add(self, letter: DeadLetter) -> None: ...


class DeadLetterReader:
    """A background loop: every dead-letter topic matching `pattern` into the store (see the module)."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        pattern: str,
        group_id: str,
        store: DeadLetterSink,
        refresh_seconds: float,
    ) -> None:
        re.compile(pattern)  # a bad pattern stops the start, not the loop
        self._bootstrap = bootstrap_servers
        self._pattern = pattern
        self.group_id = group_id
        self._store = store
        self._refresh_ms = int(refresh_seconds * 1000)

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=self._refresh_ms,
        )
        consumer.subscribe(pattern=self._pattern)
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=200)
                for records in batches.values():
                    for record in records:
                        await self._store.add(dead_letter_of(record))
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()


Publish = Callable[[str, KafkaRecord], Awaitable[None]]


class KafkaRepublisher:
    def __init__(self, bootstrap_servers: str, publish: Publish, *, timeout_seconds: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self._publish = publish
        self._timeout = timeout_seconds

    async def _read_back(self, letter: DeadLetter) -> ConsumerRecord[bytes, bytes]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False, group_id=None)
        try:
            await consumer.start()
            tp = TopicPartition(letter.dead_letter_topic, letter.partition)
            consumer.assign([tp])
            consumer.seek(tp, letter.offset)
            deadline = time.monotonic() + self._timeout
            while time.monotonic() < deadline:
                records = (await consumer.getmany(tp, timeout_ms=500, max_records=1)).get(tp, [])
                if records:
                    if records[0].offset == letter.offset:
                        return records[0]
                    break  # past it: the record is gone (retention)
        except KafkaError as exc:
            raise ReplayFailed(f"Kafka: {type(exc).__name__}") from None
        finally:
            await consumer.stop()
        raise ReplayFailed("the record is no longer on the dead-letter topic")

    async def republish(self, letter: DeadLetter) -> None:
        record = await self._read_back(letter)
        headers: dict[str, Any] = {k: bytes(v) for k, v in (record.headers or ()) if not k.startswith(DLQ_PREFIX)}
        headers[REPLAY_OF] = letter.letter_id.encode()
        try:
            await self._publish(letter.original_topic, KafkaRecord(record.key, headers, record.value))
        except KafkaError as exc:
            raise ReplayFailed(f"Kafka: {type(exc).__name__}") from None
        log.info("dead letter replayed", dead_letter=letter.letter_id, topic=letter.original_topic)
