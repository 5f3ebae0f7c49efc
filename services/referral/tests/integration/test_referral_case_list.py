"""The officer's case list at its documented maximum (`limit=200`) through the HTTP API, on the real store.

Each list read is audited before anything is shown. It used to be one audit record carrying every
case id shown, indexed as an array: past about 65 ids the index row exceeded PostgreSQL's btree
limit (2704 bytes), the audit write failed and the list answered 503 every time.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from referral.adapters.mongo import INDEXES
from referral.bootstrap import bootstrap
from referral.config import Settings
from referral.main import http_app
from trygg_shared.indexes import ensure_indexes
from trygg_shared.service import Infrastructure
from trygg_shared.settings import KafkaSettings

from .test_referral_decisions_mongo import opened_case
from .test_referral_mongo import save_new

OFFICER = {"Authorization": "Bearer dev-officer"}
OPS = {"Authorization": "Bearer dev-ops"}


async def test_the_officer_lists_the_documented_maximum_of_200_cases_and_each_read_is_audited(
    servers: Endpoints, db: AsyncDatabase[Any]
) -> None:
    settings = Settings(
        mongo={"uri": servers.mongo_uri, "database": db.name, "postgres_url": servers.postgres_url},
        kafka=KafkaSettings(bootstrap_servers=servers.kafka_bootstrap),
    )
    infra = Infrastructure.create(settings)
    referral = bootstrap(settings, infra=infra)
    await ensure_indexes(db, INDEXES, servers.postgres_url)  # what the runtime does at start
    await referral.deps.agreement_book.load()
    ids = []
    for _ in range(200):
        case = opened_case()
        await save_new(db, case)
        ids.append(case.case_id)
    transport = httpx.ASGITransport(app=http_app(referral, lifespan_enabled=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
            started = time.monotonic()
            listed = await client.get("/cases", params={"limit": 200, "order": "updated"}, headers=OFFICER)
            took = time.monotonic() - started

            assert listed.status_code == 200, listed.text
            assert sorted(c["case_id"] for c in listed.json()) == sorted(ids)
            for case_id in (ids[0], ids[123], ids[-1]):
                trail = (await client.get("/audit", params={"case_id": case_id}, headers=OPS)).json()
                assert [(r["actor"], r["action"], r["case_ids"]) for r in trail] == [
                    ("officer:dev", "list_cases", [case_id])
                ]
            assert (await client.get("/audit", params={"case_id": str(uuid.uuid4())}, headers=OPS)).json() == []
    finally:
        await infra.mongo_client.close()
    print(f"GET /cases?limit=200 on the real store: {took * 1000:.0f} ms")
