"""One plan whose timers raise never stops the others (scheduling's scanner on real FerretDB): it is
reported (counted), parked by a pushed due time that doubles with each failure (so every replica
leaves it alone, the loop sleeps to then instead of spinning, the cursor moves on), and fires
once mended; a store that is down stops the round."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase
from scheduling_support import FixedClock, grant_command

from scheduling.adapters.mongo import TimerScanner
from scheduling.bootstrap import Scheduling
from scheduling.service_layer import planning as uc
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.contracts.scheduling import PeriodEnded


def _grant(case_id: str) -> uc.GrantDecision:
    return grant_command(case_id, length=5, hemtjanst=False)


def _failures() -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "plan_timers"}) or 0.0


async def test_a_plan_whose_timers_raise_is_reported_and_parked_while_the_others_fire(
    service: Scheduling, db: AsyncDatabase[dict[str, Any]], clock: FixedClock
) -> None:
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
