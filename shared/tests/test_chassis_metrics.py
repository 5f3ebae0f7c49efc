"""The chassis' metrics (issue 18 §1): every service exposes them at /metrics, with codes in
labels (topics, groups, route templates), never ids or personal data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker, TestKafkaBroker
from prometheus_client.parser import text_string_to_metric_families

from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, dead_letter_topic
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import DeadLetter, EventConsumer, Handles, raw_body
from trygg_shared.metrics import ServiceMetrics, install_request_timing
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import sample_ready_for_discharge

GROUP = "test-group"


class _Guard:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def position(self, stream: str, subject: str) -> int:
        return 0

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        return None

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def mark(self, event_id: str, event_type: str) -> bool:
        self.ids.add(event_id)
        return True


async def _publish(broker: KafkaBroker, event: ReadyForDischarge) -> None:
    meta = EventMeta(str(uuid.uuid4()), event.EVENT_TYPE, "urn:test", event.case_id, datetime.now(UTC))
    record = encode(meta, event.model_dump(mode="json"))
    headers = {k: v.decode() for k, v in record.headers.items()}
    await broker.publish(record.value, topic=REFERRAL_CASE_EVENTS, key=record.key, headers=headers)


def samples(metrics: ServiceMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
    }


async def test_handled_failed_and_dead_lettered_events_are_counted_per_topic_and_group() -> None:
    calls: list[str] = []

    async def handler(event: ReadyForDischarge, meta: EventMeta) -> None:
        calls.append(meta.id)
        if len(calls) == 2:
            raise RuntimeError("a bug, once")  # retried: one failed attempt, then handled
        if event.case_id == "poison":
            raise DeadLetter("never valid")

    broker = KafkaBroker()
    dead: list[bytes] = []

    @broker.subscriber(dead_letter_topic(GROUP), decoder=raw_body)
    async def collect(body: bytes) -> None:
        dead.append(body)

    consumer = EventConsumer(
        broker,
        topic=REFERRAL_CASE_EVENTS,
        group_id=GROUP,
        handles=[Handles(ReadyForDischarge, handler)],
        guard=_Guard(),
        settings=KafkaSettings(retry_backoff_seconds=0, max_delivery_attempts=3),
    )
    metrics = ServiceMetrics("test")
    consumer.metrics = metrics.chassis
    async with TestKafkaBroker(broker):
        await _publish(broker, sample_ready_for_discharge())
        await _publish(broker, sample_ready_for_discharge())
        await _publish(broker, sample_ready_for_discharge("poison"))
    assert len(dead) == 1
    labels = (("group", GROUP), ("topic", REFERRAL_CASE_EVENTS))
    got = samples(metrics)
    assert got[("trygg_events_handled_total", labels)] == 2
    assert got[("trygg_events_failed_total", labels)] == 1
    assert got[("trygg_events_dead_lettered_total", labels)] == 1


def test_http_latency_is_observed_per_route_template_not_per_path() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    metrics = ServiceMetrics("test")
    router = APIRouter()

    @router.get("/cases/{case_id}")
    async def one(case_id: str) -> dict[str, Any]:
        return {"id": case_id}

    @router.get("/live")
    async def live() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"data: x\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app.include_router(router)
    install_request_timing(app, metrics.chassis)
    client = TestClient(app)
    assert client.get("/cases/abc-199001011234").status_code == 200
    assert client.get("/nowhere").status_code == 404
    assert client.get("/live").status_code == 200
    text = metrics.exposition().decode()
    assert 'trygg_http_request_duration_seconds_count{method="GET",route="/cases/{case_id}",status="2xx"} 1.0' in text
    assert 'route="unmatched",status="4xx"' in text
    assert "199001011234" not in text  # ids and identity numbers never reach a label
    assert 'route="/live"' not in text  # a stream's length is no latency


async def test_a_scrape_hook_sets_gauges_and_one_that_fails_does_not_break_the_scrape() -> None:
    metrics = ServiceMetrics("test")
    gauge = metrics.gauge("answer", "set at scrape time")

    async def broken() -> None:
        raise RuntimeError("database down")

    async def sets() -> None:
        gauge.set(42)

    metrics.on_scrape(broken)
    metrics.on_scrape(sets)
    await metrics.refresh()
    assert samples(metrics)[("trygg_test_answer", ())] == 42


class _Cursor:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def limit(self, _n: int) -> _Cursor:
        return self

    def __aiter__(self) -> Any:
        async def gen() -> Any:
            for doc in self.docs:
                yield doc

        return gen()


class _Collection:
    name = "cases"

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def find(self, criteria: dict[str, Any], _projection: dict[str, Any]) -> _Cursor:
        return _Cursor([d for d in self.docs if all(d.get(k) == v for k, v in criteria.items())])


async def test_the_outbox_reports_its_oldest_pending_entry_per_collection() -> None:
    from trygg_shared.outbox import PENDING_FLAG, OutboxRelay

    old = datetime.now(UTC) - timedelta(minutes=5)
    docs: list[dict[str, Any]] = [
        {"_id": "a", PENDING_FLAG: True, "outbox": {"e1": {"time": old + timedelta(minutes=1)}, "e2": {"time": old}}},
        {"_id": "b", PENDING_FLAG: True, "outbox": {"e3": {"time": datetime.now(UTC)}}},
        {"_id": "c", "outbox": {}},
    ]

    async def publish_fn(_event: Any) -> None:
        return None

    relay = OutboxRelay([_Collection(docs)], publish_fn)  # type: ignore[list-item]
    assert await relay.oldest_pending() == {"cases": old}
    empty = OutboxRelay([_Collection([])], publish_fn)  # type: ignore[list-item]
    assert await empty.oldest_pending() == {"cases": None}


def test_records_a_batch_left_out_are_on_every_service_s_metrics() -> None:
    from trygg_shared.batch import Failures

    metrics = ServiceMetrics("test")
    before = samples(metrics).get(("trygg_batch_record_failures_total", (("batch", "statement_run_test"),)), 0.0)
    Failures("statement_run_test").report("p_1", ValueError("bad tariff"))
    after = samples(metrics)[("trygg_batch_record_failures_total", (("batch", "statement_run_test"),))]
    assert after == before + 1
    assert ServiceMetrics("another").exposition().count(b"trygg_batch_record_failures_total{") >= 1


def test_a_counter_from_zero_exposes_each_named_series_before_its_first_count() -> None:
    metrics = ServiceMetrics("svc")
    hits = metrics.counter("hits", "Hits per cap.", labels=("cap",), from_zero=["a", "b"])
    hits.labels(cap="b").inc()
    samples = {
        sample.labels["cap"]: sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
        if sample.name == "trygg_svc_hits_total"
    }
    assert samples == {"a": 0.0, "b": 1.0}
