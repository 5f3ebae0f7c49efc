"""Every HTTP operation of every service × every role, no token, a wrong token, an expired session.

The operations come from each service's OpenAPI document (apps wired by `bootstrap()` with
in-memory adapters), so a new route is probed without being listed anywhere but in the declared
role table (`roles.TABLE`), which must name exactly the operations the OpenAPI has. Each answer
must be what the table says (403 for a role not allowed, 401 or the login redirect without valid
credentials, neither for an allowed role) and a status the OpenAPI documents for the operation.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.security.apps import BUILDERS, ROLES, Operation, ServiceApp, operations
from tests.security.asgi import Answer, call
from tests.security.conftest import MATRIX
from tests.security.roles import PATH_SAMPLES, TABLE, Access

COOKIE = "trygg_console"  # console.config.SessionSettings.cookie_name's default
REFUSALS = {401, 403, 429}


def _fits(value: str, schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        if not value.isdigit():
            return False
        return int(schema.get("minimum", -(10**9))) <= int(value) <= int(schema.get("maximum", 10**9))
    if not int(schema.get("minLength", 0)) <= len(value) <= int(schema.get("maxLength", 10**9)):
        return False
    return "pattern" not in schema or re.search(schema["pattern"], value) is not None


def url_of(op: Operation) -> str:
    path = op.path
    for parameter in op.spec.get("parameters", []):
        if parameter.get("in") != "path":
            continue
        name = parameter["name"]
        assert name in PATH_SAMPLES, f"{op.service} {op.method} {op.path}: add a sample for `{name}` to PATH_SAMPLES"
        sample = PATH_SAMPLES[name]
        assert _fits(sample, parameter.get("schema", {})), f"{op.service}: sample {name}={sample!r} breaks its schema"
        path = path.replace("{" + name + "}", sample)
    return path


def request_of(service: ServiceApp, op: Operation, access: Access, who: str) -> tuple[dict[str, str], bytes]:
    headers: dict[str, str] = {}
    body = b""
    content = (op.spec.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        headers["content-type"] = "application/json"
        body = b"{}"
    elif "application/x-www-form-urlencoded" in content:
        headers["content-type"] = "application/x-www-form-urlencoded"
    if service.name == "console":  # a browser sends its page's Origin (the console refuses others: CSRF)
        headers["origin"] = "http://testserver"
    bearer = op.takes_bearer or not access.session
    if who in ROLES:
        if bearer:
            headers["authorization"] = f"Bearer dev-{who}"
        else:
            assert service.cookie_session is not None
            headers["cookie"] = f"{COOKIE}={service.cookie_session(who, False)}"
    elif who == "wrong":
        if bearer:
            headers["authorization"] = "Bearer not-a-token"
        else:
            headers["cookie"] = f"{COOKIE}=eyJzdWIiOiJvcHM6ZGV2In0.Zm9yZ2Vk"  # a forged session
    elif who == "expired":
        assert service.cookie_session is not None
        headers["cookie"] = f"{COOKIE}={service.cookie_session('ops', True)}"
    return headers, body


def verdict(access: Access, who: str, answer: Answer, documented: set[int]) -> str | None:
    """What is wrong with this answer, or None."""
    status = answer.status
    if status not in documented:
        return f"{who}: {status} is not documented ({sorted(documented)})"
    to_login = status == 303 and answer.headers.get("location", "").startswith("/login")
    if access.public:
        return None
    if who in ROLES and who in access.roles:
        if status in REFUSALS or to_login:
            return f"{who} is allowed but got {status}"
        return None
    if who in ROLES:
        return None if status == 403 else f"{who} is not allowed: expected 403, got {status}"
    if access.anonymous == 303:
        return None if to_login else f"{who}: expected 303 to /login, got {status} {answer.headers.get('location')}"
    return None if status == access.anonymous else f"{who}: expected {access.anonymous}, got {status}"


def callers(access: Access) -> list[str]:
    if access.public:
        return ["none"]
    return [*ROLES, "none", "wrong", *(["expired"] if access.session else [])]


async def probe(service: ServiceApp, ops: list[Operation]) -> list[str]:
    problems = []
    for op in ops:
        access = TABLE[service.name][op.key]
        url = url_of(op)
        answers: dict[str, int] = {}
        for who in callers(access):
            headers, body = request_of(service, op, access, who)
            answer = await call(service.app, op.method, url, headers=headers, body=body)
            answers[who] = answer.status
            wrong = verdict(access, who, answer, op.documented)
            if wrong:
                problems.append(f"{service.name} {op.method} {op.path}: {wrong}")
        allowed = "public" if access.public else ",".join(sorted(access.roles))
        MATRIX.append((service.name, op.method, op.path, answers, allowed))
    return problems


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_operation_answers_every_caller_as_declared_and_as_documented(name: str) -> None:
    service = BUILDERS[name]()
    ops = operations(service)
    declared = set(TABLE[name])
    found = {op.key for op in ops}
    assert found - declared == set(), f"{name}: operations without a declared role table entry: {found - declared}"
    assert declared - found == set(), f"{name}: declared operations the OpenAPI no longer has: {declared - found}"
    problems = asyncio.run(probe(service, ops))
    assert not problems, "\n".join(problems)


def test_the_declared_table_is_checked_against_answers_and_can_fail() -> None:
    """A wrong table entry (team allowed to create a case) is caught: the verdict is not a rubber stamp."""
    service = BUILDERS["referral"]()
    op = next(o for o in operations(service) if o.key == ("POST", "/cases"))
    wrong_entry = Access(frozenset({"officer", "team"}))
    headers, body = request_of(service, op, wrong_entry, "team")
    answer = asyncio.run(call(service.app, op.method, url_of(op), headers=headers, body=body))
    assert verdict(wrong_entry, "team", answer, op.documented) == "team is allowed but got 403"
    undocumented = verdict(TABLE["referral"][op.key], "team", answer, op.documented - {403})
    assert undocumented is not None
    assert "not documented" in undocumented


def test_every_operation_documents_429_where_a_token_is_taken() -> None:
    missing = [
        f"{name} {op.method} {op.path}"
        for name, build in BUILDERS.items()
        for op in operations(build())
        if op.takes_bearer and 429 not in op.documented
    ]
    assert not missing, missing
