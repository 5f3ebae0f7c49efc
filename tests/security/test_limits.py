"""Limits every service applies in the shared chassis, checked on every operation its OpenAPI has:
bodies over the route's limit (413), bodies without a valid token (401, unparsed), requests over a
token's rate (429 with Retry-After); and the failed-attempt limits of console login, the SMS
acknowledgement link and reply codes."""

from __future__ import annotations

import asyncio

import pytest

from tests.security.apps import BUILDERS, operations
from tests.security.asgi import call
from tests.security.roles import TABLE
from tests.security.test_role_matrix import url_of

BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_body_over_its_route_limit_is_refused_413_by_its_declared_length(name: str) -> None:
    service = BUILDERS[name]()
    problems = []
    for op in operations(service):
        if op.method not in BODY_METHODS:
            continue
        limit = int(op.spec.get("x-max-body-bytes", service.app.state.runtime.infra.settings.limits.max_body_bytes))
        role = next(iter(sorted(TABLE[name][op.key].roles)))
        headers = {"content-type": "application/json", "authorization": f"Bearer dev-{role}"}
        # The declared length alone decides: the body is not even sent.
        headers["content-length"] = str(limit + 1)
        answer = asyncio.run(call(service.app, op.method, url_of(op), headers=headers, body=b"{}"))
        if answer.status != 413:
            problems.append(f"{op.method} {op.path}: {answer.status} for {limit + 1} declared bytes")
        elif 413 not in op.documented:
            problems.append(f"{op.method} {op.path}: 413 is not documented")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_body_without_a_valid_token_is_refused_401_before_it_is_parsed(name: str) -> None:
    service = BUILDERS[name]()
    probed, problems = 0, []
    for op in operations(service):
        if op.method not in BODY_METHODS or not op.takes_bearer:
            continue
        for headers in ({}, {"authorization": "Bearer not-a-token"}):
            answer = asyncio.run(
                call(service.app, op.method, url_of(op), headers={"content-type": "application/json", **headers},
                     body=b'{"not json')
            )  # fmt: skip
            probed += 1
            if answer.status != 401:  # 400/422 would mean the body was parsed first
                problems.append(f"{op.method} {op.path} {headers or 'no token'}: {answer.status}")
    assert not problems, "\n".join(problems)
    assert probed or name == "console"  # the console's forms take a session, not a token


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_token_is_rate_limited_with_429_and_retry_after(name: str) -> None:
    service = BUILDERS[name]()
    runtime = service.app.state.runtime
    assert runtime.authenticate is not None, f"{name}: bootstrap does not give the chassis its authenticator"
    runtime.infra.settings.limits.per_token = "3/minute"  # before the first request builds the guard
    op = next(o for o in operations(service) if o.method == "GET" and o.takes_bearer)
    role = sorted(TABLE[name][op.key].roles)[0]
    answers = [
        asyncio.run(call(service.app, "GET", url_of(op), headers={"authorization": f"Bearer dev-{role}"}))
        for _ in range(4)
    ]
    assert [a.status for a in answers][3] == 429, [a.status for a in answers]
    assert all(a.status != 429 for a in answers[:3])
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[3].headers["content-type"] == "application/problem+json"
    assert 429 in op.documented
    other = next(r for r in ("officer", "team", "oncall", "ops") if r != role)
    elsewhere = asyncio.run(call(service.app, "GET", url_of(op), headers={"authorization": f"Bearer dev-{other}"}))
    assert elsewhere.status != 429  # another token has its own count


def test_console_login_is_refused_429_after_ten_wrong_tokens_from_one_address() -> None:
    service = BUILDERS["console"]()
    form = {"content-type": "application/x-www-form-urlencoded", "origin": "http://testserver"}
    wrong = [
        asyncio.run(call(service.app, "POST", "/login", headers=form, body=b"token=guess-" + str(i).encode())).status
        for i in range(10)
    ]
    assert wrong == [401] * 10
    refused = asyncio.run(call(service.app, "POST", "/login", headers=form, body=b"token=dev-ops"))
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    elsewhere = asyncio.run(call(service.app, "POST", "/login", headers=form, body=b"token=dev-ops", client="10.1.1.1"))
    assert elsewhere.status == 303
    assert "429" in service.openapi()["paths"]["/login"]["post"]["responses"]


def test_acknowledgement_codes_are_refused_429_after_ten_wrong_guesses_from_one_address() -> None:
    service = BUILDERS["notification"]()
    guesses = [asyncio.run(call(service.app, "POST", f"/ack/GUESS{i:03d}")).status for i in range(10)]
    assert guesses == [404] * 10
    refused = asyncio.run(call(service.app, "GET", "/ack/ABCD1234"))
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "429" in service.openapi()["paths"]["/ack/{code}"]["post"]["responses"]


async def test_sms_replies_that_acknowledge_nothing_are_refused_429_per_number() -> None:
    from notification_support import Harness, make_settings

    from notification.adapters.signing import CallbackSigner
    from notification.config import LOCAL_DEV_CALLBACK_SECRET

    h = Harness.create(settings=make_settings(provider="46elks"))
    client = h.client()
    sig = CallbackSigner(LOCAL_DEV_CALLBACK_SECRET.encode()).sign("inbound")

    def reply(sender: str, text: str) -> int:
        answer = client.post(
            "/callbacks/46elks/inbound",
            params={"for": "inbound", "sig": sig},
            data={"from": sender, "to": "+46766861069", "message": text},
        )
        return answer.status_code

    assert [reply("+46700000009", f"OK GUESS{i:03d}") for i in range(10)] == [204] * 10
    assert reply("+46700000009", "OK ABCD1234") == 429
    assert reply("+46700000008", "OK ABCD1234") == 204  # another number has its own count
