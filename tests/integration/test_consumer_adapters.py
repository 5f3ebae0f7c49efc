"""The consumers' Mongo adapters round-trip their records on the real MongoDB wire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from billing.adapters.mongo import MongoCaseLiabilities
from billing.domain.liability import CaseLiability, LiabilityPeriod, PeriodStatus, on_discharged, on_ready, on_revoked
from notification.adapters.mongo import MongoLiabilityWatches
from notification.domain.watches import watch_ready
from scheduling.adapters.mongo import MongoIncomingReferrals
from scheduling.domain.referrals import IncomingReferral

READY = datetime(2026, 11, 23, 8, 0, 0, 123456, tzinfo=UTC)  # sub-millisecond on purpose


async def test_a_case_liability_record_round_trips_and_stays_one_document(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseLiabilities(db)
    await repo.ensure_indexes()
    case_id = str(uuid.uuid4())
    case = on_ready(CaseLiability(case_id, "p_1"), LiabilityPeriod(READY, READY + timedelta(days=3), "a", 1, 9300))
    await repo.put(case)

    loaded = await repo.get(case_id)
    assert loaded is not None
    revoked = on_revoked(loaded, loaded.periods[0].ready_at, READY + timedelta(days=4), 1)
    await repo.put(on_discharged(revoked, READY + timedelta(days=6), 1, 9300))

    assert await db[MongoCaseLiabilities.COLLECTION].count_documents({}) == 1
    final = await repo.get(case_id)
    assert final is not None
    assert [p.status for p in final.periods] == [PeriodStatus.REVOKED]
    assert final.amount_sek == 9300
    doc = await db[MongoCaseLiabilities.COLLECTION].find_one({"_id": case_id})
    assert doc is not None
    assert doc["amount_sek"] == 9300


async def test_an_incoming_referral_round_trips(db: AsyncDatabase[Any]) -> None:
    repo = MongoIncomingReferrals(db)
    referral = IncomingReferral(str(uuid.uuid4()), "p_1", "Avd 61", READY, None, READY + timedelta(days=3))
    await repo.put(referral)
    loaded = await repo.get(referral.case_id)
    assert loaded is not None
    assert loaded.case_id == referral.case_id
    assert loaded.status == referral.status
    assert loaded.liability_starts_at == referral.liability_starts_at.replace(microsecond=123000)


async def test_a_liability_watch_round_trips(db: AsyncDatabase[Any]) -> None:
    repo = MongoLiabilityWatches(db)
    watch = watch_ready(
        None,
        case_id=str(uuid.uuid4()),
        person_ref="p_1",
        ready_at=READY,
        liability_starts_at=READY + timedelta(days=3),
        lead_time=timedelta(hours=24),
        source_event_id="e1",
    )
    await repo.put(watch)
    loaded = await repo.get(watch.case_id)
    assert loaded is not None
    assert loaded.alert_due_at == (READY + timedelta(days=2)).replace(microsecond=123000)
