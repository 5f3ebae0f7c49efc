"""The services as the ops page sees them, over HTTP (httpx): each one's `/readyz`, and consumer lag
and outbox age from each one's `/metrics` (the Prometheus text format, read with prometheus_client's
parser) or, when a Prometheus URL is configured, from Prometheus' HTTP API (summed over replicas)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from console.domain.ops import Gauges, HealthState, LagRow, OutboxAge, ServiceHealth
from trygg_shared.logging import get_logger

log = get_logger(__name__)

LAG = "trygg_consumer_lag"
OUTBOX_AGE = "trygg_outbox_oldest_pending_age_seconds"
LAG_QUERY = f"sum by (job, group, topic) ({LAG})"
OUTBOX_QUERY = f"max by (job, collection) ({OUTBOX_AGE})"


def readiness(service: str, status: int, body: Any) -> ServiceHealth:
    """A `/readyz` answer as a state and a reason ("mongo: ok, kafka: KafkaConnectionError")."""
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    reason = ", ".join(f"{k}: {v}" for k, v in checks.items() if isinstance(v, str)) or f"HTTP {status}"
    if status != 200:
        return ServiceHealth(service, HealthState.DOWN, reason)
    degraded = isinstance(body, dict) and body.get("status") == "degraded"
    return ServiceHealth(service, HealthState.DEGRADED if degraded else HealthState.READY, reason)


def parse_metrics(service: str, text: str) -> tuple[list[LagRow], list[OutboxAge]]:
    """The lag and outbox-age samples of one service's `/metrics` exposition."""
    lag: list[LagRow] = []
    outbox: list[OutboxAge] = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == LAG:
                lag.append(LagRow(service, sample.labels["group"], sample.labels["topic"], sample.value))
            elif sample.name == OUTBOX_AGE:
                outbox.append(OutboxAge(service, sample.labels["collection"], sample.value))
    return lag, outbox


class HttpServiceProbe:
    def __init__(
        self,
        services: Mapping[str, str],
        *,
        timeout: float,
        prometheus_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._services = {name: url.rstrip("/") for name, url in services.items()}
        self._timeout = timeout
        self._prometheus = prometheus_url.rstrip("/") if prometheus_url else None
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._timeout, transport=self._transport)

    async def health(self) -> list[ServiceHealth]:
        async with self._client() as client:
            return list(await asyncio.gather(*(self._ready(client, s, u) for s, u in self._services.items())))

    async def _ready(self, client: httpx.AsyncClient, service: str, url: str) -> ServiceHealth:
        try:
            response = await client.get(f"{url}/readyz")
        except httpx.HTTPError as exc:
            return ServiceHealth(service, HealthState.DOWN, f"no answer ({type(exc).__name__})")
        try:
            body = response.json()
        except ValueError:
            body = None
        return readiness(service, response.status_code, body)

    async def gauges(self) -> Gauges:
        async with self._client() as client:
            if self._prometheus is not None:
                return await self._from_prometheus(client, self._prometheus)
            return await self._from_metrics(client)

    async def _from_metrics(self, client: httpx.AsyncClient) -> Gauges:
        async def one(service: str, url: str) -> tuple[list[LagRow], list[OutboxAge]] | None:
            try:
                response = await client.get(f"{url}/metrics")
                response.raise_for_status()
                return parse_metrics(service, response.text)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning("metrics unreadable", service=service, error=type(exc).__name__)
                return None

        names = list(self._services)
        read = await asyncio.gather(*(one(s, self._services[s]) for s in names))
        lag = [row for r in read if r for row in r[0]]
        outbox = [row for r in read if r for row in r[1]]
        unreadable = [s for s, r in zip(names, read, strict=True) if r is None]
        return Gauges(lag, outbox, "metrics", unreadable)

    async def _from_prometheus(self, client: httpx.AsyncClient, base: str) -> Gauges:
        async def query(expr: str) -> list[dict[str, Any]]:
            response = await client.get(f"{base}/api/v1/query", params={"query": expr})
            response.raise_for_status()
            return list(response.json()["data"]["result"])

        try:
            lags, ages = await asyncio.gather(query(LAG_QUERY), query(OUTBOX_QUERY))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("prometheus unreadable", error=type(exc).__name__)
            return Gauges((), (), base, ("prometheus",))
        lag = [
            LagRow(r["metric"].get("job", "?"), r["metric"]["group"], r["metric"]["topic"], float(r["value"][1]))
            for r in lags
        ]
        outbox = [OutboxAge(r["metric"].get("job", "?"), r["metric"]["collection"], float(r["value"][1])) for r in ages]
        return Gauges(lag, outbox, base)
