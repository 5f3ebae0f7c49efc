"""One plan whose timers raise never stops the others (scheduling's scanner on real FerretDB): it is
reported (counted), parked by a pushed due time that doubles with each failure (so every replica
leaves it alone, the loop sleeps to then instead of spinning, the cursor moves on), and fires
once mended; a store that is down stops the round."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase
from scheduling_support import FixedClock

from devstack.testing import Endpoints
from scheduling.adapters.mongo import TimerScanner
from scheduling.bootstrap import Scheduling, bootstrap
from scheduling.config import SchedulingMongo, Settings
from scheduling.domain.profiles import default_teams
from scheduling.service_layer import planning as uc
from scheduling.service_layer.teams import seed_teams
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.contracts.scheduling import PeriodEnded
from trygg_shared.indexes import ensure_indexes
from trygg_shared.service import Infrastructure
from trygg_shared.settings import KafkaSettings


def _service(servers: Endpoints, database: str, clock: FixedClock) -> Scheduling:
    settings = Settings(
        mongo=SchedulingMongo(uri=servers.mongo_uri, database=database, postgres_url=servers.postgres_url),
        kafka=KafkaSettings(bootstrap_servers=servers.kafka_bootstrap),
    )
    return bootstrap(settings, infra=Infrastructure.create(settings), clock=clock)


def _grant(case_id: str) -> uc.GrantDecision:
    start = date(2026, 11, 25)
    return uc.GrantDecision(
        case_id=case_id,
        person_ref=f"p_{case_id}",
        decision_id=f"d-{case_id}",
        decision_type="trygg_hemgang",
        start_date=start,
        length_days=5,
        end_date=start + timedelta(days=4),
        team="Team Väst",
        hours_granted=None,
        hemtjanst=False,
        granted_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
    )


def _failures() -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "plan_timers"}) or 0.0


async def test_a_plan_whose_timers_raise_is_reported_and_parked_while_the_others_fire(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]]
) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    service = _service(servers, db.name, clock)
    await ensure_indexes(service.runtime.infra.db, service.runtime.all_indexes(), servers.postgres_url)
    try:
        await seed_teams(service.deps, default_teams())
        cases = sorted(f"c-{uuid.uuid4().hex[:10]}" for _ in range(3))
        for case_id in cases:
            await uc.grant_decision(service.deps, _grant(case_id))
        await db["case_plans"].update_many({}, {"$set": {"outbox": {}, "outbox_pending": False}})
        bad, tried, broken = cases[1], [], {"error": ValueError}

        async def fire(case_id: str) -> int:
            tried.append(case_id)
            if case_id == bad and broken["error"] is not None:
                raise broken["error"]("not a month: 378-4")
            return await uc.fire_timers(service.deps, case_id)

        scanner = TimerScanner(service.runtime.infra.db, fire, clock, poll_seconds=5.0)
        clock.moment = now = datetime(2026, 12, 15, 9, tzinfo=UTC)  # the periods ended
        before = _failures()

        await scanner.scan_once()
        for case_id in (cases[0], cases[2]):
            doc = await db["case_plans"].find_one({"_id": case_id})
            assert doc is not None
            assert PeriodEnded.EVENT_TYPE in [e["event_type"] for e in doc["outbox"].values()]
        assert _failures() == before + 1
        parked = await db["case_plans"].find_one({"_id": bad})
        assert parked is not None
        assert (parked["next_due_at"], parked["timer_failures"]) == (now + timedelta(seconds=5), 1)
        assert parked["outbox"] == {}  # nothing of it fired
        cursor = await db["timer_cursor"].find_one({"_id": "timers"})
        assert cursor is not None
        assert cursor["hour"] == now  # the parked plan does not hold the cursor back

        # Parked: not tried again at once, and the loop sleeps until its pause ends (no spinning).
        tried.clear()
        await scanner.scan_once()
        assert tried == []
        assert _failures() == before + 1
        assert await scanner.next_due() == now + timedelta(seconds=5)

        # Tried again after the pause; a second failure doubles the pause.
        clock.moment = now + timedelta(seconds=6)
        await scanner.scan_once()
        assert tried == [bad]
        assert _failures() == before + 2
        parked = await db["case_plans"].find_one({"_id": bad})
        assert parked is not None
        assert (parked["next_due_at"], parked["timer_failures"]) == (clock.moment + timedelta(seconds=10), 2)

        # A store that is down stops the round and parks nothing.
        clock.moment += timedelta(seconds=11)
        broken["error"] = StorageUnavailable
        with pytest.raises(StorageUnavailable):
            await scanner.scan_once()
        parked = await db["case_plans"].find_one({"_id": bad})
        assert parked is not None
        assert parked["timer_failures"] == 2

        # Mended: its timers fire on the next round, and its real due time is written again.
        broken["error"] = None
        await scanner.scan_once()
        mended = await db["case_plans"].find_one({"_id": bad})
        assert mended is not None
        assert PeriodEnded.EVENT_TYPE in [e["event_type"] for e in mended["outbox"].values()]
        assert mended["timer_failures"] == 0
        assert await db["timer_claims"].count_documents({}) == 0
    finally:
        await service.runtime.infra.mongo_client.close()
