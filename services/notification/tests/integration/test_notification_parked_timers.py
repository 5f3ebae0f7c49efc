"""The notification timer loop's next-due queries leave out timers parked after a failure, on
real FerretDB (`$nin` on `_id`), so the loop sleeps to the next healthy timer, not a past one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from notification.adapters.mongo import ALERTS, CASES, MongoAlertQueries, MongoCaseQueries
from notification.domain.alert import AlertState
from notification.domain.casefile import WatchState

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


async def test_parked_watches_and_escalations_are_left_out_of_the_next_due_time(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    armed = WatchState.ARMED.value
    await db[CASES].insert_many(
        [
            {"_id": "c-poisoned", "watch_state": armed, "watch_alert_at": T0 - timedelta(minutes=5)},
            {"_id": "c-healthy", "watch_state": armed, "watch_alert_at": T0 + timedelta(seconds=30)},
        ]
    )
    opened = AlertState.OPEN.value
    await db[ALERTS].insert_many(
        [
            {"_id": "a-poisoned", "state": opened, "escalate_at": T0 - timedelta(minutes=1)},
            {"_id": "a-healthy", "state": opened, "escalate_at": T0 + timedelta(seconds=40)},
        ]
    )
    cases, alerts = MongoCaseQueries(db), MongoAlertQueries(db, ZoneInfo("Europe/Stockholm"))

    assert await cases.next_watch_at() == T0 - timedelta(minutes=5)
    assert await cases.next_watch_at(["c-poisoned"]) == T0 + timedelta(seconds=30)
    assert await alerts.next_escalation_at() == T0 - timedelta(minutes=1)
    assert await alerts.next_escalation_at(["a-poisoned"]) == T0 + timedelta(seconds=40)
    assert await alerts.next_escalation_at(["a-poisoned", "a-healthy"]) is None


async def test_the_open_alerts_that_reached_nobody_are_found_for_routing(db: AsyncDatabase[dict[str, Any]]) -> None:
    opened, acknowledged = AlertState.OPEN.value, AlertState.ACKNOWLEDGED.value
    await db[ALERTS].insert_many(
        [
            {"_id": "a-nobody", "state": opened, "unrouted": True, "team_id": "t"},
            {"_id": "a-told", "state": opened, "unrouted": False, "team_id": "t"},
            {"_id": "a-taken", "state": acknowledged, "unrouted": True, "team_id": "t"},
            {"_id": "a-nobody-2", "state": opened, "unrouted": True, "team_id": None},
        ]
    )
    alerts = MongoAlertQueries(db, ZoneInfo("Europe/Stockholm"))

    assert await alerts.unrouted_teams() == {"a-nobody": "t", "a-nobody-2": None}
    assert await alerts.unrouted() == 2
