"""Timers fire within 1 s of their due time with two replicas on the real database, exactly once.

Each replica runs its real timer loop (`trygg_shared.timers.DueTimeLoop`) as a task against
FerretDB. Lateness is read from the fired event itself (its detection / escalation time minus
the timer's due time), so the measurement does not depend on how often the test looks.

- scheduling: a missed-visit check saved long before (as by another replica, or before a
  restart): both replicas find it through their periodic look and fire it on time;
- notification: an escalation whose timer the raising replica saved a moment before it is due
  (woken in-process), and a liability watch armed through the other replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from notification.bootstrap import Notification
from notification.bootstrap import bootstrap as notification_bootstrap
from notification.config import Settings as NotificationSettings
from notification.domain.alert import Responder, Rota, Shift
from notification.domain.templates import AlertTopic
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from scheduling.adapters.mongo import TimerScanner
from scheduling.bootstrap import Scheduling
from scheduling.bootstrap import bootstrap as scheduling_bootstrap
from scheduling.config import Settings as SchedulingSettings
from scheduling.domain.profiles import default_teams
from scheduling.service_layer import planning as uc
from scheduling.service_layer.teams import seed_teams
from trygg_shared.indexes import ensure_indexes
from trygg_shared.service import Infrastructure
from trygg_shared.settings import KafkaSettings

from ..support import eventually

LATE = timedelta(seconds=1)


class OffsetClock:
    """Real time moving at real speed, shifted by `offset` (so a plan's timer can be made due soon)."""

    def __init__(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@contextlib.asynccontextmanager
async def running(loops: list[Callable[[], Awaitable[None]]]) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(loop()) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _events(doc: dict[str, Any] | None, suffix: str) -> list[dict[str, Any]]:
    return [e["data"] for e in ((doc or {}).get("outbox") or {}).values() if e["event_type"].endswith(suffix)]


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# --- scheduling -----------------------------------------------------------------------------------


def _scheduling(servers: Endpoints, database: str, clock: OffsetClock) -> Scheduling:
    settings = SchedulingSettings(
        mongo={"uri": servers.mongo_uri, "database": database, "postgres_url": servers.postgres_url},
        kafka=KafkaSettings(bootstrap_servers=servers.kafka_bootstrap),
    )
    assert settings.timer_poll_seconds == 5.0  # the default: the periodic look is not what is measured
    return scheduling_bootstrap(settings, infra=Infrastructure.create(settings), clock=clock)


async def test_two_scheduling_replicas_fire_a_missed_visit_check_within_a_second_of_its_due_time(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]]
) -> None:
    clock = OffsetClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    first, second = _scheduling(servers, db.name, clock), _scheduling(servers, db.name, clock)
    await ensure_indexes(first.runtime.infra.db, first.runtime.all_indexes(), servers.postgres_url)
    try:
        await seed_teams(first.deps, default_teams())
        case_id = f"c-{uuid.uuid4().hex[:10]}"
        start = date(2026, 11, 25)
        await uc.grant_decision(
            first.deps,
            uc.GrantDecision(
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
                granted_at=clock.now(),
            ),
        )
        doc = await db["case_plans"].find_one({"_id": case_id})
        assert doc is not None
        due: datetime = doc["next_due_at"]  # the hospital visit's missed-visit check, a day ahead
        async with running([first.scanner.run, second.scanner.run]):
            await asyncio.sleep(0.5)  # both asleep: nothing is due for a day
            clock.set(due - timedelta(seconds=6.5))  # a day passes: due in 6.5 s, beyond one periodic look

            async def fired() -> list[dict[str, Any]] | None:
                return _events(await db["case_plans"].find_one({"_id": case_id}), "visit_missed.v1") or None

            [missed] = await eventually(fired, within=15)
            lateness = _at(missed["detected_at"]) - due
            await asyncio.sleep(1.0)  # both keep looking: nothing fires twice
            again = _events(await db["case_plans"].find_one({"_id": case_id}), "visit_missed.v1")
        print(f"scheduling missed-visit check fired {lateness.total_seconds():.3f} s after its due time")
        assert timedelta(0) <= lateness < LATE, lateness
        assert len(again) == 1
        assert first.scanner.fired + second.scanner.fired == 1
    finally:
        await first.runtime.infra.mongo_client.close()
        await second.runtime.infra.mongo_client.close()


async def test_replicas_starting_together_on_a_fresh_database_all_move_the_timer_cursor(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """The first scans of several replicas race to create the cursor: none fails, one value stands."""
    clock = OffsetClock(datetime(2026, 11, 23, 9, tzinfo=UTC))

    async def no_fire(case_id: str) -> bool:
        raise AssertionError(f"no plan is due here ({case_id})")

    for _ in range(5):  # the race is won differently each time: a few fresh starts
        await db["timer_cursor"].drop()
        scanners = [TimerScanner(db, no_fire, clock) for _ in range(8)]
        results = await asyncio.gather(*(s.scan_once() for s in scanners), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        cursors = await db["timer_cursor"].find({}).to_list()
        assert len(cursors) == 1
        assert _at(cursors[0]["hour"]).replace(tzinfo=UTC) <= clock.now()


# --- notification ---------------------------------------------------------------------------------


def _notification(servers: Endpoints, database: str, clock: OffsetClock) -> Notification:
    settings = NotificationSettings(
        mongo={"uri": servers.mongo_uri, "database": database, "postgres_url": servers.postgres_url},
        kafka={"bootstrap_servers": servers.kafka_bootstrap},
        ack_timeout_minutes=2.5 / 60,  # escalate 2.5 s after raising
        liability_alert_lead_hours=1,
    )
    assert settings.timer_poll_seconds == 5.0
    return notification_bootstrap(settings, infra=Infrastructure.create(settings), clock=clock)


async def test_two_notification_replicas_escalate_and_fire_liability_watches_within_a_second(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]]
) -> None:
    clock = OffsetClock(datetime.now(UTC))
    a, b = _notification(servers, db.name, clock), _notification(servers, db.name, clock)
    await ensure_indexes(a.runtime.infra.db, a.runtime.all_indexes(), servers.postgres_url)
    now = clock.now()
    responders = (Responder("anna", "+46700000001"), Responder("bo", "+46700000002"))
    await a.deps.rotas.put(Rota("default", (Shift(now - timedelta(hours=1), now + timedelta(hours=3), responders),)))
    try:
        async with running([a.timers.run, b.timers.run]):
            await asyncio.sleep(0.5)  # both asleep for their periodic look (5 s): nothing is due
            # An escalation timer saved by replica a (woken in-process), due 2.5 s later.
            assert await al.raise_alert(a.deps, "missed:v-late", AlertTopic.VISIT_MISSED, al.AlertFacts())
            alert = await db["alerts"].find_one({"_id": "missed:v-late"})
            assert alert is not None
            escalation_due: datetime = alert["escalate_at"]

            async def escalated() -> list[dict[str, Any]] | None:
                return _events(await db["alerts"].find_one({"_id": "missed:v-late"}), "alert_escalated.v1") or None

            [first_step, *_] = await eventually(escalated, within=10)
            escalation_late = _at(first_step["escalated_at"]) - escalation_due

            # A liability watch armed through replica b, due 2 s later.
            case_id = str(uuid.uuid4())
            ready_at = clock.now() - timedelta(hours=30)
            watch_due = clock.now() + timedelta(seconds=2)
            await rel.watch_liability(b.deps, case_id, "p1", ready_at, watch_due + timedelta(hours=1))
            b.deps.wake_timers()  # as the consumer does after arming a watch

            async def raised() -> list[dict[str, Any]] | None:
                found = [d async for d in db["alerts"].find({"case_id": case_id})]
                return [e for d in found for e in _events(d, "alert_raised.v1")] or None

            [liability] = await eventually(raised, within=10)
            watch_late = _at(liability["raised_at"]) - watch_due
            await asyncio.sleep(1.0)
            steps = _events(await db["alerts"].find_one({"_id": "missed:v-late"}), "alert_escalated.v1")
        print(
            f"notification escalation {escalation_late.total_seconds():.3f} s late, "
            f"watch {watch_late.total_seconds():.3f} s"
        )
        assert timedelta(0) <= escalation_late < LATE, escalation_late
        assert timedelta(0) <= watch_late < LATE, watch_late
        levels = [s["level"] for s in steps]
        assert levels[0] == 1  # to Bo; then (2.5 s later) nobody is left: -1
        assert len(levels) == len(set(levels))  # each step once, with two replicas
        assert len([d async for d in db["alerts"].find({"case_id": case_id})]) == 1
    finally:
        await a.runtime.infra.mongo_client.close()
        await b.runtime.infra.mongo_client.close()
