"""An officer's day with the real services: read a case (audited), decide, and the events on Kafka."""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from tests.fixtures.e2e import System
from tests.support import decision_request, eventually, read_topic
from trygg_shared.contracts.referral import BillingSubjectRegistered, DecisionGranted, PersonContactRegistered
from trygg_shared.contracts.topics import REFERRAL_BILLING_SUBJECTS, REFERRAL_CASE_EVENTS, REFERRAL_PERSON_CONTACTS
from trygg_shared.envelope import decode

OFFICER = {"Authorization": "Bearer dev-officer"}


async def test_an_officer_decides_on_a_referred_patient_and_the_decision_is_published(system: System) -> None:
    response = system.send("utskrivningsklar", episode_id=f"E2E-O-{uuid.uuid4().hex[:8]}")
    case_id = response.json()["case_id"]
    base = system.url("referral")

    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        listed = (
            await client.get("/cases", params={"liability_running": "true", "limit": 200}, headers=OFFICER)
        ).json()
        assert case_id in [c["case_id"] for c in listed]
        detail = await client.get(f"/cases/{case_id}", headers=OFFICER)
        assert detail.status_code == 200
        assert detail.json()["messages"][0]["message_type"] == "utskrivningsklar"

        granted = await client.post(
            f"/cases/{case_id}/decisions",
            headers=OFFICER,
            json=decision_request("Team Väst", "+46701112233", start=date(2026, 11, 25)),
        )
        assert granted.status_code == 201, granted.text
        trail = (
            await client.get("/audit", params={"case_id": case_id}, headers={"Authorization": "Bearer dev-ops"})
        ).json()
        assert {r["action"] for r in trail} == {"list_cases", "read_case", "decide"}
        assert {r["actor"] for r in trail} == {"officer:dev"}

    async def decision_on_kafka() -> list[str]:
        records = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
        types = [decode(dict(r.headers), r.key, r.value)[0].type for r in records]
        return types if DecisionGranted.EVENT_TYPE in types else []

    await eventually(decision_on_kafka)
    subjects = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_BILLING_SUBJECTS, key=case_id.encode())
    meta, data = decode(dict(subjects[0].headers), subjects[0].key, subjects[0].value)
    assert meta.type == BillingSubjectRegistered.EVENT_TYPE
    assert data["identity_number"] == "194010092387"
    case_events = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_CASE_EVENTS, key=case_id.encode())
    assert all(b"194010092387" not in r.value for r in case_events)
    # The person's own name, address and phone: only on person-contacts (scheduling and the console).
    assert all(b"Lindqvist" not in r.value for r in case_events)
    contacts = await read_topic(system.endpoints.kafka_bootstrap, REFERRAL_PERSON_CONTACTS, key=case_id.encode())
    meta, data = decode(dict(contacts[0].headers), contacts[0].key, contacts[0].value)
    assert meta.type == PersonContactRegistered.EVENT_TYPE
    assert data["person"]["family_name"] == "Lindqvist"
    assert "194010092387" not in str(data)
