"""The console's readiness answers while a large figures request is computed (real MongoDB wire).

`GET /api/figures?from=2000-01&to=2099-12` took 4.2 s of CPU on the event loop, and readiness
stalled for 3.8 s meanwhile. The range is now at most 24 months, and the computation runs in a
worker thread; here it is made slow on purpose (one second of CPU) to show the loop stays free.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from console_support import answered_while_figures_compute, slow_figures
from pymongo.asynchronous.database import AsyncDatabase

from console.bootstrap import bootstrap
from console.config import ConsoleMongo, Settings
from console.main import http_app
from devstack.testing import Endpoints
from trygg_shared.service import Infrastructure
from trygg_shared.settings import KafkaSettings

OPS = {"Authorization": "Bearer dev-ops"}


async def test_readiness_answers_at_once_while_the_figures_are_computed(
    servers: Endpoints, db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_figures(monkeypatch)
    settings = Settings(
        mongo=ConsoleMongo(uri=servers.mongo_uri, database=db.name),
        kafka=KafkaSettings(bootstrap_servers=servers.kafka_bootstrap),
    )
    infra = Infrastructure.create(settings)
    transport = httpx.ASGITransport(app=http_app(bootstrap(settings, infra=infra), lifespan_enabled=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            assert (await client.get("/readyz")).status_code in (200, 503)  # connected once
            wide = await client.get("/api/figures", params={"from": "2000-01", "to": "2099-12"}, headers=OPS)
            assert wide.status_code == 422

            ready, waited = await answered_while_figures_compute(
                client, "/readyz", headers=OPS, pause=0.2, params={"from": "2025-01", "to": "2026-12"}
            )
    finally:
        await infra.mongo_client.close()

    assert ready.json()["checks"]["mongo"] == "ok"
    assert waited < 0.5, f"readiness waited {waited:.2f} s for the figures"
    print(f"readiness during a 24-month figures request: {waited * 1000:.0f} ms")
