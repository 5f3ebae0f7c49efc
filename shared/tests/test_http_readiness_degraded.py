"""Readiness: a `degraded` check reports its words and keeps the service ready (200)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from trygg_shared.http import Degraded, health_router


async def _ok() -> None:
    return None


async def _nobody() -> None:
    raise Degraded("nobody on call")


async def _down() -> None:
    raise ConnectionError("refused")


def test_a_degraded_check_reports_its_message_and_the_service_stays_ready() -> None:
    app = FastAPI()
    app.include_router(health_router({"mongo": _ok}, degraded={"kafka": _down, "oncall": _nobody}))
    response = TestClient(app).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"mongo": "ok", "kafka": "ConnectionError", "oncall": "nobody on call"},
    }
