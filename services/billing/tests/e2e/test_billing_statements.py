"""Billing as a real process on real Kafka: from referral's events to a monthly statement, and a
process killed between its effect and its offset commit ends with exactly one fee line per person."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from billing_support import granted, subject
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from tests.fixtures.e2e import System
from tests.support import eventually, read_topic
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.billing import StatementIssued
from trygg_shared.contracts.topics import BILLING_EVENTS
from trygg_shared.envelope import decode
from trygg_shared.testing import publish_event

OPS = {"Authorization": "Bearer dev-ops"}
OFFICER = {"Authorization": "Bearer dev-officer"}
SOURCE = "urn:trygghemgang:referral"


async def publish(broker: KafkaBroker, event: IntegrationEvent, sequence: int) -> None:
    await publish_event(broker, event, source=SOURCE, sequence=sequence)


def first_of_month(start: date) -> datetime:
    """When the decision was granted: 09:00 on the first of its start month."""
    return datetime(start.year, start.month, 1, 9, tzinfo=UTC)


async def test_events_on_kafka_become_an_issued_statement_with_its_event(system: System) -> None:
    case_id, person = f"case-{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:12]}"
    broker = KafkaBroker(system.endpoints.kafka_bootstrap)
    await broker.start()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    care = client[system.database("billing")]["care_cases"]
    try:
        await publish(broker, granted(case_id, person, date(2025, 2, 10), 5, at=first_of_month(date(2025, 2, 10))), 1)
        await publish(broker, subject(case_id, person, address=None), 2)
        await eventually(lambda: care.find_one({"_id": case_id, "billing_open": True}))
        await eventually(lambda: client[system.database("billing")]["persons"].find_one({"_id": person}))

        async with httpx.AsyncClient(base_url=system.url("billing"), timeout=30) as http:
            run = await http.post("/statement-runs/2025-02", headers=OPS)
            assert run.status_code == 200, run.text
            statement = await http.get(f"/persons/{person}/statements/2025-02", headers=OFFICER)
        assert statement.status_code == 200, statement.text
        body = statement.json()
        # 2025: maxtaxa 2 642 kr, 1/14 = 188.71 -> 189 kr a day in Hofors.
        assert [(line["days"], line["unit_price_ore"], line["amount_ore"]) for line in body["lines"]] == [
            (5, 18_900, 94_500)
        ]
        assert body["recipient"]["family_name"] == "Lindqvist"

        async def published() -> list[Any]:
            records = await read_topic(system.endpoints.kafka_bootstrap, BILLING_EVENTS, key=person.encode())
            return [r for r in records if decode(dict(r.headers), r.key, r.value)[0].type == StatementIssued.EVENT_TYPE]

        [record] = await eventually(published)
        wire = StatementIssued.model_validate(decode(dict(record.headers), record.key, record.value)[1])
        assert wire.total_ore == 94_500
        assert "194010092387" not in record.value.decode()
        stored = await care.find_one({"_id": case_id})
        assert "+4670" not in str(stored)
    finally:
        await broker.stop()
        await client.close()


PERSONS = 24


async def test_billing_killed_mid_stream_gives_exactly_one_fee_line_per_person(system: System) -> None:
    billing = system.processes["billing"]
    people = [(f"case-{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:12]}") for _ in range(PERSONS)]
    broker = KafkaBroker(system.endpoints.kafka_bootstrap)
    await broker.start()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    care = client[system.database("billing")]["care_cases"]
    case_ids = [c for c, _ in people]
    try:
        for i, (case_id, person) in enumerate(people):
            await publish(broker, granted(case_id, person, date(2024, 5, 6), 5, at=first_of_month(date(2024, 5, 6))), 1)
            if i == PERSONS // 3:
                await eventually(lambda: care.count_documents({"_id": {"$in": case_ids}}), within=30)
                billing.kill()  # effects saved, offsets perhaps not committed: redelivery follows
        billing.start()
        await asyncio.to_thread(billing.wait_ready, 90)

        async def all_there() -> bool:
            return await care.count_documents({"_id": {"$in": case_ids}}) >= PERSONS

        await eventually(all_there, within=60)
        await asyncio.sleep(2.0)  # anything redelivered after the restart has arrived by now

        async with httpx.AsyncClient(base_url=system.url("billing"), timeout=60) as http:
            run = await http.post("/statement-runs/2024-05", headers=OPS)
            assert run.status_code == 200, run.text
            lines: dict[str, list[Any]] = {}
            for _, person in people:
                response = await http.get(f"/persons/{person}/statements", headers=OFFICER)
                assert response.status_code == 200
                lines[person] = [line for s in response.json() for line in s["lines"]]
        assert all(
            [(line["days"], line["amount_ore"]) for line in found] == [(5, 92_000)] for found in lines.values()
        ), lines
        docs = [d async for d in care.find({"_id": {"$in": case_ids}})]
        assert all(len(d["decisions"]) == 1 for d in docs)
    finally:
        await broker.stop()
        await client.close()
