"""Prometheus metrics of one service: its own registry and a `/metrics` route (the official prometheus_client).

Each service builds one `ServiceMetrics` in its composition root (the chassis makes one when it
does not), declares its counters on it and hands it to the `ServiceRuntime`, whose app serves
`GET /metrics` in the Prometheus text format. A registry per service object (not the
process-global default) lets tests build a service several times in one process. Labels carry
codes (topics, groups, routes, reasons, providers), never personal data.

Names: a service's own metrics are `trygg_<service>_<name>`; the chassis' metrics, the same in
every service, are `trygg_<name>` (`ChassisMetrics`), told apart by the scrape's `job` label.
Gauges that need a database or Kafka read (outbox age, consumer lag, liability clocks) are
refreshed by `on_scrape` hooks when Prometheus scrapes, not by a loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trygg_shared.batch import BATCH_RECORD_FAILURES
from trygg_shared.logging import get_logger

log = get_logger(__name__)

ScrapeHook = Callable[[], Awaitable[None]]
SCRAPE_HOOK_TIMEOUT = 3.0  # seconds; a hook that takes longer leaves its gauges as they were


@dataclass(frozen=True)
class ChassisMetrics:
    """What the chassis measures in every service (consumers, outbox relay, HTTP)."""

    events_published: Counter
    events_handled: Counter
    events_failed: Counter
    events_dead_lettered: Counter
    consumer_lag: Gauge
    outbox_oldest_age: Gauge
    http_duration: Histogram

    @classmethod
    def on(cls, registry: CollectorRegistry) -> ChassisMetrics:
        by_event = ("topic", "group")
        return cls(
            events_published=Counter(
                "trygg_events_published",
                "Events the outbox relay published, per topic and event type (alerts raised, acknowledged"
                " and escalated, visits missed, statements issued ...).",
                ("topic", "type"),
                registry=registry,
            ),
            events_handled=Counter(
                "trygg_events_handled", "Events a consumer group handled.", by_event, registry=registry
            ),
            events_failed=Counter(
                "trygg_events_failed",
                "Failed attempts at handling an event (retried or redelivered later).",
                by_event,
                registry=registry,
            ),
            events_dead_lettered=Counter(
                "trygg_events_dead_lettered",
                "Events sent to the group's dead-letter topic (the reason is in the record's headers).",
                by_event,
                registry=registry,
            ),
            consumer_lag=Gauge(
                "trygg_consumer_lag",
                "Records on the partitions assigned to this process not yet consumed (high watermark - position).",
                by_event,
                registry=registry,
            ),
            outbox_oldest_age=Gauge(
                "trygg_outbox_oldest_pending_age_seconds",
                "Age of the oldest unpublished outbox entry (0 when none is pending).",
                ("collection",),
                registry=registry,
            ),
            http_duration=Histogram(
                "trygg_http_request_duration_seconds",
                "HTTP request latency per route template (not per path: no ids in labels).",
                ("method", "route", "status"),
                registry=registry,
            ),
        )


class ServiceMetrics:
    """The metrics one service exposes: its own (`trygg_<service>_<name>`) and the chassis'."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.chassis = ChassisMetrics.on(self.registry)
        # Records a batch (statement run, report, figures) left out: a process-wide counter.
        self.registry.register(BATCH_RECORD_FAILURES)
        self._scrape_hooks: list[ScrapeHook] = []

    def _name(self, name: str) -> str:
        return f"trygg_{self.service}_{name}".replace("-", "_")

    def counter(
        self, name: str, documentation: str, labels: Sequence[str] = (), *, from_zero: Iterable[str] = ()
    ) -> Counter:
        """A counter (exposed with the `_total` suffix).

        `from_zero`: values of its one label whose series are exposed from 0 at once, so that an alert
        rule's `increase()` sees the first count (it cannot see a series that appears at 1)."""
        counter = Counter(self._name(name), documentation, labelnames=tuple(labels), registry=self.registry)
        for value in from_zero:
            counter.labels(value)
        return counter

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(self._name(name), documentation, labelnames=tuple(labels), registry=self.registry)

    def on_scrape(self, hook: ScrapeHook) -> None:
        """Run `hook` (which sets gauges) before each exposition."""
        self._scrape_hooks.append(hook)

    async def refresh(self) -> None:
        """Run the scrape hooks; one that fails or is slow is logged and leaves its gauges as they were."""
        for hook in self._scrape_hooks:
            try:
                await asyncio.wait_for(hook(), SCRAPE_HOOK_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - a metric must never break the scrape
                log.warning("metrics refresh failed", hook=getattr(hook, "__name__", "?"), error=type(exc).__name__)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def router(self) -> APIRouter:
        """`GET /metrics`: the registry in the Prometheus text format (for the platform's scraper)."""
        router = APIRouter(tags=["health"])

        @router.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            await self.refresh()
            return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

        return router


class RequestTiming:
    """ASGI middleware: each request's latency under its route template (`/cases/{case_id}`), its
    method and its status class (`2xx`); a request that matches no route counts as `unmatched`.
    Event streams (the console's live feed) are left out: their length is not a latency."""

    def __init__(self, app: ASGIApp, chassis: ChassisMetrics) -> None:
        self.app = app
        self.chassis = chassis

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, stream = 500, False

        async def observe_start(message: Message) -> None:
            nonlocal status, stream
            if message["type"] == "http.response.start":
                status = int(message["status"])
                stream = any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in message["headers"])
            await send(message)

        try:
            await self.app(scope, receive, observe_start)
        finally:
            if not stream:
                template = getattr(scope.get("route"), "path", None) or "unmatched"  # the router fills it in
                self.chassis.http_duration.labels(
                    method=scope["method"], route=template, status=f"{status // 100}xx"
                ).observe(time.perf_counter() - started)


def install_request_timing(app: FastAPI, chassis: ChassisMetrics) -> None:
    """Time every request of `app` (`RequestTiming`)."""
    app.add_middleware(RequestTiming, chassis=chassis)
