"""The consumer chassis: handles once, skips repeats, dead-letters poison with a reason."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import OperationFailure

from trygg_shared.aggregate import ConcurrencyConflict, StorageUnavailable
from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, dead_letter_topic
from trygg_shared.envelope import EventMeta, KafkaRecord, encode
from trygg_shared.kafka import (
    FAULT_POINTS,
    MAX_BACKOFF_SECONDS,
    MAX_EVENT_BYTES,
    DeadLetter,
    EventConsumer,
    FaultHook,
    Handles,
    backoff_delay,
    is_transient_operation_failure,
    raw_body,
)
from trygg_shared.memory import MemoryHandledEvents as FakeHandledEvents
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import event_record, publish_record, sample_ready_for_discharge

GROUP = "test-group"


def ready_event(case_id: str | None = None) -> ReadyForDischarge:
    return sample_ready_for_discharge(case_id)


def record_for(
    event: ReadyForDischarge,
    event_id: str | None = None,
    data: dict[str, Any] | None = None,
    sequence: int | None = None,
) -> KafkaRecord:
    return event_record(event, event_id=event_id, data=data, sequence=sequence)


async def publish(broker: KafkaBroker, record: KafkaRecord) -> None:
    await publish_record(broker, REFERRAL_CASE_EVENTS, record)


def make_consumer(
    handler: Any, on_stale: Any = "skip", **settings: Any
) -> tuple[KafkaBroker, FakeHandledEvents, list[Any]]:
    broker = KafkaBroker()
    guard = FakeHandledEvents()
    dead: list[Any] = []

    @broker.subscriber(dead_letter_topic(GROUP), decoder=raw_body)
    async def collect(body: bytes, msg: KafkaMessage) -> None:
        dead.append(msg)

    EventConsumer(
        broker,
        topic=REFERRAL_CASE_EVENTS,
        group_id=GROUP,
        handles=[Handles(ReadyForDischarge, handler, on_stale=on_stale)],
        guard=guard,
        settings=KafkaSettings(retry_backoff_seconds=0, **settings),
    )
    return broker, guard, dead


async def always_failing(
    exc: Exception, *, back_to_broker: bool, **settings: Any
) -> tuple[int, FakeHandledEvents, list[Any]]:
    """A ready event to a handler that always raises `exc`: how often it ran, the guard, the dead letters.
    `back_to_broker`: the error is expected to reach the broker (NACK, redelivered) and is suppressed here."""
    calls = 0

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        nonlocal calls
        calls += 1
        raise exc

    broker, guard, dead = make_consumer(handler, **settings)
    expected = contextlib.suppress(type(exc)) if back_to_broker else contextlib.nullcontext()
    async with TestKafkaBroker(broker, connect_only=False):  # what FastStream guesses from the caller's source
        with expected:
            await publish(broker, record_for(ready_event()))
    return calls, guard, dead


async def test_an_event_is_handled_once_even_when_it_arrives_twice() -> None:
    handled: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        handled.append(meta.id)

    broker, guard, dead = make_consumer(handler)
    record = record_for(ready_event())
    async with TestKafkaBroker(broker):
        await publish(broker, record)
        await publish(broker, record)
    assert len(handled) == 1
    assert guard.ids == set(handled)
    assert dead == []


async def test_a_reordered_older_event_of_an_aggregate_is_recognised_and_skipped() -> None:
    handled: list[int | None] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        handled.append(meta.sequence)

    broker, guard, dead = make_consumer(handler)
    event = ready_event()
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(event, sequence=1))
        await publish(broker, record_for(event, sequence=3))
        await publish(broker, record_for(event, sequence=2))  # overtaken by 3: stale
    assert handled == [1, 3]
    assert guard.positions[(f"{REFERRAL_CASE_EVENTS}|urn:test", event.case_id)] == 3
    assert len(guard.ids) == 3  # the stale one is recorded as dealt with, not retried
    assert dead == []


async def test_a_handler_that_converges_in_any_order_gets_stale_events_marked_as_such() -> None:
    seen: list[tuple[int | None, bool]] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        seen.append((meta.sequence, meta.stale))

    broker, guard, _dead = make_consumer(handler, on_stale="apply")
    event = ready_event()
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(event, sequence=2))
        await publish(broker, record_for(event, sequence=1))
    assert seen == [(2, False), (1, True)]
    assert guard.positions[(f"{REFERRAL_CASE_EVENTS}|urn:test", event.case_id)] == 2


async def test_sequences_are_tracked_per_aggregate() -> None:
    handled: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        handled.append(meta.subject)

    broker, _guard, _dead = make_consumer(handler)
    first, second = ready_event(), ready_event()
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(first, sequence=5))
        await publish(broker, record_for(second, sequence=1))
    assert handled == [first.case_id, second.case_id]


async def test_an_event_type_it_does_not_know_is_ignored() -> None:
    handled: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        handled.append(meta.id)

    broker, _guard, dead = make_consumer(handler)
    meta = EventMeta(str(uuid.uuid4()), "se.trygghemgang.other.v1", "urn:test", "c", datetime.now(UTC))
    async with TestKafkaBroker(broker):
        await publish(broker, encode(meta, {"case_id": "c"}))
    assert handled == []
    assert dead == []


async def test_a_message_that_is_not_a_cloudevent_goes_to_the_dead_letter_topic_with_the_reason() -> None:
    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        raise AssertionError("must not be called")

    broker, _guard, dead = make_consumer(handler)
    async with TestKafkaBroker(broker):
        await broker.publish(b"garbage", topic=REFERRAL_CASE_EVENTS, key=b"k")
    assert len(dead) == 1
    assert dead[0].headers["dlq_reason"] == "missing CloudEvents headers (ce_id, ce_type)"
    assert dead[0].headers["dlq_original_topic"] == REFERRAL_CASE_EVENTS
    assert dead[0].headers["dlq_consumer_group"] == GROUP


async def test_a_json_content_type_with_a_body_that_is_not_json_is_dead_lettered_not_retried() -> None:
    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        raise AssertionError("must not be called")

    broker, _guard, dead = make_consumer(handler)
    record = record_for(ready_event())
    async with TestKafkaBroker(broker):
        await broker.publish(
            b"{not json",
            topic=REFERRAL_CASE_EVENTS,
            key=record.key,
            headers={k: v.decode() for k, v in record.headers.items()},
        )
    assert len(dead) == 1
    assert dead[0].headers["dlq_reason"] == "event data is not a JSON object"


async def test_a_known_event_that_breaks_its_contract_is_dead_lettered_without_personal_data() -> None:
    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        raise AssertionError("must not be called")

    broker, _guard, dead = make_consumer(handler)
    event = ready_event()
    bad = event.model_dump(mode="json")
    bad["ready_at"] = "19401009-2387"  # wrong type, and personal data that must not leak
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(event, data=bad))
    reason = dead[0].headers["dlq_reason"]
    assert reason.startswith("contract violation: ready_at:")
    assert "19401009" not in reason
    assert json.loads(dead[0].body)["ready_at"] == "19401009-2387"  # the original is kept for replay


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered() -> None:
    calls, guard, dead = await always_failing(RuntimeError("boom"), back_to_broker=False, max_delivery_attempts=3)
    assert calls == 3
    assert dead[0].headers["dlq_reason"] == "handler failed: RuntimeError: boom"
    assert guard.ids == set()  # dead-lettered is not handled: a replay of the fixed message must run


async def test_a_dead_lettered_event_replayed_with_the_same_id_is_handled() -> None:
    fixed = False
    handled: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        if not fixed:
            raise RuntimeError("bug")
        handled.append(meta.id)

    broker, guard, dead = make_consumer(handler, max_delivery_attempts=2)
    record = record_for(ready_event())
    async with TestKafkaBroker(broker):
        await publish(broker, record)
        assert len(dead) == 1
        fixed = True  # the bug is fixed; the message is replayed from the dead-letter topic
        await publish(broker, record)
    event_id = record.headers["ce_id"].decode()
    assert handled == [event_id]
    assert guard.ids == {event_id}
    assert len(dead) == 1


async def test_a_handler_refusing_a_message_does_not_mark_it_handled() -> None:
    _calls, guard, dead = await always_failing(DeadLetter("case unknown here"), back_to_broker=False)
    assert len(dead) == 1
    assert guard.ids == set()


async def test_a_handler_can_refuse_a_message_for_good() -> None:
    calls, _guard, dead = await always_failing(DeadLetter("case unknown here"), back_to_broker=False)
    assert calls == 1  # refused at once, not retried
    assert dead[0].headers["dlq_reason"] == "case unknown here"


@pytest.mark.parametrize("attempts", [1, 2])
async def test_a_handler_that_recovers_within_its_attempts_is_not_dead_lettered(attempts: int) -> None:
    calls = 0

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        nonlocal calls
        calls += 1
        if calls < attempts:
            raise RuntimeError("flaky")

    broker, _guard, dead = make_consumer(handler, max_delivery_attempts=3)
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(ready_event()))
    assert calls == attempts
    assert dead == []


TRANSIENT_FAILURES = [
    OperationFailure("Write conflict", code=112),
    OperationFailure("not primary", code=10107),
    OperationFailure("interrupted at shutdown", code=11600),
    OperationFailure("retry me", code=1, details={"errorLabels": ["RetryableWriteError"]}),
    OperationFailure("retry me", code=1, details={"errorLabels": ["TransientTransactionError"]}),
    OperationFailure("sqlite3: database is locked (5)", code=1),
    OperationFailure("SQLITE_BUSY: Database Is Locked"),
]
PERMANENT_FAILURES = [
    OperationFailure("document failed validation", code=121),
    OperationFailure("bad value", code=2),
    OperationFailure("unknown"),
]


@pytest.mark.parametrize("exc", TRANSIENT_FAILURES, ids=str)
def test_busy_or_failing_over_database_errors_are_transient(exc: OperationFailure) -> None:
    assert is_transient_operation_failure(exc)


@pytest.mark.parametrize("exc", PERMANENT_FAILURES, ids=str)
def test_a_database_rejecting_the_write_is_not_transient(exc: OperationFailure) -> None:
    assert not is_transient_operation_failure(exc)


@pytest.mark.parametrize("exc", TRANSIENT_FAILURES, ids=str)
async def test_a_transient_database_error_is_redelivered_without_limit_not_dead_lettered(
    exc: OperationFailure,
) -> None:
    calls, guard, dead = await always_failing(exc, back_to_broker=True, max_delivery_attempts=1)
    assert calls == 1  # no bounded in-process retries: the broker redelivers
    assert dead == []
    assert guard.ids == set()


@pytest.mark.parametrize("exc", PERMANENT_FAILURES, ids=str)
async def test_a_permanent_database_error_is_retried_then_dead_lettered(exc: OperationFailure) -> None:
    calls, guard, dead = await always_failing(exc, back_to_broker=False, max_delivery_attempts=3)
    assert calls == 3
    assert dead[0].headers["dlq_reason"] == f"database rejected the write: code {exc.code}"
    assert guard.ids == set()


async def test_a_record_too_large_for_any_contract_is_dead_lettered_unread() -> None:
    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        raise AssertionError("must not be called")

    broker, guard, dead = make_consumer(handler)
    event = ready_event()
    data = event.model_dump(mode="json") | {"padding": "x" * MAX_EVENT_BYTES}
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(event, data=data))
    assert len(dead) == 1
    assert dead[0].headers["dlq_reason"].startswith("oversized: ")
    assert guard.ids == set()


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_retry_pauses_double_with_jitter_and_a_cap(attempt: int) -> None:
    nominal = min(0.5 * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    assert backoff_delay(attempt, 0.5, rand=0.0) == pytest.approx(nominal / 2)
    assert backoff_delay(attempt, 0.5, rand=1.0) == pytest.approx(nominal)
    draws = {backoff_delay(attempt, 0.5) for _ in range(50)}
    assert len(draws) > 1  # jittered: replicas that failed together do not retry together
    assert all(nominal / 2 <= d <= nominal for d in draws)


async def test_a_failing_handler_waits_a_jittered_growing_pause_between_attempts(monkeypatch: Any) -> None:
    import trygg_shared.kafka as chassis

    pauses: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        pauses.append(seconds)

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        raise RuntimeError("boom")

    consumer_settings = KafkaSettings(retry_backoff_seconds=1.0, max_delivery_attempts=4)
    broker = KafkaBroker()
    EventConsumer(
        broker,
        topic=REFERRAL_CASE_EVENTS,
        group_id=GROUP,
        handles=[Handles(ReadyForDischarge, handler)],
        guard=FakeHandledEvents(),
        settings=consumer_settings,
    )
    # The chassis's own pause only: `asyncio.sleep` is every event loop's (a batch subscriber of a
    # service another test left running in a thread polls with it).
    monkeypatch.setattr(chassis, "_pause", fake_sleep)
    async with TestKafkaBroker(broker):
        await publish(broker, record_for(ready_event()))
    assert len(pauses) == 3  # between four attempts, then the dead-letter topic
    for attempt, pause in enumerate(pauses, start=1):
        assert 2 ** (attempt - 1) / 2 <= pause <= 2 ** (attempt - 1)


def test_the_fault_hook_is_inert_unless_configured() -> None:
    hook = FaultHook(None)
    for _ in range(5):
        hook.next_message()
        assert not hook.reached("before_effect")
        assert not hook.reached("after_effect")


def test_the_fault_hook_fires_at_its_point_of_the_nth_message_only() -> None:
    hook = FaultHook("after_effect:3")
    fired = []
    for n in range(1, 6):
        hook.next_message()
        fired += [(n, p) for p in FAULT_POINTS if hook.reached(p)]
    assert fired == [(3, "after_effect")]


@pytest.mark.parametrize("spec", ["after:1", "before_effect", "before_effect:0", "before_effect:x"])
def test_a_malformed_fault_hook_setting_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="TRYGG_FAULT_EXIT"):
        FaultHook(spec)


@pytest.mark.parametrize(
    "exc",
    [ConcurrencyConflict("c kept changing; gave up after 8 tries"), StorageUnavailable("store down")],
    ids=str,
)
async def test_contention_or_an_unavailable_store_is_redelivered_without_limit_not_dead_lettered(
    exc: Exception,
) -> None:
    calls, guard, dead = await always_failing(exc, back_to_broker=True, max_delivery_attempts=1)
    assert calls == 1
    assert dead == []
    assert guard.ids == set()
