"""Schemathesis against the referral service's own OpenAPI document, with every check, as officer and as ops.

Runs in-process (ASGI) on the app that `bootstrap` wires with in-memory adapters, with a
bounded, derandomised number of examples per operation (`MAX_EXAMPLES`), and fails on any
finding: a server error, an undocumented status or media type, a body that breaks its
schema, a schema-valid request refused (positive data) or an invalid one accepted (negative
data), a missing `Allow` on 405, auth that is not enforced, and so on.

Path ids are swapped for a real case and decision half of the time so the fuzzing reaches the
decision rules; webhook bodies are signed with a real sender secret so they get past the
signature check. Some answers are allowed to refuse schema-valid data with 422, because a
schema cannot express the rule: an identity number's check digit (`POST /cases`), agreement
terms whose end precedes their start (`POST /agreements`), and a consenting relative's number
off the SMS allow-list or more consenting relatives than the cap (decisions; with 429 for the
officer's daily cap of consents). `/readyz` is left out:
its answer depends on a real database (the e2e tests cover it).
"""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from referral_support import ApiHarness
from schemathesis.config import SchemathesisConfig

from devstack.cli import sign
from referral.config import LOCAL_DEV_SENDER_SECRET
from referral.entrypoints.webhooks import WebhookLimits

MAX_EXAMPLES = 10
ROLES = ("officer", "ops")

# Schemathesis sends its examples in-process as fast as the app answers: past the sender's rate
# (200/s by default) a valid webhook would get 429. The limit has tests of its own; here it is
# out of reach so that every answer speaks of the body alone.
HARNESS = ApiHarness(webhook_limits=WebhookLimits(per_sender="100000/second"))
_person = {"id_type": "personnummer", "id": "20121212-1212", "given_name": "A", "family_name": "B"}
REAL_CASE = HARNESS.client.post(
    "/cases", json={"reason": "other", "person": _person}, headers=HARNESS.as_role("officer")
).json()["case_id"]
REAL_DECISION = HARNESS.client.post(
    f"/cases/{REAL_CASE}/decisions",
    json={"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 14, "team": "Team Väst"},
    headers=HARNESS.as_role("officer"),
).json()["decision_id"]

_ACCEPTED = ["2xx", "401", "403", "404", "409"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,
                "include-method": "POST",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422"]}},
            }
            for path in ("/cases", "/agreements")
        ]
        + [
            {  # by path only: with `include-method` schemathesis would match every POST and PATCH
                "include-path-regex": "^/cases/[^/]+/decisions(/[^/]+)?$",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422", "429"]}},
            }
        ]
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app, config=CONFIG).exclude(path="/readyz")
api = schema.exclude(path="/webhooks/lus")
webhook = schema.include(path="/webhooks/lus")
_HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def _sometimes_real(case: Any) -> None:
    params = case.path_parameters or {}
    if "case_id" in params and zlib.crc32(str(params["case_id"]).encode()) % 2 == 0:
        params["case_id"] = REAL_CASE
    if "decision_id" in params and zlib.crc32(str(params["decision_id"]).encode()) % 2 == 0:
        params["decision_id"] = REAL_DECISION


@pytest.mark.parametrize("role", ROLES)
@api.parametrize()
@_HYPOTHESIS
def test_the_referral_api_answers_exactly_as_its_openapi_document_says(case: Any, role: str) -> None:
    _sometimes_real(case)
    case.call_and_validate(headers={"Authorization": f"Bearer dev-{role}"})


@webhook.parametrize()
@_HYPOTHESIS
def test_the_hospital_webhook_answers_exactly_as_its_openapi_document_says(case: Any) -> None:
    raw = json.dumps(case.body, default=str).encode()
    headers = sign(LOCAL_DEV_SENDER_SECRET, f"fuzz-{uuid.uuid4().hex}", raw, datetime.now(UTC))
    response = HARNESS.client.request(case.method, case.formatted_path, content=raw, headers=headers)
    case.validate_response(response)
