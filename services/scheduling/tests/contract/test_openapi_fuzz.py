"""Schemathesis against the scheduling service's own OpenAPI document: every check, no finding.

Runs in-process (ASGI) on in-memory adapters with the default teams and one planned case, with
a bounded, derandomised number of examples per operation, and fails on any finding: a server
error, an undocumented status or media type, a body that breaks its schema, a schema-valid
request refused or an invalid one accepted, a wrong `Allow` on 405, auth not enforced.

Path ids are swapped for a real team, case and visit half of the time so the fuzzing reaches
the planning rules, not only the 404s. Three answers may refuse schema-valid data with 422,
because a schema cannot express the rule: a working day that ends before it starts, or a
weekday or staff id given twice (`PUT /teams/{team_id}`); an absence that ends before it
begins (`POST /teams/{team_id}/absences`); and `GET /visits` without `staff_id` or `team_id`
from a token that names no team member. `/readyz` is left out: its answer depends on a real
database (the e2e tests cover it).
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from scheduling_support import ApiHarness, grant_command
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from scheduling.service_layer import planning as uc

MAX_EXAMPLES = 25
HARNESS = ApiHarness()
REAL_CASE = "fuzz-case-1"
asyncio.run(uc.grant_decision(HARNESS.deps, grant_command(REAL_CASE, person_ref="p_fuzz", decision_id="d-fuzz")))
REAL_VISIT = next(iter(asyncio.run(HARNESS.plan(REAL_CASE)).visits))

_ACCEPTED = ["2xx", "401", "403", "404", "409"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,
                "include-method": method,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422"]}},
            }
            for path, method in (("/teams/{team_id}", "PUT"), ("/teams/{team_id}/absences", "POST"), ("/visits", "GET"))
        ]
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app, config=CONFIG).exclude(path="/readyz")


def _negative(case: Any, location: ParameterLocation) -> bool:
    """Whether schemathesis made this part of the request invalid on purpose (then leave it so)."""
    info = case.meta.components.get(location) if case.meta is not None else None
    return info is not None and info.mode.is_negative


def _sometimes_real(case: Any) -> None:
    if _negative(case, ParameterLocation.PATH):
        return
    params = case.path_parameters or {}
    for name, real in (("team_id", "team-vast"), ("case_id", REAL_CASE), ("visit_id", REAL_VISIT)):
        if name in params and zlib.crc32(str(params[name]).encode()) % 2 == 0:
            params[name] = real


def _role(path: str, method: str) -> str:
    if path == "/audit" or (path == "/teams/{team_id}" and method == "PUT"):
        return "ops"
    if path.startswith("/cases/") and path.endswith("/plan"):
        return "officer"
    return "team"


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_scheduling_api_answers_exactly_as_its_openapi_document_says(case: Any) -> None:
    _sometimes_real(case)
    role = _role(case.path, case.method.upper())
    # A deliberately invalid Authorization header is sent as generated (it must be refused).
    auth = {} if _negative(case, ParameterLocation.HEADER) else {"Authorization": f"Bearer dev-{role}"}
    case.call_and_validate(headers=auth)
