"""Schemathesis against the notification service's own OpenAPI document: every check, no finding.

Runs in-process (ASGI) on memory adapters with the 46elks provider configured (so its callback
routes exist). Path ids are swapped for a real alert half of the time so the fuzzing reaches the
acknowledgement rules (200, then 409), not only 404s.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from notification_support import Harness, make_settings
from schemathesis.generation import GenerationMode

from notification.domain.alert import Responder, Rota, Shift
from notification.domain.templates import AlertFacts, AlertTopic
from notification.service_layer import alerts as al

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HARNESS = Harness.create(now=T0, settings=make_settings(provider="46elks"))


async def _seed() -> str:
    deps = HARNESS.deps
    await deps.rotas.put(
        Rota("default", (Shift(T0 - timedelta(days=1), T0 + timedelta(days=1), (Responder("anna", "+46700000001"),)),))
    )
    await al.raise_alert(deps, "missed:v1", AlertTopic.VISIT_MISSED, AlertFacts(case_ref="c1"), case_id="c1")
    return (await deps.alerts.load("missed:v1")).state.ack_code  # type: ignore[union-attr]


ACK_CODE = asyncio.run(_seed())
APP = HARNESS.client().app
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def _negative(case: Any) -> bool:
    meta = getattr(case, "_meta", None)
    return meta is not None and meta.generation.mode is GenerationMode.NEGATIVE


def _sometimes_real(case: Any) -> None:
    if _negative(case):
        return  # a deliberately invalid id must stay invalid
    params = case.path_parameters or {}
    if "alert_id" in params and zlib.crc32(str(params["alert_id"]).encode()) % 2 == 0:
        params["alert_id"] = "missed:v1"
    if "code" in params and zlib.crc32(str(params["code"]).encode()) % 2 == 0:
        params["code"] = ACK_CODE
    if "case_id" in params and zlib.crc32(str(params["case_id"]).encode()) % 2 == 0:
        params["case_id"] = "c1"


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_notification_services_documented_contract(case: Any) -> None:
    if case.path == "/readyz":
        # The readiness probe's documented answer without Kafka and Mongo (none here) is 503.
        assert case.call().status_code in ({200, 503} if case.method.upper() == "GET" else {405})
        return
    _sometimes_real(case)
    role = "oncall" if case.path.startswith(("/alerts", "/cases/{case_id}/messages")) else "ops"
    if case.method.upper() == "POST" and case.path == "/alerts/{alert_id}/acknowledgement":
        role = "oncall"
    if _negative(case):
        # Invalid on purpose (maybe the credentials themselves): sent as generated; 401 is a fine answer.
        case.call_and_validate()
        return
    case.call_and_validate(headers={"Authorization": f"Bearer dev-{role}"})
