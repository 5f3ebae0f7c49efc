"""The consumer chassis with lanes: a batch's records of different keys at the same time, one key's in
order; a transient failure redelivers the batch and what was handled is skipped; one span per record."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.envelope import EventMeta, KafkaRecord
from trygg_shared.kafka import EventConsumer, FaultHook, Handles
from trygg_shared.lanes import Lanes, batch_reads
from trygg_shared.memory import MemoryHandledEvents
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import event_record, publish_record, sample_ready_for_discharge

GROUP = "lanes-group"


def consumer(handler: Any, lanes: Lanes | None = None) -> tuple[EventConsumer, MemoryHandledEvents]:
    guard = MemoryHandledEvents()
    built = EventConsumer(
        KafkaBroker(),
        topic=REFERRAL_CASE_EVENTS,
        group_id=GROUP,
        handles=[Handles(ReadyForDischarge, handler)],
        guard=guard,
        settings=KafkaSettings(retry_backoff_seconds=0),
        lanes=lanes or Lanes(),
    )
    return built, guard


def as_consumed(records: list[KafkaRecord], partition: int = 0) -> SimpleNamespace:
    """A batch as FastStream hands it over (`msg.raw_message`: the consumer records)."""
    raw = tuple(
        SimpleNamespace(
            topic=REFERRAL_CASE_EVENTS,
            partition=partition,
            offset=offset,
            key=r.key,
            value=r.value,
            headers=list(r.headers.items()),
        )
        for offset, r in enumerate(records)
    )
    return SimpleNamespace(raw_message=raw)


async def consume(c: EventConsumer, records: list[KafkaRecord]) -> None:
    await c._consume_batch([r.value for r in records], as_consumed(records))  # type: ignore[arg-type]


def numbered(case_id: str, sequence: int | None) -> KafkaRecord:
    return event_record(sample_ready_for_discharge(case_id), sequence=sequence)


async def test_records_of_different_keys_are_handled_at_the_same_time_those_of_one_key_in_order() -> None:
    started: dict[str, asyncio.Event] = {"a": asyncio.Event(), "b": asyncio.Event()}
    order: list[tuple[str, int | None]] = []
    running: set[str] = set()

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        key = event.case_id
        assert key not in running, "two records of one key at the same time"
        running.add(key)
        started[key].set()
        # Each key's first record waits for the other key's: only lanes running side by side get past.
        await asyncio.wait_for(started["b" if key == "a" else "a"].wait(), 2)
        await asyncio.sleep(0)
        order.append((key, meta.sequence))
        running.discard(key)

    c, _guard = consumer(handler)
    await consume(c, [numbered("a", 1), numbered("a", 2), numbered("b", 1), numbered("a", 3), numbered("b", 2)])
    assert [s for k, s in order if k == "a"] == [1, 2, 3]
    assert [s for k, s in order if k == "b"] == [1, 2]


async def test_a_transient_failure_stops_its_key_lets_the_others_finish_and_the_batch_comes_again() -> None:
    handled: list[tuple[str, int | None]] = []
    failing = {"a": 1}

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        if failing.get(event.case_id) == meta.sequence:
            raise StorageUnavailable("down")
        handled.append((event.case_id, meta.sequence))

    c, _guard = consumer(handler)
    batch = [numbered("a", 1), numbered("a", 2), numbered("b", 1), numbered("b", 2)]
    with pytest.raises(StorageUnavailable):  # NACK: FastStream seeks back to the batch's first offset
        await consume(c, batch)
    assert handled == [("b", 1), ("b", 2)]  # a's second record waits behind its first

    failing.clear()
    await consume(c, batch)  # redelivered: b's records are repeats now, a's are handled in order
    assert handled == [("b", 1), ("b", 2), ("a", 1), ("a", 2)]


async def test_with_lanes_a_numbered_event_is_recorded_by_its_position_alone() -> None:
    calls: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        calls.append(meta.id)

    c, guard = consumer(handler)
    first, unnumbered = numbered("a", 1), numbered("a", None)
    await consume(c, [first, unnumbered])
    await consume(c, [first, unnumbered])  # both redelivered
    assert len(calls) == 2  # each handled once
    assert guard.positions == {(f"{REFERRAL_CASE_EVENTS}|urn:test", "a"): 1}
    assert guard.ids == {unnumbered.headers["ce_id"].decode()}  # no handled-record for the numbered one


async def test_each_record_of_a_batch_gets_a_consumer_span_in_the_trace_its_event_carries() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    producer_span = provider.get_tracer("test").start_span("POST /webhooks/lus")
    context = producer_span.get_span_context()
    traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    seen: list[int] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    c, _guard = consumer(handler, Lanes(tracer_provider=provider))
    record = numbered("a", 1)
    record = KafkaRecord(record.key, {**record.headers, "traceparent": traceparent.encode()}, record.value)
    await consume(c, [record, numbered("b", 1)])
    assert seen[0] == context.trace_id or seen[1] == context.trace_id
    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    assert len(spans) == 2
    [carried] = [s for s in spans if s.context.trace_id == context.trace_id]
    assert carried.parent is not None
    assert carried.parent.span_id == context.span_id


async def test_a_batch_subscriber_takes_the_records_a_broker_delivers() -> None:
    handled: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        handled.append(event.case_id)

    c, _guard = consumer(handler)
    broker = c._broker
    async with TestKafkaBroker(broker):
        await publish_record(broker, REFERRAL_CASE_EVENTS, numbered("a", 1))
        await publish_record(broker, REFERRAL_CASE_EVENTS, numbered("b", None))
    assert handled == ["a", "b"]


async def test_the_records_of_one_batch_share_its_reads_and_the_next_batch_starts_afresh() -> None:
    shared: list[dict[Any, Any] | None] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        reads = batch_reads()
        shared.append(reads)
        assert reads is not None
        reads.setdefault("team", event.case_id)  # the first record's read serves the others

    c, _guard = consumer(handler)
    await consume(c, [numbered("a", 1), numbered("b", 1)])
    await consume(c, [numbered("c", 1)])
    first, second, third = shared
    assert first is second
    assert first == {"team": "a"}
    assert third == {"team": "c"}
    assert batch_reads() is None  # outside a batch: nothing shared


async def test_a_crash_point_counts_the_message_its_lane_handles_not_the_latest_one_begun() -> None:
    hook = FaultHook("after_effect:1")
    first_done, second_begun = asyncio.Event(), asyncio.Event()

    async def first() -> bool:
        hook.next_message()  # message 1
        await second_begun.wait()  # message 2 begins in another lane before message 1's effect is done
        return hook.reached("after_effect")

    async def second() -> bool:
        hook.next_message()  # message 2
        second_begun.set()
        await first_done.wait()
        return hook.reached("after_effect")

    task = asyncio.create_task(first())
    other = asyncio.create_task(second())
    assert await task is True  # message 1 reached its crash point
    first_done.set()
    assert await other is False
