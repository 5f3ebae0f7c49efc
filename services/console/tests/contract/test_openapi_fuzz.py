"""Schemathesis against the console's own OpenAPI document, in-process with in-memory adapters.

The JSON and CSV endpoints (`/api/figures`, `/figures.csv`) get every check (status codes, media
types and bodies as documented). The HTML pages are documented as `text/html` and checked for
server errors only: their bodies are pages, not schemas. Requests carry a signed-in session
cookie (and, for the data endpoints, a bearer token) so that fuzzing reaches the pages themselves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from console_support import ConsoleHarness, march_2026
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from console.domain.access import Role
from trygg_shared.auth import token_hash
from trygg_shared.tokens import ApiToken, local_dev_tokens

ALL_ROLES = ApiToken[Role](token_sha256=token_hash("fuzz-all-roles"), subject="oncall:fuzz", roles=list(Role))
HARNESS = ConsoleHarness(tokens=[*local_dev_tokens(Role), ALL_ROLES])
asyncio.run(HARNESS.replay(march_2026()))
STARTED = asyncio.run(HARNESS.console.sessions.start("fuzz-all-roles", HARNESS.clock.now()))
assert STARTED is not None
COOKIE = STARTED[0]
DATA = {"/api/figures", "/figures.csv"}

# A range of more than 24 months is refused with 422: a schema cannot express a rule between two
# parameters, so a schema-valid `from`/`to` pair may get that 422 (documented on both endpoints).
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,  # by path only: with `include-method` schemathesis would match every GET
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}
                },
            }
            for path in sorted(DATA)
        ]
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app, config=CONFIG)


def _auth_header_is_the_mutation(case: Any) -> bool:
    """A negative case whose mutated part is the headers (the bearer token left out or broken)."""
    info = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return info is not None and info.mode == GenerationMode.NEGATIVE


# Derandomised like the other services' fuzz tests: the same examples on every machine and in
# every run (a clean clone has no Hypothesis database), so a finding is reproducible.
@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_console_fail_with_a_server_error(case: Any) -> None:
    if case.path == "/events":
        return  # an endless stream: covered by the HTTP tests (401 without a session) and the browser tests
    if case.path == "/readyz":
        expected = {200, 503} if case.method.upper() == "GET" else {405}
        assert case.call().status_code in expected
        return
    if case.path in DATA:  # bearer only, so that the check for ignored authentication sees what it removes
        if _auth_header_is_the_mutation(case):
            # Sent as generated: adding a valid token back would make the request valid, and its
            # 200 would count as "invalid data accepted".
            case.call_and_validate()
        else:
            case.call_and_validate(headers={"Authorization": "Bearer dev-ops"})
        return
    headers = {"Cookie": f"trygg_console={COOKIE}"}
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
