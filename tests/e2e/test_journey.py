"""From a signed hospital webhook to every service's own database, with the real servers."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pymongo import AsyncMongoClient

from referral.service_layer.intake import case_id_for
from tests.fixtures.e2e import System
from tests.support import eventually, read_topic
from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.envelope import decode

SENDER = "local-dev"


async def test_a_signed_ready_notice_reaches_scheduling_notification_and_billing(system: System) -> None:
    episode = f"E2E-{uuid.uuid4().hex[:10]}"
    response = system.send("utskrivningsklar", episode_id=episode)

    assert response.status_code == 202
    case_id = response.json()["case_id"]
    assert case_id == case_id_for(SENDER, episode)

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        referral = client[system.database("referral")]
        scheduling = client[system.database("scheduling")]
        notification = client[system.database("notification")]
        billing = client[system.database("billing")]

        case = await eventually(lambda: referral["cases"].find_one({"_id": case_id, "outbox_pending": False}))
        plan = await eventually(lambda: scheduling["case_plans"].find_one({"_id": case_id}))
        watch = await eventually(lambda: notification["cases"].find_one({"_id": case_id, "watch_state": "armed"}))
        liability = await eventually(lambda: billing["case_liability"].find_one({"_id": case_id}))
    finally:
        await client.close()

    assert case["status"] == "ready"
    # Scheduling knows the person is ready for discharge and waits for a decision.
    assert plan["state"]["ready_at"] is not None
    assert plan["state"]["period"] is None
    # Notification watches the payment-liability clock; billing holds the open liability period.
    period = liability["periods"][0]
    assert period["status"] == "open"
    assert watch["watch"]["liability_starts_at"] == period["liability_starts_at"] == case["liability_starts_at"]
    # Consumers hold a pseudonymous reference, never the identity number or the name.
    for doc in (plan, watch, liability):
        dumped = json.dumps(doc, default=str)
        assert "19401009" not in dumped
        assert "Lindqvist" not in dumped


async def test_a_repeated_webhook_id_gets_the_first_answer_and_emits_nothing_new(system: System) -> None:
    episode = f"E2E-{uuid.uuid4().hex[:10]}"
    webhook_id = f"msg_{uuid.uuid4().hex}"
    first = system.send("utskrivningsklar", episode_id=episode, webhook_id=webhook_id)
    second = system.send("utskrivningsklar", episode_id=episode, webhook_id=webhook_id)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == first.json()

    case_id = first.json()["case_id"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        billing = client[system.database("billing")]
        await eventually(lambda: billing["case_liability"].find_one({"_id": case_id}))
    finally:
        await client.close()
    records = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    types = [decode(dict(r.headers), r.key, r.value)[0].type for r in records]
    assert types == [ReadyForDischarge.EVENT_TYPE]


async def test_a_wrong_signature_is_refused_as_problem_json_and_nothing_is_stored(system: System) -> None:
    episode = f"E2E-{uuid.uuid4().hex[:10]}"
    response = system.send("utskrivningsklar", episode_id=episode, secret="whsec_" + "d3JvbmctZnJvbS1hbi1hdHRhY2tlciE=")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        referral = client[system.database("referral")]
        assert await referral["cases"].find_one({"_id": case_id_for(SENDER, episode)}) is None
        assert await referral["inbound_messages"].count_documents({"case_id": case_id_for(SENDER, episode)}) == 0
    finally:
        await client.close()
