"""`POST /webhooks/lus` under overload: what the admission gate cannot take is answered 503 with
Retry-After (problem+json) before the body is read or the signature checked, counted as `overloaded`;
a webhook that got a slot is stored and answered 202 whatever arrives meanwhile."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import httpx
from referral_support import AGREEMENTS, CaseStore, FixedClock

from devstack.cli import sample_message, sign
from referral.adapters.memory import InMemoryAgreementStore, InMemoryAuditLog, InMemoryCaseQueries, InMemoryInbox
from referral.bootstrap import bootstrap
from referral.config import LOCAL_DEV_SENDER_SECRET, Settings
from referral.main import http_app
from referral.service_layer.ports import InboundRecord
from trygg_shared.admission import AdmissionSettings


class HeldInbox(InMemoryInbox):
    """The in-memory inbox whose writes wait until `release` is set (a slow database)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.writing = asyncio.Event()

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        self.writing.set()
        await self.release.wait()
        return await super().add(record)


def signed() -> tuple[bytes, dict[str, str]]:
    body = json.dumps(sample_message("utskrivningsklar", f"OVL-{uuid.uuid4().hex[:10]}")).encode()
    return body, sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", body)


async def test_a_full_intake_answers_503_retry_after_before_reading_and_keeps_what_it_admitted() -> None:
    inbox, store = HeldInbox(), CaseStore()
    referral = bootstrap(
        Settings(webhook_admission=AdmissionSettings(max_in_flight=1, max_wait_seconds=0.0)),
        store=store,
        queries=InMemoryCaseQueries(store, lambda: AGREEMENTS),
        inbox=inbox,
        audit=InMemoryAuditLog(),
        agreement_store=InMemoryAgreementStore(),
        clock=FixedClock(),
    )
    await referral.deps.agreement_book.load()
    transport = httpx.ASGITransport(app=http_app(referral, lifespan_enabled=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
        body, headers = signed()
        first = asyncio.create_task(client.post("/webhooks/lus", content=body, headers=headers))
        await asyncio.wait_for(inbox.writing.wait(), 5)  # admitted and storing

        # Garbage that would be a 401 (no signature) or 400: refused for load first, nothing read.
        refused = await client.post("/webhooks/lus", content=b"{not json", headers={"content-type": "application/json"})
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] in {"2", "3", "4"}
        assert refused.json()["status"] == 503
        again_body, again_headers = signed()
        assert (await client.post("/webhooks/lus", content=again_body, headers=again_headers)).status_code == 503
        assert (await client.get("/healthz")).status_code == 200  # only the webhook route is gated
        busy = (await client.get("/metrics")).text
        assert "trygg_referral_webhooks_in_flight 1.0" in busy

        inbox.release.set()
        answer = await first
        assert answer.status_code == 202  # the admitted one is never refused
        case_id = answer.json()["case_id"]
        assert await store.load(case_id) is not None

        # The slot is free again: the refused webhook, sent again, is taken.
        assert (await client.post("/webhooks/lus", content=again_body, headers=again_headers)).status_code == 202
        metrics = (await client.get("/metrics")).text
    assert 'trygg_referral_webhooks_total{outcome="overloaded"} 2.0' in metrics
    assert 'trygg_referral_webhooks_total{outcome="accepted"} 2.0' in metrics
    assert "trygg_referral_webhooks_in_flight 0.0" in metrics


def test_the_production_app_freezes_its_start_up_heap_out_of_the_collectors_walk() -> None:
    """`create_app` ends with `gc.freeze()`: a full collection no longer walks the ~10^5 objects of
    start-up, which stopped the event loop (every answer, a 503 included) for 50-200 ms under overload.
    In a child process: the production app configures this process's logging and tracing."""
    probe = (
        "import gc, json\n"
        "from referral.main import create_app\n"
        "app = create_app()\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'routes': len(app.routes)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["routes"] > 0
    assert seen["frozen"] > 10_000
