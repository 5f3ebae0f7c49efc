"""Issue 18's "Done when", end to end: the five services as real processes on the session's Kafka
and FerretDB, each listed as up by a real Prometheus (the pinned Debian build) loading
deploy/prometheus/rules.yml as shipped. A message the console cannot handle and an on-call alert
that reaches nobody (no rota here) each fire their rule (TryggEventDeadLettered, TryggAlertUnrouted:
neither has a `for`, so they fire at their first evaluation) and appear on the ops page.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_support import publish_broken_billing_event

from devstack import paths
from devstack.prometheus import PrometheusServer
from devstack.stack import SERVICES
from devstack.testing import Endpoints, service_processes
from tests.fixtures.e2e import System

NAMES = tuple(s.name for s in SERVICES)  # every service: Prometheus lists each as up

pytestmark = pytest.mark.timeout(600)


@dataclass
class Watched:
    system: System
    prometheus: PrometheusServer


@pytest.fixture(scope="module")
def watched(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    if not paths.prometheus_binary().is_file():
        pytest.fail("Prometheus is not installed: run deploy/local/install.sh (make test does)")
    suffix = f"_ops_{uuid.uuid4().hex[:8]}"
    workdir: Path = tmp_path_factory.mktemp("ops-done-when")
    extra = {
        "NOTIFICATION_LIABILITY_ALERT_LEAD_HOURS": "1000",  # a ready notice raises its alert at once
        "CONSOLE_SESSION__SECURE_COOKIE": "false",  # this test's client speaks plain http
    }
    processes = service_processes(servers, NAMES, suffix, workdir / "logs", extra_env=extra)
    ports = {name: p.port for name, p in processes.items()}
    prometheus = PrometheusServer(workdir / "prometheus", ports)
    try:
        for process in processes.values():
            process.start()
        prometheus.start()
        for process in processes.values():
            process.wait_ready(90)
        prometheus.wait_ready()
        yield Watched(System(servers, processes, suffix), prometheus)
    finally:
        prometheus.stop()
        for process in processes.values():
            process.stop()


async def _eventually(check: Callable[[], Any], within: float) -> Any:
    """Poll a blocking `check` (Prometheus' API) off the event loop until it is truthy or time is up."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await asyncio.to_thread(check)
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(1)


def _firing(prometheus: PrometheusServer) -> set[str]:
    return {labels["alertname"] for labels in _firing_labels(prometheus)}


def _firing_labels(prometheus: PrometheusServer) -> list[dict[str, str]]:
    alerts = prometheus.api("/api/v1/alerts")["data"]["alerts"]
    return [a["labels"] for a in alerts if a["state"] == "firing"]


def _dead_letter_firing(prometheus: PrometheusServer, group: str) -> bool:
    """`TryggEventDeadLettered` fires for the console's billing consumer group of this system.

    (The system shares Kafka with the tests before it and its new groups read each topic from the
    start, so this group may also dead-letter an earlier test's poison, before or after this
    test's: that this group's alert fires is checked here, that it was for this test's poison by
    its key on the ops page.)"""
    return any(
        labels["alertname"] == "TryggEventDeadLettered"
        and labels.get("job") == "console"
        and labels.get("group") == group
        for labels in _firing_labels(prometheus)
    )


def _scraped_from_zero(prometheus: PrometheusServer) -> bool:
    """Both counters scraped at 0 first, so that the rules' increase() sees the first dead letter and alert."""
    dead = prometheus.api("/api/v1/query?query=trygg_events_dead_lettered_total")["data"]["result"]
    unrouted = prometheus.api("/api/v1/query?query=trygg_notification_alerts_unrouted_total")["data"]["result"]
    return bool(dead) and bool(unrouted)


async def test_a_dead_letter_and_an_unrouted_alert_fire_their_rules_and_show_on_the_ops_page(
    watched: Watched,
) -> None:
    prometheus, system = watched.prometheus, watched.system
    up = await _eventually(lambda: all(prometheus.targets().get(n) == ["up"] for n in NAMES), 60)
    assert up, prometheus.targets()
    assert await _eventually(lambda: _scraped_from_zero(prometheus), 60)
    group = f"console{system.suffix}.billing"

    response = system.send()
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]
    key = f"ops-poison-{uuid.uuid4().hex[:8]}"
    await publish_broken_billing_event(system.endpoints.kafka_bootstrap, key)

    fired = await _eventually(
        lambda: _dead_letter_firing(prometheus, group) and "TryggAlertUnrouted" in _firing(prometheus), 90
    )
    assert fired, _firing_labels(prometheus)

    console = system.url("console")
    async with httpx.AsyncClient(base_url=console, headers={"Origin": console}, timeout=15) as client:
        signed_in = await client.post("/login", data={"token": "dev-ops"})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/ops"  # where the ops role lands

        missing: list[str] = []

        async def shown() -> str | None:
            page = await client.get("/ops")
            assert page.status_code == 200, page.text
            text = html.unescape(page.text)
            missing[:] = [
                what
                for what, mark in (
                    ("the dead letter", key),
                    ("the unrouted alert", f'data-alert-id="liability:{case_id}:'),
                )
                if mark not in text
            ]
            return None if missing else text

        # The system's new consumer groups read every earlier test's events on the shared Kafka first
        # (notification raises this case's alert once it has worked through them): a wide deadline.
        deadline = asyncio.get_running_loop().time() + 180
        page = await shown()
        while page is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(1)
            page = await shown()
    assert page is not None, f"never showed on the ops page: {', '.join(missing)}"
    assert "contract violation" in page
