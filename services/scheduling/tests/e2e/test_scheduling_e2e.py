"""Scheduling as real processes (two replicas on one database) on real Kafka and FerretDB.

Referral's side is played by publishing its wire contracts (`DecisionGranted`,
`ReadyForDischarge`) on its topic, as its outbox relay does: the contract is the interface,
and the test controls the dates (a period in the past makes its timers due at once).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from scheduling_support import (
    WEEK,
    WEEKDAYS,
    contact_registered,
    documented_example,
    granted_event,
    publish,
    team_body,
)

from devstack.servers import free_port
from devstack.stack import SERVICES, ServiceProcess, service_env
from devstack.testing import Endpoints
from scheduling.entrypoints.field_models import CompleteIn
from tests.support import eventually, read_topic
from trygg_shared.contracts.referral import (
    DecisionGranted,
)
from trygg_shared.contracts.scheduling import (
    FollowUpDue,
    HandedOverToHemtjanst,
    PeriodEnded,
    PeriodPlanned,
    VisitCompleted,
    VisitScheduled,
)
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS
from trygg_shared.envelope import EventMeta, decode
from trygg_shared.testing import sample_ready_for_discharge

TEAM = {"Authorization": "Bearer dev-team"}
OPS = {"Authorization": "Bearer dev-ops"}

# Every e2e module shares one Kafka: the replicas' new consumer group first reads every event the
# earlier tests published (hundreds, on 2 shared cores). The waits allow for that backlog.
pytestmark = pytest.mark.timeout(900)  # the backlog below, on top of the tests' own work
BACKLOG = 150


@dataclass
class Replicas:
    endpoints: Endpoints
    database: str
    processes: list[ServiceProcess]

    @property
    def url(self) -> str:
        return self.processes[1].url  # the one the crash test never kills


@pytest.fixture(scope="module")
def replicas(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    spec = next(s for s in SERVICES if s.name == "scheduling")
    database = f"scheduling_e2e_{uuid.uuid4().hex[:8]}"
    processes = []
    for i in range(2):
        port = free_port()
        env = service_env(
            spec,
            kafka=servers.kafka_bootstrap,
            mongo_uri=servers.mongo_uri,
            port=port,
            database=database,
            postgres_url=servers.postgres_url,
            group_suffix=database.removeprefix("scheduling"),  # both replicas in one group, apart from others
        )
        env.update(
            {
                "SCHEDULING_OUTBOX__POLL_INTERVAL_SECONDS": "0.2",
                "SCHEDULING_TIMER_POLL_SECONDS": "0.5",
                # Both replicas race for every due timer: claims lapse fast so a lost one is retried.
                "SCHEDULING_TIMER_LEASE_SECONDS": "5",
            }
        )
        workdir: Path = tmp_path_factory.mktemp(f"scheduling-{i}")
        processes.append(ServiceProcess(spec, port, env, workdir))
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready(90)
        yield Replicas(servers, database, processes)
    finally:
        for process in processes:
            process.stop()


def granted(case_id: str, start: date, length: int, *, team: str = "Team Väst") -> DecisionGranted:
    return granted_event(
        case_id, start, length, team=team, hemtjanst=True, granted_by="officer:e2e", granted_at=datetime.now(UTC)
    )


async def period_events(endpoints: Endpoints, case_id: str) -> list[tuple[EventMeta, dict[str, Any]]]:
    records = await read_topic(endpoints.kafka_bootstrap, SCHEDULING_PERIOD_EVENTS, key=case_id.encode())
    return [decode(dict(r.headers), r.key, r.value) for r in records]


async def configure_team(replicas: Replicas, team_id: str, body: dict[str, Any]) -> None:
    """A team of the test's own, configured through the API as operations does."""
    async with httpx.AsyncClient(base_url=replicas.url, timeout=15) as http:
        response = await http.put(f"/teams/{team_id}", headers=OPS, json=body)
    assert response.status_code == 200, response.text


def distinct(events: list[tuple[EventMeta, dict[str, Any]]], event_type: str) -> dict[str, dict[str, Any]]:
    """Events of one type by CloudEvents id (a relay may publish one event twice, with one id)."""
    return {meta.id: data for meta, data in events if meta.type == event_type}


async def test_a_granted_decision_becomes_staffed_visits_that_the_field_completes_up_to_the_handover(
    replicas: Replicas, producer: KafkaBroker
) -> None:
    case_id = f"e2e-{uuid.uuid4().hex[:10]}"
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    discharge = datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    await publish(
        producer,
        sample_ready_for_discharge(case_id, f"p_{case_id}").model_copy(
            update={
                "ready_at": datetime.now(UTC),
                "planned_discharge_at": discharge,
                "liability_starts_at": datetime.now(UTC) + timedelta(days=2),
            }
        ),
        sequence=1,
    )
    await publish(producer, granted(case_id, tomorrow, 7), sequence=2)
    await publish(producer, contact_registered(case_id, at=datetime.now(UTC)), sequence=3)

    async with httpx.AsyncClient(base_url=replicas.url, timeout=15) as client:

        async def planned() -> dict[str, Any] | None:
            response = await client.get(f"/cases/{case_id}/plan", headers=TEAM)
            body = response.json() if response.status_code == 200 else None
            return body if body and body.get("person") else None  # both topics handled

        plan = await eventually(planned, within=BACKLOG + 60)
        assert plan["period"]["status"] == "planned"
        assert plan["person"]["family_name"] == "Lindqvist"  # the team knows whom to visit
        contact = plan["period"]["contact_person_id"]
        visits = [v for v in plan["visits"] if v["kind"] != "follow_up_call"]
        kinds = [v["kind"] for v in visits]
        assert "homecoming" in kinds
        assert "handover" in kinds
        assert all(v["staff_id"] for v in plan["visits"])
        assert sum(1 for v in visits if v["staff_id"] == contact) >= len(visits) // 2

        for visit in visits:
            start = datetime.fromisoformat(visit["planned_start"])
            body: dict[str, Any] = {
                "started_at": start.isoformat(),
                "ended_at": (start + timedelta(minutes=40)).isoformat(),
                "notes": {
                    "food": "some_help",
                    "medicines": "independent",
                    "aids_in_use": ["rollator"],
                    "worry": 3,
                    "free_text": "Dottern hälsar på i helgen.",
                },
            }
            if visit["kind"] in ("homecoming", "handover"):
                body["self_rating"] = documented_example(CompleteIn)["self_rating"]
            done = await client.post(f"/cases/{case_id}/visits/{visit['visit_id']}/complete", json=body, headers=TEAM)
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "completed"
        again = await client.post(
            f"/cases/{case_id}/visits/{visits[0]['visit_id']}/complete",
            json={"ended_at": datetime.now(UTC).isoformat()},
            headers=TEAM,
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        trail = (await client.get("/audit", params={"case_id": case_id}, headers=OPS)).json()
        assert "read_plan" in {r["action"] for r in trail}

    async def handed_over() -> list[tuple[EventMeta, dict[str, Any]]] | None:
        found = await period_events(replicas.endpoints, case_id)
        done = len(distinct(found, VisitCompleted.EVENT_TYPE)) == len(visits)
        return found if done and distinct(found, HandedOverToHemtjanst.EVENT_TYPE) else None

    events = await eventually(handed_over, within=BACKLOG + 30)
    assert len(distinct(events, PeriodPlanned.EVENT_TYPE)) == 1
    scheduled = distinct(events, VisitScheduled.EVENT_TYPE)
    assert len(scheduled) == len(plan["visits"])
    completed = distinct(events, VisitCompleted.EVENT_TYPE)
    assert len(completed) == len(visits)
    assert {d["duration_minutes"] for d in completed.values()} == {40}
    assert sum(1 for d in completed.values() if d["self_rating"]) == 2
    (handover,) = distinct(events, HandedOverToHemtjanst.EVENT_TYPE).values()
    assert handover["needs"]["food"] == "some_help"
    assert handover["needs"]["aids_in_use"] == ["rollator"]
    assert handover["needs"]["has_free_text_notes"] is True
    for _meta, data in events:  # nothing personal on the wire: no names, no free text
        dumped = str(data)
        assert "Lindqvist" not in dumped
        assert "Dottern" not in dumped


async def test_two_replicas_fire_every_timer_exactly_once(replicas: Replicas, producer: KafkaBroker) -> None:
    # A team of its own whose follow-up notice comes three days ahead, so that whatever the time
    # of day the test runs, a period that ended 13 days ago has its end due, its follow-up call
    # tomorrow (day 14) with the notice due now, and nothing else due (the call's "missed" check
    # is tomorrow). With the default 24 h notice the test depended on the clock: after the call's
    # time today the call had already been missed, and a missed call gets no notice.
    await configure_team(
        replicas,
        "e2e-timers",
        team_body(
            "E2E timers",
            "+46701740698",
            "hofors",
            WEEK,
            ("07:00", "15:30"),
            works_on_holidays=True,
            clients_per_day=50,
            new_clients_per_month=500,
            members=[{"staff_id": f"timer-us{i}"} for i in range(1, 4)],
            rules={"follow_up_notice_hours": 72},
        ),
    )
    today = datetime.now(UTC).date()
    cases = [f"e2e-t-{uuid.uuid4().hex[:10]}" for _ in range(5)]
    for case_id in cases:
        await publish(producer, granted(case_id, today - timedelta(days=15), 3, team="E2E timers"), sequence=1)

    async def all_fired() -> dict[str, list[tuple[EventMeta, dict[str, Any]]]] | None:
        found = {c: await period_events(replicas.endpoints, c) for c in cases}
        done = all(distinct(e, PeriodEnded.EVENT_TYPE) and distinct(e, FollowUpDue.EVENT_TYPE) for e in found.values())
        return found if done else None

    await eventually(all_fired, within=BACKLOG + 90)  # raises when not all fired in time
    await asyncio.sleep(3.0)  # both replicas keep scanning: nothing more may fire
    for case_id in cases:
        events = await period_events(replicas.endpoints, case_id)
        assert len(distinct(events, PeriodEnded.EVENT_TYPE)) == 1, case_id
        calls = [d for d in distinct(events, FollowUpDue.EVENT_TYPE).values() if d["follow_up"] == "call"]
        assert len(calls) == 1, case_id
        assert date.fromisoformat(calls[0]["due_at"][:10]) > today  # the notice came ahead of the call
        assert len(distinct(events, PeriodPlanned.EVENT_TYPE)) == 1


async def test_a_replica_killed_mid_stream_plans_every_case_exactly_once_after_its_restart(
    replicas: Replicas, producer: KafkaBroker
) -> None:
    await configure_team(
        replicas,
        "e2e-big",
        team_body(
            "E2E stor",
            "+46701740699",
            "jarfalla",
            WEEKDAYS,
            ("07:00", "17:00"),
            works_on_holidays=True,
            clients_per_day=200,
            new_clients_per_month=1000,
            members=[{"staff_id": f"big-us{i}", "daily_visit_limit": 12} for i in range(1, 9)],
        ),
    )
    victim = replicas.processes[0]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(replicas.endpoints.mongo_uri, tz_aware=True)
    plans = client[replicas.database]["case_plans"]
    start = datetime.now(UTC).date() + timedelta(days=2)
    cases = [f"e2e-k-{uuid.uuid4().hex[:10]}" for _ in range(24)]
    try:
        for i, case_id in enumerate(cases):
            await publish(producer, granted(case_id, start, 5, team="e2e-big"), sequence=1)
            if i == len(cases) // 3:
                await eventually(
                    lambda: plans.count_documents({"_id": {"$in": cases}, "team_id": "e2e-big"}), within=BACKLOG + 60
                )
                victim.kill()
        victim.start()
        await asyncio.to_thread(victim.wait_ready, 90)

        async def all_planned() -> bool:
            return await plans.count_documents({"_id": {"$in": cases}, "team_id": "e2e-big"}) == len(cases)

        await eventually(all_planned, within=BACKLOG + 120)
        await asyncio.sleep(3.0)
        for case_id in cases:
            doc = await plans.find_one({"_id": case_id})
            assert doc is not None
            visits = doc["state"]["visits"]
            count = len(visits)
            events = await eventually(lambda c=case_id, n=count: _settled(replicas.endpoints, c, n), within=30)
            assert len(distinct(events, PeriodPlanned.EVENT_TYPE)) == 1, case_id
            ids = [data["visit_id"] for data in distinct(events, VisitScheduled.EVENT_TYPE).values()]
            assert Counter(ids) == Counter(visits.keys()), case_id  # each visit scheduled once, none lost
    finally:
        await client.close()


async def _settled(endpoints: Endpoints, case_id: str, visits: int) -> list[tuple[EventMeta, dict[str, Any]]] | None:
    events = await period_events(endpoints, case_id)
    return events if len(distinct(events, VisitScheduled.EVENT_TYPE)) >= visits else None
