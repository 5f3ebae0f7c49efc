"""Schemathesis against the referral service's own OpenAPI document: no input yields a 5xx.

Runs in-process (ASGI) with in-memory adapters. Path ids are swapped for a real case and
decision half of the time so the fuzzing reaches the decision rules, and webhook bodies are
signed with a real sender secret so they get past the signature check.
"""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from devstack.cli import sign
from referral.config import LOCAL_DEV_SENDER_SECRET
from referral.testing import ApiHarness

HARNESS = ApiHarness()
_person = {"id_type": "personnummer", "id": "20121212-1212", "given_name": "A", "family_name": "B"}
REAL_CASE = HARNESS.client.post(
    "/cases", json={"reason": "other", "person": _person}, headers=HARNESS.as_role("officer")
).json()["case_id"]
REAL_DECISION = HARNESS.client.post(
    f"/cases/{REAL_CASE}/decisions",
    json={"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 14, "team": "Team Väst"},
    headers=HARNESS.as_role("officer"),
).json()["decision_id"]

schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app)


def _sometimes_real(case: Any) -> None:
    params = case.path_parameters or {}
    if "case_id" in params and zlib.crc32(str(params["case_id"]).encode()) % 2 == 0:
        params["case_id"] = REAL_CASE
    if "decision_id" in params and zlib.crc32(str(params["decision_id"]).encode()) % 2 == 0:
        params["decision_id"] = REAL_DECISION


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_referral_service_fail_with_a_server_error(case: Any) -> None:
    if case.path == "/webhooks/lus" and case.method.upper() == "POST":
        raw = json.dumps(case.body, default=str).encode()
        headers = sign(LOCAL_DEV_SENDER_SECRET, f"fuzz-{uuid.uuid4().hex}", raw, datetime.now(UTC))
        response = HARNESS.client.post("/webhooks/lus", content=raw, headers=headers)
        assert response.status_code < 500, response.text
        return
    if case.path == "/readyz":
        # The readiness probe's documented answer without Kafka and Mongo (none here) is 503.
        expected = {200, 503} if case.method.upper() == "GET" else {405}
        assert case.call().status_code in expected
        return
    _sometimes_real(case)
    role = "ops" if case.path == "/audit" else "officer"
    case.call_and_validate(headers={"Authorization": f"Bearer dev-{role}"}, checks=[not_a_server_error])
