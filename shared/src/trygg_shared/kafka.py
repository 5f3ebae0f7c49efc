"""Kafka chassis: the broker, the event publisher and the consumer wrapper every service uses.

Consumers get at-least-once delivery with idempotent effects:
- offsets are committed only after the handler finished (`AckPolicy.NACK_ON_ERROR`, never
  auto-commit), with an explicit consumer group;
- an event whose id the group has handled is skipped (`ProcessedEvents`);
- the group keeps the last sequence number it handled per aggregate and topic (CloudEvents
  `sequence` per topic, source and subject): an event numbered at or below it is *stale*
  (reordered, or replayed from a dead-letter topic) and is skipped unless its `Handles` says
  `on_stale="apply"` (handlers whose effect converges whatever the order);
- a message that can never be handled (not a CloudEvent, a known type that breaks its contract,
  or a handler that keeps failing) goes to the group's dead-letter topic with the reason, and
  the partition moves on; infrastructure errors (database or broker down) are retried without
  limit, so nothing accepted is dropped;
- a record larger than `MAX_EVENT_BYTES` is dead-lettered unread (no contract needs that much);
- a handler that keeps failing is retried `max_delivery_attempts` times with exponential backoff
  and jitter (`backoff_delay`), then dead-lettered;
- with `lanes` (opt-in, `trygg_shared.lanes`): batches, the records of different keys at once;
- event types the consumer does not know are ignored (tolerant reader), not dead-lettered: a
  topic carries one aggregate's whole stream and each consumer handles only the types it needs,
  so an unknown type is normal traffic (another consumer's, or a newer producer's), not poison.

Fault injection (tests only): `TRYGG_FAULT_EXIT=<point>:<n>` makes the process exit at once
(`os._exit(FAULT_EXIT_CODE)`, as a crash would) at `<point>` of the n-th message a handler is
about to handle in this process: `before_effect` (before the handler runs) or `after_effect`
(the handler's effect is done, but neither the handled-event record nor the offset commit).
Unset (production), the hook does nothing; the fault suite (tests/faults) sets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import random
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, OperationFailure

from trygg_shared.aggregate import ConcurrencyConflict, StorageRejected, StorageUnavailable
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.topics import PARTITIONS, dead_letter_topic
from trygg_shared.envelope import EnvelopeError, EventMeta, KafkaRecord, decode, encode
from trygg_shared.lanes import Lanes, consumer_span, raw_bodies, run_lanes
from trygg_shared.logging import get_logger, scrub_text
from trygg_shared.metrics import ChassisMetrics
from trygg_shared.outbox import OutboxEvent
from trygg_shared.settings import KafkaSettings

log = get_logger(__name__)

E = TypeVar("E", bound=IntegrationEvent)

# Errors that mean "the world is not ready", not "this message is bad": retried without limit.
# StorageUnavailable: the aggregate store says the database is down (its ConnectionFailure, mapped).
# A concurrency conflict that outlasted `update_aggregate`'s own retries is contention (other
# writers, e.g. a consumer catching up on many topics at once after a restart, all on one case),
# not a bad message: dead-lettering it lost the event (found by the fault suite, tests/faults).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaError,
    TimeoutError,
    ConcurrencyConflict,
    StorageUnavailable,
)

# Server error codes that mean "try again later" (MongoDB's own retryable set, plus WriteConflict).
TRANSIENT_ERROR_CODES = frozenset({6, 7, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})
TRANSIENT_ERROR_LABELS = ("RetryableWriteError", "TransientTransactionError")


# A record above this size is dead-lettered without being decoded: the largest event a contract
# allows is a few kilobytes; anything this big is a producer bug or an attack.
MAX_EVENT_BYTES = 256 * 1024

# Retries of a failing handler wait at most this long.
MAX_BACKOFF_SECONDS = 30.0

FAULT_EXIT_ENV = "TRYGG_FAULT_EXIT"
FAULT_EXIT_CODE = 86
FAULT_POINTS = ("before_effect", "after_effect")


def backoff_delay(attempt: int, base: float, cap: float = MAX_BACKOFF_SECONDS, rand: float | None = None) -> float:
    """Seconds to wait before retry `attempt` (1-based): `base` doubled per attempt, capped, with
    "equal jitter" (a uniform draw between half and all of it), so replicas that failed together
    do not retry together, and a retry never comes sooner than half the nominal pause."""
    nominal = min(base * (2 ** (attempt - 1)), cap)
    draw = random.random() if rand is None else rand  # noqa: S311 - jitter, not cryptography
    return float(nominal / 2 + draw * nominal / 2)


async def _pause(seconds: float) -> None:
    """The wait before a failed message is tried again (tests replace it, not `asyncio.sleep`)."""
    await asyncio.sleep(seconds)


class FaultHook:
    """Test-only crash injection (see the module docstring); inert when `TRYGG_FAULT_EXIT` is unset."""

    def __init__(self, spec: str | None) -> None:
        self.point: str | None = None
        self.nth, self.count = 0, 0
        self.current = contextvars.ContextVar("fault_message", default=0)  # this task's message: lanes run several
        if spec:
            point, _, nth = spec.partition(":")
            if point not in FAULT_POINTS or not nth.isdigit() or int(nth) < 1:
                raise ValueError(f"{FAULT_EXIT_ENV} must be <{'|'.join(FAULT_POINTS)}>:<n>, not {spec!r}")
            self.point, self.nth = point, int(nth)

    @classmethod
    def from_env(cls) -> FaultHook:
        return cls(os.environ.get(FAULT_EXIT_ENV))

    def next_message(self) -> None:
        if self.point is not None:
            self.count += 1
            self.current.set(self.count)

    def reached(self, point: str) -> bool:
        return self.point == point and self.current.get() == self.nth

    def maybe_exit(self, point: str) -> None:
        if self.reached(point):
            log.warning("fault injection: exiting", point=point, message=self.current.get())
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(FAULT_EXIT_CODE)


_FAULTS = FaultHook.from_env()


def is_transient_operation_failure(exc: OperationFailure) -> bool:
    """A database error that is the server's state (busy, failing over, locked), not the message's."""
    if any(exc.has_error_label(label) for label in TRANSIENT_ERROR_LABELS):
        return True
    if exc.code in TRANSIENT_ERROR_CODES:
        return True
    return "database is locked" in str(exc).lower()  # SQLite busy, as FerretDB reports it


def create_broker(settings: KafkaSettings, service_name: str, tracer_provider: TracerProvider | None) -> KafkaBroker:
    """A FastStream Kafka broker: idempotent producer, all acks, trace context in headers."""
    middlewares = [KafkaTelemetryMiddleware(tracer_provider=tracer_provider)] if tracer_provider else []
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=settings.client_id or service_name,
        acks="all",
        enable_idempotence=True,
        middlewares=middlewares,
        logger=logging.getLogger(f"faststream.{service_name}"),  # through the redacting formatter
        # FastStream's own "Received"/"Processed" line per message at DEBUG: at INFO they were two
        # thirds of every consumer's log, and our "event handled" line says the same with the ids.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], partitions: int = PARTITIONS, replication_factor: int = 1
) -> None:
    """Create the topics that do not exist yet (one replica by default: local runs and tests)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another service
                await admin.create_topics(
                    [
                        NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor)
                        for t in missing
                    ]
                )
    finally:
        await admin.close()


async def kafka_reachable(bootstrap_servers: str) -> None:
    """Raise when the cluster does not answer a metadata request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.describe_cluster()
    finally:
        await admin.close()


class EventPublisher:
    """Publishes outbox events as CloudEvents (binary mode), keyed by case id."""

    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    async def publish(self, event: OutboxEvent) -> None:
        record = encode(event.meta(self._source), event.data)
        await self.publish_record(event.topic, record)

    async def publish_record(self, topic: str, record: KafkaRecord) -> None:
        """Send one record and wait for the broker's acknowledgement (acks=all)."""
        await self._broker.publish(
            record.value,
            topic=topic,
            key=record.key,
            headers={k: v.decode() for k, v in record.headers.items()},
        )


Handler = Callable[[E, EventMeta], Awaitable[None]]


@dataclass(frozen=True)
class Handles(Generic[E]):
    """One event type a consumer handles, and the use case that handles it.

    `on_stale`: what to do with an event numbered at or below the last one handled for its
    aggregate (reordered or replayed): "skip" (default; logged) or "apply" (the handler's effect
    converges whatever the order; it sees `meta.stale`).
    """

    contract: type[E]
    handler: Handler[E]
    on_stale: Literal["skip", "apply"] = "skip"


class HandledEvents(Protocol):
    """The idempotent-consumer guard (`trygg_shared.mongo.ProcessedEvents` in production)."""

    async def seen(self, event_id: str) -> bool: ...

    async def mark(self, event_id: str, event_type: str) -> bool: ...

    async def position(self, stream: str, subject: str) -> int:
        """The last sequence number handled for one aggregate on one stream (topic and source); 0 when none."""
        ...

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        """Record `sequence` as handled (the position never moves back)."""
        ...


class DeadLetter(Exception):
    """Raised inside a handler for a message that must never be retried."""


def _validation_reason(exc: ValidationError) -> str:
    # Locations and error types only: pydantic's messages can echo the input (personal data).
    parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in exc.errors(include_input=False)]
    return "contract violation: " + "; ".join(parts[:20])


async def raw_body(msg: Any) -> bytes:
    """Hand the handler the raw bytes: decoding (and dead-lettering what fails) is ours, not FastStream's."""
    return bytes(msg.body)


class EventConsumer:
    """Subscribes one consumer group to one topic and routes events to their handlers."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        topic: str,
        group_id: str,
        handles: Iterable[Handles[Any]],
        guard: HandledEvents,
        settings: KafkaSettings,
        lanes: Lanes | None = None,
    ) -> None:
        self.topic = topic
        self.group_id = group_id
        self.dead_letter_topic = dead_letter_topic(group_id)
        self._handlers: Mapping[str, Handles[Any]] = {h.contract.EVENT_TYPE: h for h in handles}
        self._guard = guard
        self._settings = settings
        self._broker = broker
        self.metrics: ChassisMetrics | None = None  # set by the runtime (`ServiceRuntime.start`)
        self._lanes = lanes
        self._mark_numbered, self._tracer = lanes is None or lanes.mark_numbered, lanes.tracer() if lanes else None
        common: dict[str, Any] = {"group_id": group_id, "auto_offset_reset": "earliest", "title": f"{group_id}:{topic}"}
        common["ack_policy"] = AckPolicy.NACK_ON_ERROR
        self.subscriber: Any
        if lanes is None:
            self.subscriber = broker.subscriber(topic, decoder=raw_body, **common)
            self.subscriber(self._consume)
        else:
            batch: dict[str, Any] = {"batch": True, "max_records": lanes.max_records}
            batch["batch_timeout_ms"] = lanes.batch_timeout_ms
            self.subscriber = broker.subscriber(topic, decoder=raw_bodies, **batch, **common)
            self.subscriber(self._consume_batch)

    async def _consume(self, body: bytes, msg: KafkaMessage) -> None:
        await self._process(msg.raw_message, body)

    async def _consume_batch(self, bodies: list[bytes], msg: KafkaMessage) -> None:
        """A batch: one lane per key (in order within it), lanes at the same time (`trygg_shared.lanes`)."""
        assert self._lanes is not None
        records = zip(msg.raw_message, bodies, strict=True)  # type: ignore[call-overload]
        await run_lanes(records, self._lanes.concurrency, self._traced)

    async def _traced(self, record: Any, body: bytes) -> None:
        """One record of a batch, in a consumer span continuing the trace its event carries."""
        with consumer_span(self._tracer, self.group_id, record):
            await self._process(record, body)

    async def _process(self, record: Any, body: bytes) -> None:
        headers = {k: bytes(v) for k, v in (record.headers or ())}  # type: ignore[union-attr]
        if len(body) > MAX_EVENT_BYTES:
            await self._dead_letter(record, headers, body, f"oversized: {len(body)} bytes > {MAX_EVENT_BYTES}")
            return
        try:
            meta, data = decode(headers, record.key, body)  # type: ignore[union-attr]
        except EnvelopeError as exc:
            await self._dead_letter(record, headers, body, str(exc))
            return
        handles = self._handlers.get(meta.type)
        if handles is None:
            log.debug("event type not handled here; skipped", event_type=meta.type, event_id=meta.id)
            return
        try:
            event = handles.contract.model_validate(data)
        except ValidationError as exc:
            await self._dead_letter(record, headers, body, _validation_reason(exc), meta)
            return
        sequence, by_position = meta.sequence, meta.sequence is not None and handles.on_stale == "skip"
        guarded = await self._guarded(handles, meta)
        if guarded is None:
            return
        meta = guarded
        _FAULTS.next_message()
        _FAULTS.maybe_exit("before_effect")
        if await self._handle(handles, event, meta, record, headers, body):
            return  # dead-lettered, not handled: a replay of the fixed message must be handled
        if sequence is not None and not meta.stale:
            await self._guard.advance(f"{self.topic}|{meta.source}", meta.subject, sequence)
        if by_position and not self._mark_numbered:
            return  # the position records it: an event at or below it is skipped, repeat or stale
        await self._guard.mark(meta.id, meta.type)

    async def _guarded(self, handles: Handles[Any], meta: EventMeta) -> EventMeta | None:
        """The event to handle (marked `stale` when it is and its handler applies stale events), or
        None for a repeat or a stale event that is skipped."""
        sequence = meta.sequence
        # A numbered event for a handler that skips stale ones: its aggregate's position decides,
        # and the handled-event record is read only when the position says "handled or older".
        # An event numbered above the position cannot have been handled (the position is
        # advanced before the event is marked, and never moves back), so one read less.
        by_position = sequence is not None and handles.on_stale == "skip"
        facts = {"event_type": meta.type, "event_id": meta.id, "subject": meta.subject}
        if not by_position and await self._guard.seen(meta.id):
            log.info("repeated event skipped", **facts)
            return None
        if sequence is None:
            return meta
        # Per topic: an aggregate numbers all its events, whatever topic they go to, and a
        # consumer of one topic sees only some of them (gaps are normal, going back is not).
        last = await self._guard.position(f"{self.topic}|{meta.source}", meta.subject)
        if sequence > last:
            return meta
        if by_position and not self._mark_numbered:  # a repeat or stale: skipped either way
            log.info("repeated or stale event skipped: its aggregate's position is past it", **facts)
            return None
        if by_position and await self._guard.seen(meta.id):
            log.info("repeated event skipped", **facts)
            return None
        if handles.on_stale == "apply":
            return replace(meta, stale=True)
        stale = {**facts, "sequence": sequence, "handled_up_to": last}
        log.warning("stale event skipped: a later one of its aggregate was handled", **stale)
        await self._guard.mark(meta.id, meta.type)
        return None

    async def _handle(
        self,
        handles: Handles[Any],
        event: IntegrationEvent,
        meta: EventMeta,
        record: Any,
        headers: dict[str, bytes],
        body: bytes,
    ) -> bool:
        """Run the handler; True when the message was dead-lettered instead of handled."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await handles.handler(event, meta)
                log.info("event handled", event_type=meta.type, event_id=meta.id, subject=meta.subject)
                self._count("handled")
                _FAULTS.maybe_exit("after_effect")
                return False
            except DeadLetter as exc:
                await self._dead_letter(record, headers, body, scrub_text(str(exc)), meta)
                return True
            except StorageRejected as exc:  # the content, for good (e.g. a NUL): no retry can store it
                await self._dead_letter(record, headers, body, f"database refuses the content: {exc}", meta)
                return True
            except TRANSIENT_ERRORS as exc:
                await self._redeliver_later(meta, exc, attempt)
                raise
            except OperationFailure as exc:
                if is_transient_operation_failure(exc):
                    await self._redeliver_later(meta, exc, attempt)
                    raise
                reason = f"database rejected the write: code {exc.code}"
                if attempt >= self._settings.max_delivery_attempts:
                    await self._dead_letter(record, headers, body, reason, meta)
                    return True
                log.warning("database rejected the write; retrying", event_id=meta.id, attempt=attempt, code=exc.code)
                self._count("failed")
            except Exception as exc:  # noqa: BLE001 - a bug or bad data: bounded retries, then DLQ
                reason = f"handler failed: {type(exc).__name__}: {scrub_text(str(exc))[:300]}"
                if attempt >= self._settings.max_delivery_attempts:
                    await self._dead_letter(record, headers, body, reason, meta)
                    return True
                log.warning("handler failed; retrying", event_id=meta.id, attempt=attempt, error=type(exc).__name__)
                self._count("failed")
            await _pause(self._backoff(attempt))

    async def _redeliver_later(self, meta: EventMeta, exc: BaseException, attempt: int) -> None:
        # Not the message's fault: pause, then let the broker redeliver it (NACK seeks back).
        # The offset is not committed, so a restart sees it again too.
        self._count("failed")
        log.warning(
            "transient failure; will redeliver",
            event_id=meta.id,
            error=type(exc).__name__,
            code=getattr(exc, "code", None),
        )
        await _pause(self._backoff(attempt))

    def _count(self, outcome: Literal["handled", "failed", "dead_lettered"]) -> None:
        if self.metrics is not None:
            counter = {
                "handled": self.metrics.events_handled,
                "failed": self.metrics.events_failed,
                "dead_lettered": self.metrics.events_dead_lettered,
            }[outcome]
            counter.labels(topic=self.topic, group=self.group_id).inc()

    async def measure_lag(self) -> None:
        """Set `trygg_consumer_lag` for the partitions assigned to this process (from what the
        consumer already knows: the high watermark of its last fetch and its position)."""
        if self.metrics is None:
            return
        consumer = getattr(self.subscriber, "consumer", None)
        lag = 0
        if consumer is not None:
            for tp in consumer.assignment():
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    lag += max(highwater - await consumer.position(tp), 0)
        self.metrics.consumer_lag.labels(topic=self.topic, group=self.group_id).set(lag)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, self._settings.retry_backoff_seconds)

    async def _dead_letter(
        self, record: Any, headers: dict[str, bytes], body: bytes, reason: str, meta: EventMeta | None = None
    ) -> None:
        dlq_headers = {k: v.decode(errors="replace") for k, v in headers.items()}
        dlq_headers.update(
            {
                "dlq_reason": reason,
                "dlq_consumer_group": self.group_id,
                "dlq_original_topic": str(record.topic),
                "dlq_original_partition": str(record.partition),
                "dlq_original_offset": str(record.offset),
                "dlq_failed_at": datetime.now(UTC).isoformat(),
            }
        )
        await self._broker.publish(body, topic=self.dead_letter_topic, key=record.key, headers=dlq_headers)
        self._count("dead_lettered")
        log.error(
            "message dead-lettered",
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            event_id=meta.id if meta else None,
            dead_letter_topic=self.dead_letter_topic,
        )
