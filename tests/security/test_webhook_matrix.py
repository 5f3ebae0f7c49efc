"""The hospital webhook (`POST /webhooks/lus`) under attack and mistakes: each case its documented status.

Referral is wired by `bootstrap()` from settings (one sender with two secrets during a rotation,
small rate limits) with in-memory adapters. Each answer is checked against the expected status
and against the responses the OpenAPI documents; the table is printed with the role matrix.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from referral_support import CaseStore, FixedClock

from devstack.cli import sign
from referral.adapters.memory import InMemoryAgreementStore, InMemoryAuditLog, InMemoryCaseQueries, InMemoryInbox
from referral.bootstrap import bootstrap
from referral.config import SenderConfig, Settings, WebhookLimits
from referral.domain.liability import AgreementTable
from referral.entrypoints.lus_format import MAX_BODY_BYTES, example_bodies
from referral.main import http_app
from referral.service_layer.agreement_format import shipped_agreements
from tests.security.asgi import Answer, call
from tests.security.conftest import MATRIX

OLD_SECRET = "whsec_" + base64.b64encode(b"security-suite-old-secret-32byte").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"security-suite-new-secret-32byte").decode()
WRONG_SECRET = "whsec_" + base64.b64encode(b"security-suite-not-the-secret-32").decode()
URL = "/webhooks/lus"


class Intake:
    def __init__(self, limits: WebhookLimits | None = None) -> None:
        settings = Settings(
            senders=[
                SenderConfig(
                    sender_id="takecare-sll", region_code="01", secrets=[SecretStr(OLD_SECRET), SecretStr(NEW_SECRET)]
                )
            ],
            webhook_limits=limits or WebhookLimits(),
        )
        self.store = CaseStore()
        agreements = AgreementTable(shipped_agreements())
        referral = bootstrap(
            settings,
            store=self.store,
            queries=InMemoryCaseQueries(self.store, lambda: agreements),
            inbox=InMemoryInbox(),
            audit=InMemoryAuditLog(),
            agreement_store=InMemoryAgreementStore(),
            clock=FixedClock(datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
        )
        self.app = http_app(referral, lifespan_enabled=False)
        self.documented = {int(s) for s in self.app.openapi()["paths"][URL]["post"]["responses"]}

    def post(self, raw: bytes, headers: dict[str, str], client: str = "10.0.0.1") -> Answer:
        return asyncio.run(call(self.app, "POST", URL, headers=headers, body=raw, client=client))


def body(message_type: str = "utskrivningsklar") -> bytes:
    example = copy.deepcopy(example_bodies()[message_type])
    example["episode"]["episode_id"] = f"episode-{uuid.uuid4().hex[:12]}"
    return json.dumps(example).encode()


def signed(raw: bytes, *, secret: str = OLD_SECRET, webhook_id: str | None = None, skew: int = 0) -> dict[str, str]:
    at = datetime.now(UTC) + timedelta(seconds=skew)
    return sign(secret, webhook_id or f"msg_{uuid.uuid4().hex}", raw, at)


@dataclass
class Case:
    name: str
    status: int
    send: Callable[[Intake], Answer]


def _replayed(intake: Intake) -> Answer:
    raw = body()
    headers = signed(raw, webhook_id="msg_replayed")
    first = intake.post(raw, headers)
    again = intake.post(raw, signed(raw, webhook_id="msg_replayed"))
    assert first.status == 202
    assert json.loads(again.body) == json.loads(first.body)  # the first answer again, nothing twice
    return again


def _malformed(signature: str) -> Callable[[Intake], Answer]:
    def send(intake: Intake) -> Answer:
        raw = body()
        return intake.post(raw, {**signed(raw), "webhook-signature": signature})

    return send


def _without(header: str) -> Callable[[Intake], Answer]:
    def send(intake: Intake) -> Answer:
        raw = body()
        headers = signed(raw)
        del headers[header]
        return intake.post(raw, headers)

    return send


def _oversized(intake: Intake) -> Answer:
    raw = b'{"pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    return intake.post(raw, signed(raw))


CASES = [
    Case("signed with the current secret", 202, lambda i: i.post(r := body(), signed(r))),
    Case("signed with the rotated (new) secret", 202, lambda i: i.post(r := body(), signed(r, secret=NEW_SECRET))),
    Case("signed with a wrong secret", 401, lambda i: i.post(r := body(), signed(r, secret=WRONG_SECRET))),
    Case("timestamp 301 s in the past", 401, lambda i: i.post(r := body(), signed(r, skew=-301))),
    Case("timestamp 301 s in the future", 401, lambda i: i.post(r := body(), signed(r, skew=301))),
    Case("timestamp 290 s in the past (inside the window)", 202, lambda i: i.post(r := body(), signed(r, skew=-290))),
    Case("replayed webhook-id", 200, _replayed),
    Case("oversized body (over 64 KiB)", 413, _oversized),
    Case(
        "wrong content type (text/plain)",
        415,
        lambda i: i.post(r := body(), {**signed(r), "content-type": "text/plain"}),
    ),
    Case("malformed signature header (no version)", 401, _malformed("not-a-signature")),
    Case("malformed signature header (not base64)", 401, _malformed("v1,@@@not-base64@@@")),
    Case("malformed signature header (unknown version)", 401, _malformed("v9," + base64.b64encode(b"x" * 32).decode())),
    Case("malformed signature header (empty)", 401, _malformed("")),
    Case("no webhook-signature header", 401, _without("webhook-signature")),
    Case("no webhook-timestamp header", 401, _without("webhook-timestamp")),
    Case(
        "a timestamp that is no number", 401, lambda i: i.post(r := body(), {**signed(r), "webhook-timestamp": "soon"})
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_webhook_case_gets_its_documented_status(case: Case) -> None:
    intake = Intake()
    answer = case.send(intake)
    MATRIX.append(("referral", "POST", f"{URL} ({case.name})", {"none": answer.status}, f"expects {case.status}"))
    assert answer.status == case.status, answer.body
    assert answer.status in intake.documented
    if answer.status >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
        if answer.status == 401:
            assert json.loads(answer.body)["detail"] == "The message signature could not be verified."


def test_a_streamed_oversized_body_is_cut_off_with_413() -> None:
    intake = Intake()
    raw = b'{"pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    headers = signed(raw)
    app = intake.app

    async def chunked() -> Answer:
        # No Content-Length: the chassis counts while the body streams in.
        sent = 0
        started: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent * 4096 >= len(raw):
                await asyncio.sleep(5)
                return {"type": "http.disconnect"}
            chunk = raw[sent * 4096 : (sent + 1) * 4096]
            sent += 1
            return {"type": "http.request", "body": chunk, "more_body": sent * 4096 < len(raw)}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started["status"] = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": URL,
            "raw_path": URL.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            "client": ("10.0.0.2", 1),
            "server": ("testserver", 443),
            "state": {},
        }
        await app(scope, receive, send)
        return Answer(started["status"], {}, b"")

    answer = asyncio.run(chunked())
    assert answer.status == 413
    assert answer.status in intake.documented


def test_a_sender_over_its_rate_gets_429_with_retry_after_and_others_do_not() -> None:
    intake = Intake(WebhookLimits(per_sender="3/minute", unsigned_per_client="1000/minute"))
    answers = [intake.post(r := body(), signed(r)).status for _ in range(3)]
    refused = intake.post(r := body(), signed(r, secret=NEW_SECRET))  # the same sender, whichever secret
    assert answers == [202, 202, 202]
    assert refused.status == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["content-type"] == "application/problem+json"
    assert 429 in intake.documented
    MATRIX.append(("referral", "POST", f"{URL} (sender over its rate)", {"none": refused.status}, "expects 429"))


def test_a_flood_of_unsigned_webhooks_is_refused_429_before_the_body_is_read() -> None:
    intake = Intake(WebhookLimits(per_sender="1000/minute", unsigned_per_client="3/minute"))
    flood = [intake.post(r := body(), signed(r, secret=WRONG_SECRET), client="10.6.6.6").status for _ in range(3)]
    assert flood == [401, 401, 401]
    refused = intake.post(r := body(), signed(r), client="10.6.6.6")  # even a good one from that address
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    raw = body()
    other = intake.post(raw, signed(raw), client="10.7.7.7")
    assert other.status == 202  # other addresses are not affected
    MATRIX.append(("referral", "POST", f"{URL} (unsigned flood, per address)", {"none": refused.status}, "expects 429"))
