"""Prometheus metrics of one service: its own registry and a `/metrics` route (the official prometheus_client).

Each service builds one `ServiceMetrics` in its composition root, declares its counters on it
and hands it to the `ServiceRuntime`, whose app serves `GET /metrics` in the Prometheus text
format. A registry per service object (not the process-global default) lets tests build a
service several times in one process. Labels carry codes (topics, reasons), never personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest


class ServiceMetrics:
    """The metrics one service exposes, named `trygg_<service>_<name>`."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)

    def _name(self, name: str) -> str:
        return f"trygg_{self.service}_{name}".replace("-", "_")

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter (exposed with the `_total` suffix)."""
        return Counter(self._name(name), documentation, labelnames=tuple(labels), registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(self._name(name), documentation, labelnames=tuple(labels), registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def router(self) -> APIRouter:
        """`GET /metrics`: the registry in the Prometheus text format (for the platform's scraper)."""
        router = APIRouter(tags=["health"])

        @router.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

        return router
