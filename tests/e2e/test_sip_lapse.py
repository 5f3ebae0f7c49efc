"""A SIP deadline that lapsed without an invitation, with the real servers: two referral replicas record
the lapse once, notification raises one on-call alert, and the console shows it (alert and case page);
an officer's late invitation (the API, through the real process) then closes the alert."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from devstack.cli import sample_message, sign
from devstack.servers import free_port
from devstack.stack import ServiceProcess
from referral.config import LOCAL_DEV_SENDER_SECRET
from tests.fixtures.e2e import System
from tests.support import eventually, read_topic
from trygg_shared.contracts.referral import SipDeadlineLapsed, SipStatusChanged
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.envelope import decode

OFFICER = {"Authorization": "Bearer dev-officer"}
FVK = {"unit_name": "Vårdcentral Jakobsberg", "hsa_id": "SE2321000016-7PQR", "phone": "+4686001234"}


@asynccontextmanager
async def second_referral(system: System, logs: Path) -> AsyncIterator[ServiceProcess]:
    """Another referral replica on the same database (its own port and log folder)."""
    first = system.processes["referral"]
    port = free_port()
    env = {**first.env, "REFERRAL_HTTP__PORT": str(port), "REFERRAL_SIP_TIMER_SECONDS": "0.5"}
    process = ServiceProcess(replace(first.spec), port, env, logs)
    process.start()
    try:
        process.wait_ready(90)
        yield process
    finally:
        process.stop()


async def send(url: str, body: dict[str, Any]) -> httpx.Response:
    payload = json.dumps(body)
    headers = sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", payload.encode())
    async with httpx.AsyncClient(timeout=15) as client:
        return await client.post(f"{url}/webhooks/lus", content=payload, headers=headers)


async def read_case(system: System, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{system.url('referral')}/cases/{case_id}", headers=OFFICER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def kafka_types(system: System, case_id: str) -> list[str]:
    records = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    return [decode(dict(r.headers), r.key, r.value)[0].type for r in records]


async def test_a_lapsed_sip_deadline_is_told_once_and_reaches_notification_and_the_console(
    system: System, tmp_path: Path
) -> None:
    episode = f"E2E-SIP-{uuid.uuid4().hex[:8]}"
    ready = sample_message("utskrivningsklar", episode)
    ready["ready_at"] = (datetime.now(UTC) - timedelta(days=5)).isoformat()  # the deadline passed already
    ready["fast_vardkontakt"] = FVK  # both region and municipality act: a SIP is owed
    async with second_referral(system, tmp_path) as replica:
        response = await send(replica.url, ready)
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]

        async def lapsed_on_kafka() -> list[str]:
            return [t for t in await kafka_types(system, case_id) if t == SipDeadlineLapsed.EVENT_TYPE]

        await eventually(lapsed_on_kafka, within=60)
        await asyncio.sleep(3.0)  # both replicas' timers have looked several times since (0.5 s each)
        types = await kafka_types(system, case_id)
        assert types.count(SipDeadlineLapsed.EVENT_TYPE) == 1
        assert types.count(SipStatusChanged.EVENT_TYPE) == 1  # the deadline; no invitation came

    read = await read_case(system, case_id)
    assert read["sip"]["lapsed"] is True
    assert read["sip"]["invitation"] is None

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        alerts = client[system.database("notification")]["alerts"]
        # (The ready notice five days old alerts for payment liability too: that is its own alert.)
        sip_alert = {"case_id": case_id, "topic": "sip_deadline_lapsed"}
        alert = await eventually(lambda: alerts.find_one(sip_alert), within=60)
        assert await alerts.count_documents(sip_alert) == 1
        console_alerts = client[system.database("console")]["alerts"]
        await eventually(lambda: console_alerts.find_one({"_id": alert["_id"]}), within=60)
    finally:
        await client.close()

    async with httpx.AsyncClient(base_url=system.url("console"), timeout=15) as console:
        oncall = await console_session(console, "dev-oncall")
        page = (await console.get("/alerts", headers=oncall)).text
        assert "SIP-kallelse saknas: fristen har gått ut" in page  # the alert's title, in Swedish
        officer = await console_session(console, "dev-officer")

        async def case_page() -> str | None:
            response = await console.get(f"/cases/{case_id}", headers=officer)
            return response.text if 'class="sip"' in response.text else None

        page = await eventually(case_page, within=30)
        assert "Ingen kallelse: fristen har gått ut" in page

    # The officer learns of a late invitation and records it: the alert closes itself, the case shows it.
    late = {
        "invited_at": datetime.now(UTC).isoformat(),
        "meeting_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    async with httpx.AsyncClient(base_url=system.url("referral"), headers=OFFICER, timeout=15) as referral:
        recorded = await referral.post(f"/cases/{case_id}/sip-invitations", json={**late, "place": "home"})
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["sip"]["invited_in_time"] is False
        again = await referral.post(f"/cases/{case_id}/sip-invitations", json={**late, "place": "home"})
        assert again.status_code == 200
    client = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        alerts = client[system.database("notification")]["alerts"]
        closed = {"_id": alert["_id"], "resolved_reason": "sip_invited"}
        await eventually(lambda: alerts.find_one(closed), within=60)
    finally:
        await client.close()


async def console_session(console: httpx.AsyncClient, token: str) -> dict[str, str]:
    """Sign in (the form posted from the console's own page) and return the session cookie as a header:
    the cookie is `Secure`, which httpx keeps off plain http even on the loopback."""
    login = await console.post("/login", data={"token": token}, headers={"Origin": str(console.base_url).rstrip("/")})
    assert login.status_code == 303, login.text
    return {"Cookie": login.headers["set-cookie"].split(";")[0]}
