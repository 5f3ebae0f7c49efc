"""Lanes: a consumer's batch handled one lane per key, the lanes at the same time.

With `EventConsumer(lanes=Lanes(...))` (`trygg_shared.kafka`, opt-in) the consumer takes the records Kafka has in
batches (`getmany`, at most `max_records`) and handles the records of different keys (aggregates)
at the same time, those of one key in order, one after the other; the batch's offsets are
committed once every record in it was handled (or dead-lettered). A record that fails for a
transient reason stops its key's lane (the later records of that key wait), the other lanes
finish, and the whole batch is redelivered from its earliest offset per partition: what was
handled is skipped as a repeat. Each record gets one consumer span, a child of the trace its
event carries (FastStream's own span is one per batch). With lanes, a numbered event whose handler
skips stale events is recorded by its aggregate's position alone (`mark_numbered=False`): an
event at or below the position is skipped whether it is a repeat or stale, so the handled-event
record decided nothing for it and is not written.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Tracer


@dataclass(frozen=True)
class Lanes:
    """Batch consumption with one lane per key (see the module docstring)."""

    tracer_provider: TracerProvider | None = None  # one consumer span per record when set
    max_records: int = 64  # records per batch (`getmany`)
    concurrency: int = 8  # lanes (keys) handled at the same time
    batch_timeout_ms: int = 50  # how long an empty poll waits before the next
    mark_numbered: bool = False  # also record numbered, stale-skipping events as handled

    def tracer(self) -> Tracer | None:
        return self.tracer_provider.get_tracer("trygg_shared.kafka") if self.tracer_provider else None


_BATCH_READS: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("batch_reads", default=None)


def batch_reads() -> dict[Any, Any] | None:
    """Reads the records of the batch being handled share (a dict that lives as long as the batch),
    or None outside a batch. For data that may be as old as the batch: the same team's contact for
    each record, not an aggregate that a record changes (those are read, and saved, per record)."""
    return _BATCH_READS.get()


async def raw_bodies(msg: Any) -> list[bytes]:
    """A batch's raw bytes, one per record (see `trygg_shared.kafka.raw_body`)."""
    return [bytes(b) for b in msg.body]


async def run_lanes(
    records: Iterable[tuple[Any, bytes]], concurrency: int, handle: Callable[[Any, bytes], Awaitable[None]]
) -> None:
    """Handle a batch's (record, body) pairs: one lane per topic, partition and key, in order within
    it, up to `concurrency` lanes at once, sharing `batch_reads`. Raises the first failure once
    every lane has stopped (a failing record stops its own lane only)."""
    lanes: dict[tuple[Any, ...], list[tuple[Any, bytes]]] = {}
    for record, body in records:
        lanes.setdefault((record.topic, record.partition, record.key), []).append((record, body))
    gate = asyncio.Semaphore(concurrency)

    async def lane(items: list[tuple[Any, bytes]]) -> None:
        async with gate:
            for record, body in items:
                await handle(record, body)

    token = _BATCH_READS.set({})
    try:
        results = await asyncio.gather(*(lane(items) for items in lanes.values()), return_exceptions=True)
    finally:
        _BATCH_READS.reset(token)
    for result in results:
        if isinstance(result, BaseException):
            raise result  # NACK: the batch comes again from its earliest offsets; the handled are repeats


@contextmanager
def consumer_span(tracer: Tracer | None, group_id: str, record: Any) -> Iterator[None]:
    """A consumer span for one record, a child of the trace its event carries (its headers); no
    span without a tracer."""
    if tracer is None:
        yield
        return
    carrier = {k: bytes(v).decode(errors="replace") for k, v in (record.headers or ())}
    attributes: dict[str, str | int | bytes] = {
        "messaging.system": "kafka",
        "messaging.destination.name": str(record.topic),
        "messaging.kafka.destination.partition": int(record.partition),
        "messaging.kafka.message.offset": int(record.offset),
        "messaging.consumer.group.name": group_id,
    }
    if record.key is not None:
        attributes["messaging.kafka.message.key"] = bytes(record.key)
    with tracer.start_as_current_span(
        f"{record.topic} process", context=propagate.extract(carrier), kind=SpanKind.CONSUMER, attributes=attributes
    ):
        yield
