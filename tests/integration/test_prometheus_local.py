"""`trygg run`'s Prometheus (devstack.prometheus): the pinned Debian build from .local, scraping
each service's /metrics on loopback, with its web UI, and firing deploy/prometheus/rules.yml's
alerts on what a service exposes (issue 18 §2). A small metrics endpoint stands in for the
services: the same `ServiceMetrics` they serve, without Kafka or MongoDB."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import start_http_server

from devstack.prometheus import PrometheusServer
from devstack.servers import free_port
from devstack.stack import SERVICES
from trygg_shared.metrics import ServiceMetrics

GROUP, TOPIC = "notification", "trygg.referral.case-events.v1"


@pytest.fixture
def exposed() -> Iterator[tuple[int, ServiceMetrics]]:
    metrics = ServiceMetrics("notification")
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=metrics.registry)
    try:
        yield port, metrics
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def prometheus(tmp_path: Path, exposed: tuple[int, ServiceMetrics]) -> Iterator[PrometheusServer]:
    port, _metrics = exposed
    server = PrometheusServer(tmp_path / "prometheus", {s.name: port for s in SERVICES})
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def eventually(check: Callable[[], Any], timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def firing(server: PrometheusServer) -> set[str]:
    alerts = server.api("/api/v1/alerts")["data"]["alerts"]
    return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}


def test_every_service_is_scraped_and_the_web_ui_answers(prometheus: PrometheusServer) -> None:
    up = eventually(lambda: (t := prometheus.targets()) and all(h == ["up"] for h in t.values()) and t)
    assert up, prometheus.targets()
    assert {s.name for s in SERVICES} | {"prometheus"} == set(up)
    with urllib.request.urlopen(f"{prometheus.url}/classic/targets", timeout=5) as page:
        html = page.read().decode()
    assert page.status == 200
    assert "notification" in html
    # Every script and style sheet the graph page loads (Debian's libjs packages, through links).
    with urllib.request.urlopen(f"{prometheus.url}/classic/graph", timeout=5) as page:
        assets = set(re.findall(r'(?:src|href)="(/classic/static/[^"?]+)', page.read().decode()))
    assert any(a.endswith("moment-timezone-with-data.min.js") for a in assets)
    for asset in sorted(assets):
        with urllib.request.urlopen(f"{prometheus.url}{asset}", timeout=5) as response:
            assert response.status == 200, asset
    assert "TryggEventDeadLettered" in prometheus.alert_rules()


def test_a_dead_letter_an_unrouted_alert_and_a_stuck_outbox_fire_their_alerts(
    prometheus: PrometheusServer, exposed: tuple[int, ServiceMetrics]
) -> None:
    _port, metrics = exposed
    dead = metrics.chassis.events_dead_lettered.labels(topic=TOPIC, group=GROUP)  # 0 at start
    # notification's counter as its bootstrap declares it (the contract test checks the name).
    unrouted = metrics.counter("alerts_unrouted", "alerts that reached nobody", ("topic",)).labels("visit_missed")
    scraped = eventually(
        lambda: prometheus.api("/api/v1/query?query=trygg_events_dead_lettered_total")["data"]["result"]
    )
    assert scraped, "the series was never scraped"
    expected = {"TryggEventDeadLettered", "TryggAlertUnrouted", "TryggOutboxStuck"}
    assert not firing(prometheus) & expected
    dead.inc()
    unrouted.inc()
    metrics.chassis.outbox_oldest_age.labels(collection="messages").set(75)
    fired = eventually(lambda: expected <= firing(prometheus))
    assert fired, firing(prometheus)
