"""The homecoming checklist across the real services: an item still open before the homecoming visit
alerts the team lead once (scheduling's persisted timer, notification's alert and SMS), ticking the last
item closes the alert, and the console's read model follows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pymongo import AsyncMongoClient

from tests.fixtures.e2e import System
from tests.support import eventually, read_topic
from trygg_shared.contracts.scheduling import HomecomingChecklistOverdue
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS
from trygg_shared.envelope import decode

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OPS, OFFICER, TEAM, ONCALL = ({"Authorization": f"Bearer dev-{r}"} for r in ("ops", "officer", "team", "oncall"))
TEAM_ID = "jarfalla"  # a default team the local team token acts for; no other test of this system uses it
TEAM_NAME = "E2E Checklista Järfälla"
LEAD, ON_CALL = "+46700000950", "+46700000951"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def team_body() -> dict[str, Any]:
    """Around the clock (so that the homecoming can be put minutes from now), two items, an hour's alert."""
    return {
        "name": TEAM_NAME,
        "phone": "+46701740607",
        "municipality_profile": "jarfalla",
        "hours": [{"weekday": d, "start": "00:00", "end": "23:59"} for d in DAYS],
        "works_on_holidays": True,
        "clients_per_day": 50,
        "new_clients_per_month": 500,
        "max_period_days": 14,
        "members": [{"staff_id": f"jarfalla-us{n}"} for n in range(1, 4)],
        "checklist": {
            "items": [{"item_id": "aids", "label": "Hjälpmedel på plats"}, {"item_id": "keys", "label": "Nycklar"}],
            "alert_hours": 1,
        },
    }


async def _configure(system: System, now: datetime) -> None:
    async with httpx.AsyncClient(timeout=15) as client:
        put = await client.put(f"{system.url('scheduling')}/teams/{TEAM_ID}", json=team_body(), headers=OPS)
        assert put.status_code == 200, put.text
        rota = {
            "shifts": [
                {
                    "starts_at": (now - timedelta(hours=1)).isoformat(),
                    "minutes": 3 * 24 * 60,
                    "responders": [{"responder_id": "e2e-oncall", "phone": ON_CALL}],
                }
            ],
            "team_lead": {"responder_id": "e2e-lead", "phone": LEAD},
        }
        put = await client.put(f"{system.url('notification')}/rotas/{TEAM_ID}", json=rota, headers=OPS)
        assert put.status_code == 200, put.text


async def _wait_past_the_days_end() -> None:
    """The homecoming is moved to a few minutes from now within the team's day (until 23:59 local):
    in the last ten minutes of a local day, wait for the next one (at most ten minutes)."""
    local = datetime.now(STOCKHOLM)
    if (local.hour, local.minute) >= (23, 50):
        tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
        await asyncio.sleep((tomorrow - local).total_seconds())


async def test_an_open_item_alerts_the_team_lead_once_before_the_homecoming_and_the_last_tick_closes_it(
    system: System,
) -> None:
    await _wait_past_the_days_end()
    await _configure(system, datetime.now(UTC))
    case_id = system.send("utskrivningsklar", episode_id=f"E2E-CL-{uuid.uuid4().hex[:8]}").json()["case_id"]
    today = datetime.now(STOCKHOLM).date().isoformat()
    sched, notif = system.url("scheduling"), system.url("notification")
    async with httpx.AsyncClient(timeout=15) as client:

        async def team_known() -> bool:  # notification has the team's hours (the lead is told in them)
            return await _team_configured_in(system, TEAM_NAME)

        await eventually(team_known)
        decided = await client.post(
            f"{system.url('referral')}/cases/{case_id}/decisions",
            headers=OFFICER,
            json={"decision_type": "trygg_hemgang", "start_date": today, "length_days": 5, "team": TEAM_NAME},
        )
        assert decided.status_code == 201, decided.text

        async def checklist() -> dict[str, Any] | None:
            got = await client.get(f"{sched}/cases/{case_id}/checklist", headers=OFFICER)
            return got.json() if got.status_code == 200 and got.json()["homecoming_visit_id"] else None

        planned = await eventually(checklist)
        assert [i["item_id"] for i in planned["items"]] == ["aids", "keys"]  # the team's list
        assert planned["alert_hours"] == 1
        ticked = await client.put(f"{sched}/cases/{case_id}/checklist/items/aids", json={"done": True}, headers=TEAM)
        assert ticked.status_code == 200, ticked.text
        # The homecoming moved to three minutes from now: the deadline (an hour before) has passed, so the
        # alert is due halfway to the visit.
        start = (datetime.now(UTC) + timedelta(minutes=3)).replace(microsecond=0)
        visit = planned["homecoming_visit_id"]
        moved = await client.post(
            f"{sched}/cases/{case_id}/visits/{visit}/reschedule",
            json={"planned_start": start.isoformat(), "duration_minutes": 5},
            headers=TEAM,
        )
        assert moved.status_code == 200, moved.text
        after = (await client.get(f"{sched}/cases/{case_id}/checklist", headers=OFFICER)).json()
        assert after["deadline"] is not None
        assert datetime.fromisoformat(after["deadline"]) == start - timedelta(hours=1)
        due = datetime.fromisoformat(after["alert_due_at"])
        assert datetime.now(UTC) < due < start

        async def alert() -> dict[str, Any] | None:
            found = (await client.get(f"{notif}/alerts", params={"team_id": TEAM_ID}, headers=ONCALL)).json()
            return next((a for a in found if a["case_id"] == case_id), None)

        raised = await eventually(alert, within=240)
        assert raised["topic"] == "homecoming_checklist_open"
        assert raised["responders_on_call"] == 2  # the lead, then on-call
        assert datetime.now(UTC) < start  # before the homecoming

        async def sms_to_lead() -> list[dict[str, Any]]:
            sent = (await client.get(f"{notif}/ops/local-sms", headers=OPS)).json()
            return [m for m in sent if m["to"] == LEAD and case_id[:8] in m["text"]]

        (sms,) = await eventually(sms_to_lead)
        assert "Checklistan inför hemkomsten är inte klar" in sms["text"]
        assert "Lindqvist" not in sms["text"]  # the sample patient's name is never in an SMS

        last = await client.put(f"{sched}/cases/{case_id}/checklist/items/keys", json={"done": True}, headers=TEAM)
        assert last.json()["complete"] is True

        async def resolved() -> bool:
            got = (await client.get(f"{notif}/alerts/{raised['alert_id']}", headers=ONCALL)).json()
            return bool(got["state"] == "resolved")

        await eventually(resolved)

    records = await read_topic(system.endpoints.kafka_bootstrap, SCHEDULING_PERIOD_EVENTS, key=case_id.encode())
    types = [decode(dict(r.headers), r.key, r.value)[0].type for r in records]
    assert types.count(HomecomingChecklistOverdue.EVENT_TYPE) == 1

    client_db: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        console = client_db[system.database("console")]

        async def console_checklist() -> dict[str, Any] | None:
            doc = await console["cases"].find_one({"_id": case_id}, {"state": 1})
            found: dict[str, Any] | None = ((doc or {}).get("state") or {}).get("checklist")
            return found if found and found["complete"] else None

        state = await eventually(console_checklist)
        assert [i["done_by"] for i in state["items"]] == ["dev", "dev"]
    finally:
        await client_db.close()


async def _team_configured_in(system: System, name: str) -> bool:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
    try:
        doc = await client[system.database("notification")]["teams"].find_one({"_id": TEAM_ID})
        return bool(doc and doc.get("name") == name and len(doc.get("hours") or []) == 7)
    finally:
        await client.close()
