"""The scheduling service's adapters on real FerretDB: plans and teams with their outbox, the queries,
and due timers that fire exactly once when two scanners (two replicas) race for them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from scheduling_support import FixedClock, grant_command, ready_on, service_on

from devstack.testing import Endpoints
from scheduling.bootstrap import Scheduling
from scheduling.service_layer import planning as uc
from trygg_shared.contracts.scheduling import (
    FollowUpDue,
    HomecomingChecklistOverdue,
    PeriodEnded,
    PeriodPlanned,
    VisitMissed,
    VisitScheduled,
)


def _grant(case_id: str, length: int = 5) -> uc.GrantDecision:
    return grant_command(case_id, length=length, hemtjanst=False)


async def _race(first: Any, second: Any) -> None:
    """Two replicas' scanners at once, twice each, then once more each."""
    await asyncio.gather(*(s.scanner.scan_once() for s in (first, second, first, second)))
    await asyncio.gather(first.scanner.scan_once(), second.scanner.scan_once())


def _types(doc: dict[str, Any]) -> list[str]:
    return sorted(e["event_type"] for e in (doc.get("outbox") or {}).values())


async def test_a_planned_period_is_stored_with_its_events_in_the_outbox_and_found_by_team(
    service: Scheduling, db: AsyncDatabase[dict[str, Any]]
) -> None:
    case_id = f"c-{uuid.uuid4().hex[:10]}"
    await uc.grant_decision(service.deps, _grant(case_id))
    doc = await db["case_plans"].find_one({"_id": case_id})
    assert doc is not None
    types = _types(doc)
    assert PeriodPlanned.EVENT_TYPE in types
    assert types.count(VisitScheduled.EVENT_TYPE) >= 5
    assert doc["team_id"] == "team-vast"
    assert doc["active"] is True
    assert doc["next_due_hour"] == "2026-11-24T10"  # the hospital visit's missed-visit check
    active = await service.deps.plan_queries.active_plans("team-vast")
    assert [p.case_id for p in active] == [case_id]
    loaded = await service.deps.plans.load(case_id)
    assert loaded is not None
    assert loaded.state.visits == active[0].visits  # the state survives the round trip
    team = await service.deps.teams.load("team-vast")
    assert team is not None
    assert case_id in team.state.bookings


async def test_two_scanners_fire_each_due_timer_exactly_once(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], clock: FixedClock, service: Scheduling
) -> None:
    first, second = service, service_on(servers, db.name, clock)
    try:
        cases = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(4)]
        for case_id in cases:
            await uc.grant_decision(first.deps, _grant(case_id))
        # Clear the outboxes so that only what the timers add is counted.
        await db["case_plans"].update_many({}, {"$set": {"outbox": {}, "outbox_pending": False}})
        clock.moment = datetime(2026, 12, 15, 9, tzinfo=UTC)  # the periods ended, the follow-up calls are due
        await _race(first, second)
        for case_id in cases:
            doc = await db["case_plans"].find_one({"_id": case_id})
            assert doc is not None
            types = _types(doc)
            assert types.count(PeriodEnded.EVENT_TYPE) == 1, types
            assert types.count(FollowUpDue.EVENT_TYPE) == 2, types  # meeting (missed its day) and call
            assert types.count(VisitMissed.EVENT_TYPE) >= 4, types
        assert await db["timer_claims"].count_documents({}) == 0  # every claim was released
        assert first.scanner.fired + second.scanner.fired >= len(cases)
        cursor = await db["timer_cursor"].find_one({"_id": "timers"})
        assert cursor is not None
        assert cursor["hour"] == datetime(2026, 12, 15, 9, tzinfo=UTC)
    finally:
        await second.runtime.infra.mongo_client.close()


async def test_two_scanners_raise_the_checklist_alert_once_and_a_fresh_replica_finds_it_armed(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], clock: FixedClock
) -> None:
    armed_by = await ready_on(servers, db.name, clock)  # a replica that plans, then is gone
    cases = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    try:
        for case_id in cases:
            discharge = datetime(2026, 11, 25, 10, tzinfo=UTC)
            await uc.record_ready(armed_by.deps, case_id, f"p_{case_id}", clock.now(), discharge)
            await uc.grant_decision(armed_by.deps, _grant(case_id))
    finally:
        await armed_by.runtime.infra.mongo_client.close()
    await db["case_plans"].update_many({}, {"$set": {"outbox": {}, "outbox_pending": False}})
    # Two replicas started afterwards: the deadline (homecoming 11:00 minus 24 h) is read from the plans.
    clock.moment = datetime(2026, 11, 24, 11, 0, 1, tzinfo=UTC)
    one, two = service_on(servers, db.name, clock), service_on(servers, db.name, clock)
    try:
        await _race(one, two)
        for case_id in cases:
            doc = await db["case_plans"].find_one({"_id": case_id})
            assert doc is not None
            assert _types(doc).count(HomecomingChecklistOverdue.EVENT_TYPE) == 1, _types(doc)
            assert doc["state"]["checklist"]["alerted_at"] is not None
    finally:
        await one.runtime.infra.mongo_client.close()
        await two.runtime.infra.mongo_client.close()
