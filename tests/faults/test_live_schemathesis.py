"""Schemathesis against the five services running as processes on the real store, every check, any 5xx fails.

The in-process fuzz tests (`services/*/tests/contract/test_openapi_fuzz.py`) run on memory
adapters; a PostgreSQL that refuses U+0000 in JSONB, or a FerretDB that refuses a document,
shows only here: the services are started as processes (uvicorn) against Kafka and FerretDB
on PostgreSQL (the session's `servers`), as `make run` starts them.

For every operation of every service: schema-valid (positive) and schema-invalid (negative)
requests, derandomised and bounded (`TRYGG_LIVE_FUZZ_EXAMPLES` per operation and mode, 10 by
default), sent with a token of a role the operation serves, path ids swapped for real ones
half of the time (a case opened through a signed hospital webhook and a decision granted on
it), webhook bodies signed with the local sender secret. Every schemathesis check runs on each
answer (a server error, an undocumented status or media type, a body that breaks its schema,
a schema-valid request refused, an invalid one accepted, ...). Then schemathesis' state
machine follows the links the OpenAPI documents declare or that it infers from answers (a
`Location`, an id in a body), bounded the same way. A per-service summary is printed:
operations, requests, answers by status class, failures, seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from devstack.cli import sample_message, sign
from devstack.stack import SERVICES
from devstack.testing import Endpoints, service_processes
from referral.config import LOCAL_DEV_SENDER_SECRET
from tests.support import started as processes_running

pytestmark = pytest.mark.faults

MAX_EXAMPLES = int(os.environ.get("TRYGG_LIVE_FUZZ_EXAMPLES", "10"))
STATEFUL_EXAMPLES = int(os.environ.get("TRYGG_LIVE_FUZZ_STATEFUL", "6"))
SERVICE_NAMES = ("referral", "scheduling", "notification", "billing", "console")

_ACCEPTED = ["2xx", "401", "403", "404", "409"]
# Answers that refuse schema-valid data with 422 because a schema cannot express the rule (the same
# exceptions as the in-process fuzz tests): an identity number's check digit, agreement terms whose end
# precedes their start, a team's hours or members that contradict each other, an absence longer than a
# year, visits asked for without any filter that applies, a region's invoice file that breaks its layout.
_RULES_BEYOND_THE_SCHEMA = {
    "referral": (("/cases", "POST"), ("/agreements", "POST")),
    "scheduling": (("/teams/{team_id}", "PUT"), ("/teams/{team_id}/absences", "POST"), ("/visits", "GET")),
    "billing": (("/tariffs/{municipality_code}/{year}", "PUT"), ("/invoices", "POST")),  # a fraction in (0, 1]
}
# The same, matched by path alone (schemathesis joins `include-path` and `include-method` with OR, so a
# method would extend the exception to every operation of that method, and take 3xx from the console's
# redirects): a consenting relative's number off the SMS allow-list or more of them than the cap (422),
# the officer's consents of the day (429); a range of figures over 24 months (422); an invoice file billing
# refuses (422, shown on the invoices page).
_PATHS_BEYOND_THE_SCHEMA = {
    "referral": ("/cases/{case_id}/decisions", "/cases/{case_id}/decisions/{decision_id}"),
    "console": ("/api/figures", "/figures.csv", "/figures", "/invoices"),
}
_SKIPPED_PATHS = {"/readyz", "/events"}  # readiness is the e2e tests'; /events is an endless stream


def _config(service: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-path": path,
                    "include-method": method,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422"]}},
                }
                for path, method in _RULES_BEYOND_THE_SCHEMA.get(service, ())
            ]
            + [
                {
                    "include-path": path,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422", "429"]}},
                }
                for path in _PATHS_BEYOND_THE_SCHEMA.get(service, ())
            ]
        }
    )


@dataclass
class Summary:
    operations: int = 0
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    links: int = 0
    seconds: float = 0.0


SUMMARY: dict[str, Summary] = {}


@dataclass
class Live:
    urls: dict[str, str]
    case_id: str
    decision_id: str
    team_id: str
    console_cookie: str


@pytest.fixture(scope="module")
def live(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The five services as processes on the session's Kafka and FerretDB, with a real case in them."""
    suffix = f"_fuzz_{uuid.uuid4().hex[:8]}"
    logs: Path = tmp_path_factory.mktemp("live-fuzz-logs")
    # The fuzzer guesses login tokens and acknowledgement codes from one address by design: the
    # failed-attempt limit (429 after 10 a minute, tests/security/test_limits.py) would answer the rest.
    extra = {f"{spec.env_prefix}LIMITS__PER_CLIENT_FAILURES": "100000/minute" for spec in SERVICES}
    processes = service_processes(servers, [spec.name for spec in SERVICES], suffix, logs, extra_env=extra)
    with processes_running(processes):
        yield _seed({name: process.url for name, process in processes.items()})


def _seed(urls: dict[str, str]) -> Live:
    """A case through a signed webhook, a decision on it, and a console session (for the pages)."""
    body = json.dumps(sample_message("utskrivningsklar", f"FUZZ-{uuid.uuid4().hex[:10]}")).encode()
    answer = httpx.post(
        f"{urls['referral']}/webhooks/lus",
        content=body,
        headers=sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", body),
        timeout=15,
    )
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    officer = {"Authorization": "Bearer dev-officer"}
    granted = httpx.post(
        f"{urls['referral']}/cases/{case_id}/decisions",
        json={
            "decision_type": "trygg_hemgang",
            "start_date": time.strftime("%Y-%m-%d"),
            "length_days": 14,
            "team": "Team Väst",
        },
        headers=officer,
        timeout=15,
    )
    assert granted.status_code == 201, granted.text
    # A browser sends its page's Origin with the form; the console refuses any other (CSRF).
    login = httpx.post(
        f"{urls['console']}/login", data={"token": "dev-ops"}, headers={"Origin": urls["console"]}, timeout=15
    )
    cookie = login.cookies.get("trygg_console") or ""
    assert cookie, login.status_code
    return Live(urls, case_id, granted.json()["decision_id"], "team-vast", cookie)


def _negative(case: Any, location: ParameterLocation) -> bool:
    info = case.meta.components.get(location) if case.meta is not None else None
    return info is not None and info.mode.is_negative


def _sometimes_real(case: Any, live: Live) -> None:
    if _negative(case, ParameterLocation.PATH):
        return  # a deliberately invalid id stays invalid
    params = case.path_parameters or {}
    for name, real in (("case_id", live.case_id), ("decision_id", live.decision_id), ("team_id", live.team_id)):
        if name in params and zlib.crc32(str(params[name]).encode()) % 2 == 0:
            params[name] = real


def _role(service: str, path: str, method: str) -> str:
    """A role the operation serves (the services' READMEs)."""
    if service == "referral":
        return (
            "ops"
            if (path.startswith(("/audit", "/agreements")) and method != "GET") or path in ("/audit", "/ops/sms-caps")
            else "officer"
        )
    if service == "scheduling":
        if path == "/audit" or (path == "/teams/{team_id}" and method == "PUT"):
            return "ops"
        return "officer" if path.startswith("/cases/") and path.endswith("/plan") else "team"
    if service == "notification":
        if path.startswith(("/alerts", "/cases/{case_id}/messages")):
            return "oncall"
        return "ops"
    if service == "billing":
        return "officer" if path.endswith("fee-headroom") else "ops"
    return "ops"


def _headers(service: str, case: Any, live: Live) -> dict[str, str]:
    if _negative(case, ParameterLocation.HEADER):
        return {}  # invalid credentials on purpose: sent as generated
    if service == "console" and not case.path.startswith(("/api/", "/figures.csv")):
        return {"Cookie": f"trygg_console={live.console_cookie}"}
    return {"Authorization": f"Bearer dev-{_role(service, case.path, case.method.upper())}"}


def _send(service: str, case: Any, live: Live) -> tuple[requests.Response, dict[str, str]]:
    base = live.urls[service]
    if service == "referral" and case.path == "/webhooks/lus":
        raw = json.dumps(case.body, default=str).encode()
        headers = sign(LOCAL_DEV_SENDER_SECRET, f"fuzz-{uuid.uuid4().hex}", raw)
        return requests.post(f"{base}/webhooks/lus", data=raw, headers=headers, timeout=20), headers
    headers = _headers(service, case, live)
    return case.call(base_url=base, headers=headers, timeout=20), headers


def _first_line(exc: BaseException) -> str:
    """The finding in a few lines: what failed, the answer's status and body, the curl to reproduce it."""
    text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    keep = ("-", "[", "`", "Expected", "Received", "Documented", "curl")
    return "; ".join([line for line in text if line.startswith(keep)][:8])[:1500] or type(exc).__name__


def _fuzz_operation(service: str, operation: Any, mode: GenerationMode, live: Live, summary: Summary) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # noqa: BLE001 - nothing to make negative (no parameters): nothing to send
        return

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time; the failure is reported as found
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        _sometimes_real(case, live)
        response, headers = _send(service, case, live)
        summary.requests += 1
        summary.statuses[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, headers=headers)

    try:
        run()
    except Unsatisfiable:
        return
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every finding is collected; the test fails with all
        summary.failures.append(f"{operation.label} [{mode.value}]: {_first_line(exc)}")


def _stateful(service: str, schema: Any, live: Live, summary: Summary) -> None:
    """Schemathesis' state machine over the links (declared, or inferred from the document), bounded."""
    machine = schema.as_state_machine()
    summary.links = len(schema.operations_with_incoming_links())
    if summary.links == 0:
        return  # nothing links to anything: the operations were fuzzed one by one above

    class Machine(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            _sometimes_real(case, live)
            return {"headers": _headers(service, case, live), "base_url": live.urls[service], "timeout": 20}

        def after_call(self, response: Any, case: Any) -> None:
            summary.requests += 1
            summary.statuses[f"{response.status_code // 100}xx"] += 1

    try:
        Machine.run(
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=6,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
            )
        )
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected like the others
        summary.failures.append(f"stateful: {_first_line(exc)}")


@pytest.fixture(scope="module", autouse=True)
def _print_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    lines = [
        "",
        "schemathesis against the live services (FerretDB on PostgreSQL, Kafka):",
        f"{'service':<13}{'ops':>5}{'links':>7}{'requests':>10}{'2xx':>6}{'3xx':>6}{'4xx':>6}{'5xx':>6}"
        f"{'failures':>10}{'s':>7}",
    ]
    for name, s in SUMMARY.items():
        lines.append(
            f"{name:<13}{s.operations:>5}{s.links:>7}{s.requests:>10}{s.statuses['2xx']:>6}{s.statuses['3xx']:>6}"
            f"{s.statuses['4xx']:>6}{s.statuses['5xx']:>6}{len(s.failures):>10}{s.seconds:>7.1f}"
        )
        lines += [f"    {failure}" for failure in s.failures]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            (reporter.write_line if reporter else print)(line)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_live_service_answers_every_request_as_its_openapi_document_says(live: Live, service: str) -> None:
    started = time.monotonic()
    summary = SUMMARY.setdefault(service, Summary())
    schema: Any = schemathesis.openapi.from_url(f"{live.urls[service]}/openapi.json", config=_config(service))
    for path in _SKIPPED_PATHS:
        schema = schema.exclude(path=path)
    for result in schema.get_all_operations():
        operation: Any = result.ok()  # type: ignore[union-attr]
        summary.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(service, operation, mode, live, summary)
    if service != "console":  # the console's pages link to nothing the state machine can follow
        _stateful(service, schema, live, summary)
    summary.seconds = time.monotonic() - started
    assert not summary.failures, f"{service}: {len(summary.failures)} findings:\n" + "\n".join(summary.failures)


def _signed(live: Live, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", raw)
    return httpx.post(f"{live.urls['referral']}/webhooks/lus", content=raw, headers=headers, timeout=15)


def test_a_nul_in_a_name_at_the_live_webhook_is_a_422_naming_the_field_not_a_503(live: Live) -> None:
    body = sample_message("utskrivningsklar", f"FUZZ-{uuid.uuid4().hex[:10]}")
    body["patient"]["family_name"] = "Lind\u0000qvist"

    answer = _signed(live, body)

    assert answer.status_code == 422, answer.text
    assert "retry-after" not in answer.headers
    assert [e["field"] for e in answer.json()["errors"]] == ["patient.family_name"]


@pytest.mark.parametrize(
    ("service", "method", "path", "body"),
    [
        ("referral", "POST", "/cases", {"reason": "other", "notes": "\u0000"}),
        ("scheduling", "PUT", "/teams/team-nul", {"name": "Team\u0000"}),
        ("billing", "PUT", "/liability-prices/01/2024", {"per_day_ore": 930000, "note": "\u0000"}),
    ],
)
def test_a_nul_at_each_live_api_is_a_422(
    live: Live, service: str, method: str, path: str, body: dict[str, Any]
) -> None:
    if service == "referral":
        person = {"id_type": "personnummer", "id": "20121212-1212", "given_name": "A", "family_name": "B"}
        body = {**body, "person": person}
    if service == "scheduling":
        from scheduling_support import TEAM_BODY  # a team as ops configures it; here with a NUL in its name

        body = {**TEAM_BODY, **body}
    answer = httpx.request(
        method, f"{live.urls[service]}{path}", json=body, headers={"Authorization": "Bearer dev-ops"}, timeout=15
    )
    if service == "referral":
        answer = httpx.request(
            method,
            f"{live.urls[service]}{path}",
            json=body,
            headers={"Authorization": "Bearer dev-officer"},
            timeout=15,
        )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
