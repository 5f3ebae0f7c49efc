"""The ops page: its view model (pure), what the adapters read (readiness, /metrics, Prometheus, the
dead-letter headers), the replay (ops only, audited, once) and the page over HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from aiokafka import ConsumerRecord
from console_support import ConsoleHarness, Stream, march_2026, raise_alert, utc

from console.adapters.dead_letters import dead_letter_of
from console.adapters.ops_probe import HttpServiceProbe, parse_metrics, readiness
from console.domain.access import Actor
from console.domain.alerts import AlertState
from console.domain.ops import (
    DeadLetter,
    Gauges,
    HealthState,
    LagRow,
    OutboxAge,
    ServiceHealth,
    age_text,
    alerts_for_ops,
    oldest_per_service,
    service_of_group,
    trace_id_of,
    trace_search_url,
)
from console.service_layer import ops as uc
from console.service_layer.pages import Forbidden, NotFound
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.contracts import notification as nt
from trygg_shared.metrics import ServiceMetrics

NOW = utc(2026, 3, 28, 9)
LETTER_ID = "trygg.dlq.scheduling.referral:2:7"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def letter(letter_id: str = LETTER_ID, **changes: object) -> DeadLetter:
    fields: dict[str, object] = dict(
        letter_id=letter_id,
        dead_letter_topic="trygg.dlq.scheduling.referral",
        partition=2,
        offset=7,
        group="scheduling.referral",
        original_topic="trygg.referral.case-events.v1",
        original_partition=4,
        original_offset=19,
        key="case-42",
        event_type="se.trygghemgang.referral.decision_granted.v1",
        event_id="ev-1",
        reason="contract violation: start_date: missing",
        failed_at=NOW - timedelta(minutes=5),
        trace_id=TRACE,
    )
    fields.update(changes)
    return DeadLetter(**fields)  # type: ignore[arg-type]


def an_alert(alert_id: str, *, responders: int, level: int = 0, closed: bool = False, minutes: int = 0) -> AlertState:
    return AlertState(
        alert_id,
        "visit_missed",
        "case-1",
        "vast",
        NOW - timedelta(minutes=minutes),
        responders=responders,
        level=level,
        acknowledged_at=NOW if closed else None,
    )


# --- the view model ---------------------------------------------------------------------------


def test_the_trace_search_finds_the_key_as_jaeger_holds_it_base64_in_a_json_tag() -> None:
    url = trace_search_url("http://jaeger:16686", "referral", "a81ac505-f085")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == "/search"
    assert query["service"] == "referral"
    tags = json.loads(query["tags"])
    assert tags == {"messaging.kafka.message.key": base64.b64encode(b"a81ac505-f085").decode()}
    assert "a81ac505-f085" not in query["tags"]  # the plain id, which Jaeger never holds


def test_a_traceparent_gives_its_trace_id_and_nothing_else_does() -> None:
    assert trace_id_of(f"00-{TRACE}-00f067aa0ba902b7-01") == TRACE
    assert trace_id_of(None) is None
    assert trace_id_of("garbage") is None
    assert trace_id_of(f"00-{'0' * 32}-00f067aa0ba902b7-01") is None  # the invalid all-zero id
    assert trace_id_of("00-zz92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01") is None


def test_a_group_belongs_to_the_service_its_name_starts_with_also_with_a_test_suffix() -> None:
    services = ("referral", "scheduling", "notification", "billing", "console")
    assert service_of_group("notification.own", services) == "notification"
    assert service_of_group("console_ui_ab12.billing", services) == "console"
    assert service_of_group("stranger.x", services) is None


def test_ops_sees_open_unrouted_and_open_escalated_alerts_oldest_first_and_nothing_closed() -> None:
    alerts = [
        an_alert("late-unrouted", responders=0, minutes=1),
        an_alert("early-unrouted", responders=0, minutes=9),
        an_alert("escalated", responders=3, level=1),
        an_alert("fresh", responders=3, level=0),
        an_alert("closed-unrouted", responders=0, closed=True),
    ]
    view = alerts_for_ops(alerts, NOW)
    assert [a.alert_id for a in view.unrouted] == ["early-unrouted", "late-unrouted"]
    assert [a.alert_id for a in view.escalated] == ["escalated"]


def test_the_oldest_outbox_entry_per_service_and_its_age_in_words() -> None:
    rows = [OutboxAge("referral", "cases", 3), OutboxAge("referral", "decisions", 75), OutboxAge("billing", "x", 0)]
    assert oldest_per_service(rows) == [OutboxAge("billing", "x", 0), OutboxAge("referral", "decisions", 75)]
    assert [age_text(s) for s in (0, 12, 75, 7500)] == ["—", "12 s", "1 min 15 s", "2 h 5 min"]


# --- what the adapters read ---------------------------------------------------------------------


def test_readiness_says_ready_degraded_or_down_with_each_checks_answer() -> None:
    ok = readiness("referral", 200, {"status": "ok", "checks": {"mongo": "ok", "kafka": "ok"}})
    assert ok == ServiceHealth("referral", HealthState.READY, "mongo: ok, kafka: ok")
    degraded = readiness("notification", 200, {"status": "degraded", "checks": {"oncall": "nobody on call"}})
    assert degraded.state is HealthState.DEGRADED
    assert degraded.reason == "oncall: nobody on call"
    down = readiness("billing", 503, {"status": "unavailable", "checks": {"mongo": "ServerSelectionTimeoutError"}})
    assert down == ServiceHealth("billing", HealthState.DOWN, "mongo: ServerSelectionTimeoutError")
    assert readiness("console", 502, None) == ServiceHealth("console", HealthState.DOWN, "HTTP 502")


def exposition() -> str:
    """What a service's /metrics really says (the chassis' metrics)."""
    metrics = ServiceMetrics("scheduling")
    metrics.chassis.consumer_lag.labels(topic="trygg.referral.case-events.v1", group="scheduling.referral").set(12)
    metrics.chassis.outbox_oldest_age.labels(collection="periods").set(81.5)
    metrics.chassis.events_dead_lettered.labels(topic="t", group="g").inc()
    return metrics.exposition().decode()


def test_lag_and_outbox_age_are_read_from_a_services_metrics() -> None:
    lag, outbox = parse_metrics("scheduling", exposition())
    assert lag == [LagRow("scheduling", "scheduling.referral", "trygg.referral.case-events.v1", 12.0)]
    assert outbox == [OutboxAge("scheduling", "periods", 81.5)]


async def test_the_probe_reads_each_services_readyz_and_metrics_and_names_those_it_could_not() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "billing":
            raise httpx.ConnectError("refused")
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ok", "checks": {"mongo": "ok"}})
        return httpx.Response(200, text=exposition())

    services = {"scheduling": "http://scheduling:8002", "billing": "http://billing:8004/"}
    probe = HttpServiceProbe(services, timeout=1, transport=httpx.MockTransport(answer))
    health = await probe.health()
    assert [(h.service, h.state) for h in health] == [
        ("scheduling", HealthState.READY),
        ("billing", HealthState.DOWN),
    ]
    assert health[1].reason == "no answer (ConnectError)"
    gauges = await probe.gauges()
    assert gauges.source == "metrics"
    assert [r.group for r in gauges.lag] == ["scheduling.referral"]
    assert gauges.unreadable == ["billing"]


async def test_with_prometheus_configured_lag_and_outbox_age_are_its_sums_over_replicas() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        asked.append(query)
        if "trygg_consumer_lag" in query:
            metric = {"job": "scheduling", "group": "scheduling.referral", "topic": "trygg.referral.case-events.v1"}
        else:
            metric = {"job": "referral", "collection": "cases"}
        return httpx.Response(
            200, json={"status": "success", "data": {"result": [{"metric": metric, "value": [1, "7"]}]}}
        )

    probe = HttpServiceProbe(
        {}, timeout=1, prometheus_url="http://prometheus:9090/", transport=httpx.MockTransport(answer)
    )
    gauges = await probe.gauges()
    assert gauges.source == "http://prometheus:9090"
    assert gauges.lag == [LagRow("scheduling", "scheduling.referral", "trygg.referral.case-events.v1", 7.0)]
    assert gauges.outbox == [OutboxAge("referral", "cases", 7.0)]
    assert sorted(asked) == sorted(
        [
            "sum by (job, group, topic) (trygg_consumer_lag)",
            "max by (job, collection) (trygg_outbox_oldest_pending_age_seconds)",
        ]
    )


def test_a_dead_letter_record_is_read_from_the_headers_the_chassis_writes() -> None:
    headers = [
        ("ce_id", b"ev-1"),
        ("ce_type", b"se.trygghemgang.referral.decision_granted.v1"),
        ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01".encode()),
        ("dlq_reason", b"contract violation: start_date: missing"),
        ("dlq_consumer_group", b"scheduling.referral"),
        ("dlq_original_topic", b"trygg.referral.case-events.v1"),
        ("dlq_original_partition", b"4"),
        ("dlq_original_offset", b"19"),
        ("dlq_failed_at", (NOW - timedelta(minutes=5)).isoformat().encode()),
    ]
    record = ConsumerRecord("trygg.dlq.scheduling.referral", 2, 7, 0, 0, b"case-42", b"{}", None, 2, 2, tuple(headers))
    assert dead_letter_of(record) == letter()
    replayed = ConsumerRecord(
        "trygg.dlq.scheduling.referral", 2, 9, 0, 0, None, b"", None, 0, 0, ((("trygg_replay_of", LETTER_ID.encode())),)
    )
    again = dead_letter_of(replayed)
    assert again.replay_of == LETTER_ID
    assert again.reason == "(no reason given)"
    assert again.key is None


# --- the replay ---------------------------------------------------------------------------------


@pytest.fixture
async def harness() -> ConsoleHarness:
    h = ConsoleHarness(NOW)
    await h.dead_letters.add(letter())
    return h


def ops_actor() -> Actor:
    return Actor(subject="ops:anna", roles=("ops",))


async def test_two_replays_of_one_dead_letter_at_once_publish_it_once_and_audit_it_once(
    harness: ConsoleHarness,
) -> None:
    deps, ops = harness.console.deps, harness.console.ops
    results = await asyncio.gather(
        uc.replay_dead_letter(deps, ops, ops_actor(), LETTER_ID),
        uc.replay_dead_letter(deps, ops, ops_actor(), LETTER_ID),
        return_exceptions=True,
    )
    assert sum(isinstance(r, uc.AlreadyReplayed) for r in results) == 1
    assert [d.letter_id for d in harness.republisher.published] == [LETTER_ID]
    [record] = harness.audit.records
    assert (record.action, record.actor, record.subject) == (
        "replay_dead_letter",
        "ops:anna",
        f"dead_letter:{LETTER_ID}",
    )
    [shown] = await harness.dead_letters.recent(10)
    assert shown.replay is not None
    assert shown.replay.by == "ops:anna"
    assert shown.replay.published_at == NOW


async def test_a_replay_that_could_not_be_published_can_be_tried_again(harness: ConsoleHarness) -> None:
    deps, ops = harness.console.deps, harness.console.ops
    harness.republisher.fail = True
    with pytest.raises(uc.ReplayFailed):
        await uc.replay_dead_letter(deps, ops, ops_actor(), LETTER_ID)
    assert (await harness.dead_letters.recent(10))[0].replay is None
    harness.republisher.fail = False
    await uc.replay_dead_letter(deps, ops, ops_actor(), LETTER_ID)
    assert len(harness.republisher.published) == 1


async def test_without_its_audit_record_nothing_is_replayed() -> None:
    class BrokenAudit:
        async def append(self, record: object) -> None:
            raise StorageUnavailable("audit log down")

    h = ConsoleHarness(NOW)
    await h.dead_letters.add(letter())
    h.console.deps.audit = BrokenAudit()  # type: ignore[assignment]
    with pytest.raises(StorageUnavailable):
        await uc.replay_dead_letter(h.console.deps, h.console.ops, ops_actor(), LETTER_ID)
    assert h.republisher.published == []
    assert (await h.dead_letters.recent(10))[0].replay is None  # the claim was given back


async def test_only_ops_replays_and_only_what_exists(harness: ConsoleHarness) -> None:
    deps, ops = harness.console.deps, harness.console.ops
    with pytest.raises(Forbidden):
        await uc.replay_dead_letter(deps, ops, Actor(subject="oncall:x", roles=("oncall",)), LETTER_ID)
    with pytest.raises(NotFound):
        await uc.replay_dead_letter(deps, ops, ops_actor(), "trygg.dlq.x:0:1")
    assert harness.republisher.published == []
    assert harness.audit.records == []


# --- the page -----------------------------------------------------------------------------------


def unrouted_alert(stream: Stream) -> None:
    topic = nt.AlertTopic.LIABILITY_NO_DECISION
    raise_alert(
        stream, "U", None, "liability:U", topic, at=utc(2026, 3, 28, 8), due_at=utc(2026, 3, 29, 8), responders=0
    )


async def test_ops_lands_on_the_ops_page_with_health_lag_outbox_dead_letters_and_unrouted_alerts(
    harness: ConsoleHarness,
) -> None:
    stream = march_2026()
    unrouted_alert(stream)
    await harness.replay(stream)
    harness.probe.services = [ServiceHealth("notification", HealthState.DEGRADED, "mongo: ok, oncall: nobody on call")]
    harness.probe.measured = Gauges(
        [LagRow("scheduling", "scheduling.referral", "trygg.referral.case-events.v1", 4)],
        [OutboxAge("referral", "cases", 95)],
        "metrics",
    )
    signed_in = harness.client.post("/login", data={"token": "dev-ops"})
    assert signed_in.headers["location"] == "/ops"
    assert harness.client.get("/").headers["location"] == "/ops"

    page = harness.client.get("/ops")
    assert page.status_code == 200
    text = page.text
    assert 'data-service="notification"' in text
    assert "oncall: nobody on call" in text
    assert "scheduling.referral" in text
    assert "1 min 35 s" in text
    assert f'data-letter-id="{LETTER_ID}"' in text
    assert "contract violation: start_date: missing" in text
    assert f"/trace/{TRACE}" in text
    assert quote(base64.b64encode(b"case-42").decode()) in text  # the key search, as Jaeger holds the key
    assert 'data-alert-id="liability:U"' in text
    assert harness.audit.records == []  # codes, ids and reasons: no personal data, no audit record


async def test_replaying_over_http_twice_publishes_once_and_says_so(harness: ConsoleHarness) -> None:
    client = harness.login("ops")
    first = client.post(f"/ops/dead-letters/{LETTER_ID}/replay")
    assert first.status_code == 303
    assert first.headers["location"] == "/ops#dead-letters"
    second = client.post(f"/ops/dead-letters/{LETTER_ID}/replay")
    assert second.status_code == 409
    assert "redan spelats upp igen" in second.text  # Swedish first
    assert len(harness.republisher.published) == 1
    assert "Uppspelat av ops:dev" in client.get("/ops").text
    assert client.post("/ops/dead-letters/trygg.dlq.x:0:1/replay").status_code == 404


async def test_a_replay_from_another_site_or_another_role_is_refused(harness: ConsoleHarness) -> None:
    client = harness.login("ops")
    elsewhere = client.post(f"/ops/dead-letters/{LETTER_ID}/replay", headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    other = ConsoleHarness(NOW)
    await other.dead_letters.add(letter())
    assert other.login("oncall").post(f"/ops/dead-letters/{LETTER_ID}/replay").status_code == 403
    assert other.login("officer").get("/ops").status_code == 403
    assert harness.republisher.published == []
    assert other.republisher.published == []


async def test_a_replay_kafka_refused_leaves_the_letter_waiting_and_says_why(harness: ConsoleHarness) -> None:
    harness.republisher.fail = True
    failed = harness.login("ops").post(f"/ops/dead-letters/{LETTER_ID}/replay")
    assert failed.status_code == 502
    assert "kunde inte publiceras igen" in failed.text
    assert "<button" in failed.text  # still offered
