"""Notification as real processes on real Kafka and FerretDB, sending through a fake 46elks on loopback.

The session's services run as in `make run` (notification with the local provider). These tests
start their own notification processes (own database, own consumer groups, own service name)
configured for 46elks at a fake gateway served from this test, so what reaches "the phone" is
exactly what crossed HTTP.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from devstack.servers import free_port
from devstack.stack import ServiceProcess, ServiceSpec, service_env
from notification.fake_gateway import FakeElks
from tests.fixtures.e2e import System
from tests.support import decision_request, eventually, read_topic
from trygg_shared.contracts import referral as r
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.topics import NOTIFICATION_EVENTS
from trygg_shared.envelope import decode
from trygg_shared.testing import publish_event, sample_decision_granted

SPEC = ServiceSpec("notification", "NOTIFICATION_", 8003)
OFFICER = {"Authorization": "Bearer dev-officer"}
OPS = {"Authorization": "Bearer dev-ops"}


@pytest.fixture
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notification-logs", numbered=True)


class Instances:
    """Notification processes sharing one database and consumer group (replicas)."""

    def __init__(self, system: System, gateway: FakeElks, logs: Path, **settings: str) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.database = f"notification_e2e_{suffix}"
        self.service_name = f"notification-e2e-{suffix}"
        self.processes: list[ServiceProcess] = []
        self._system, self._gateway, self._logs, self._settings = system, gateway, logs, settings
        self._group = f"notification-e2e-{suffix}"

    def add(self) -> ServiceProcess:
        port = free_port()
        env = service_env(
            SPEC,
            kafka=self._system.endpoints.kafka_bootstrap,
            mongo_uri=self._system.endpoints.mongo_uri,
            port=port,
            database=self.database,
            postgres_url=self._system.endpoints.postgres_url,
        )
        env.update(
            {
                "NOTIFICATION_SERVICE_NAME": self.service_name,
                "NOTIFICATION_CONSUMER_GROUP": self._group,
                "NOTIFICATION_PROVIDER": "46elks",
                "NOTIFICATION_ELKS__BASE_URL": self._gateway.base_url,
                "NOTIFICATION_ELKS__USERNAME": self._gateway.username,
                "NOTIFICATION_ELKS__PASSWORD": self._gateway.password,
                "NOTIFICATION_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "NOTIFICATION_QUIET_HOURS_START": "00:00",  # the same start and end: no quiet hours
                "NOTIFICATION_QUIET_HOURS_END": "00:00",
                "NOTIFICATION_OUTBOX__POLL_INTERVAL_SECONDS": "0.2",
                "NOTIFICATION_DISPATCH_POLL_SECONDS": "0.2",
                "NOTIFICATION_TIMER_POLL_SECONDS": "0.3",
                **{f"NOTIFICATION_{k.upper()}": v for k, v in self._settings.items()},
            }
        )
        process = ServiceProcess(SPEC, port, env, self._logs / f"n{len(self.processes)}")
        self.processes.append(process)
        return process

    async def start(self, process: ServiceProcess) -> None:
        process.start()
        await asyncio.to_thread(process.wait_ready, 90)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@asynccontextmanager
async def instances(
    system: System, gateway: FakeElks, logs: Path, count: int, **settings: str
) -> AsyncIterator[Instances]:
    group = Instances(system, gateway, logs, **settings)
    try:
        for _ in range(count):
            await group.start(group.add())
        yield group
    finally:
        group.stop()


async def publish(bootstrap: str, events: list[IntegrationEvent]) -> None:
    broker = KafkaBroker(bootstrap)
    await broker.start()
    try:
        for event in events:
            await publish_event(broker, event, source="urn:trygghemgang:referral-e2e", sequence=1)
    finally:
        await broker.stop()


def decision(case_id: str, phone: str) -> r.DecisionGranted:
    return sample_decision_granted(phone, case_id=case_id, granted_by="officer:e2e")


async def test_a_granted_decision_becomes_an_sms_at_the_gateway_and_its_delivery_report_comes_back(
    system: System, gateway: FakeElks, logs: Path
) -> None:
    phone = f"+4670{uuid.uuid4().int % 10**7:07d}"
    # The start text goes with the homecoming time the session's scheduling plans, or alone after 5 s.
    async with instances(system, gateway, logs, 1, start_text_wait_seconds="5") as group:
        async with httpx.AsyncClient(base_url=system.url("referral"), timeout=15) as client:
            opened = await client.post(
                "/cases",
                headers=OFFICER,
                json={
                    "reason": "already_at_home",
                    "person": {
                        "id_type": "personnummer",
                        "id": "19121212-1212",
                        "given_name": "Tolvan",
                        "family_name": "Tolvansson",
                    },
                },
            )
            assert opened.status_code == 201, opened.text
            case_id = opened.json()["case_id"]
            granted = await client.post(
                f"/cases/{case_id}/decisions",
                headers=OFFICER,
                json=decision_request("Team Väst", phone, "+46709999999", language="fi"),
            )
            assert granted.status_code == 201, granted.text

        async def at_the_gateway() -> list[Any]:
            return gateway.to(phone)

        [sms] = await eventually(at_the_gateway, within=60)
        assert sms.sender == "TryggHem"
        assert "Trygg hemgång -tiimi tukee läheistäsi" in sms.message  # Finnish, as chosen for the relative
        assert "Karin" not in sms.message
        assert gateway.to("+46709999999") == []  # no consent, no SMS

        async def reported() -> bool:
            # This instance's new group sends earlier tests' decisions through this gateway too.
            return any(message_id == sms.id and status == 200 for message_id, status in gateway.reports)

        await eventually(reported, within=30)

        async def delivered_on_kafka() -> list[str]:
            records = await read_topic(system.endpoints.kafka_bootstrap, NOTIFICATION_EVENTS, key=case_id.encode())
            metas = [decode(dict(x.headers), x.key, x.value)[0] for x in records]
            return [m.type for m in metas if m.source.endswith(group.service_name)]

        types = await eventually(
            lambda: _has(delivered_on_kafka, "se.trygghemgang.notification.message_delivered.v1"), within=30
        )
        assert "se.trygghemgang.notification.message_sent.v1" in types
        for record in await read_topic(system.endpoints.kafka_bootstrap, NOTIFICATION_EVENTS, key=case_id.encode()):
            assert phone.encode() not in record.value


async def _has(fetch: Any, event_type: str) -> list[str]:
    types: list[str] = await fetch()
    return types if event_type in types else []


async def test_a_notification_process_killed_mid_stream_sends_exactly_one_sms_per_relative_after_restart(
    system: System, gateway: FakeElks, logs: Path
) -> None:
    count = 30
    phones = [f"+4673{i:03d}{uuid.uuid4().int % 10**4:04d}" for i in range(count)]
    ours = set(phones)
    # 30 decisions for one team: those on its waiting list get the start text without a time after 1 s.
    async with instances(system, gateway, logs, 1, claim_lease_seconds="2", start_text_wait_seconds="1") as group:
        [process] = group.processes
        half = [decision(str(uuid.uuid4()), p) for p in phones]
        publisher = asyncio.create_task(publish(system.endpoints.kafka_bootstrap, half))

        async def some_arrived() -> bool:  # of this test's: earlier tests' decisions reach this gateway too
            return len([m for m in gateway.messages if m.to in ours]) >= count // 3

        await eventually(some_arrived, within=60)
        process.kill()  # no graceful shutdown: offsets of handled events may not be committed
        await publisher
        await group.start(process)

        async def all_arrived() -> bool:
            return {m.to for m in gateway.messages} >= ours

        await eventually(all_arrived, within=90)
        await asyncio.sleep(4.0)  # redeliveries and lapsed claims after the restart have run by now
        # The session's scheduling plans these decisions too, so the homecoming time is in the start
        # text or follows it: each (recipient, message) must arrive exactly once all the same.
        started = {p: sum("stöttar din närstående" in m.message for m in gateway.to(p)) for p in phones}
        assert set(started.values()) == {1}, {p: n for p, n in started.items() if n != 1}
        pairs = [(m.to, m.message) for m in gateway.messages if m.to in ours]
        assert len(pairs) == len(set(pairs))


async def test_two_notification_instances_raise_one_liability_alert_and_send_one_sms(
    system: System, gateway: FakeElks, logs: Path
) -> None:
    oncall = f"+4676{uuid.uuid4().int % 10**7:07d}"
    # The instances' new consumer group reads every earlier test's ready notice on this shared Kafka
    # and alerts the one on-call number for each: past the on-call daily cap (60) this case's alert
    # would be cancelled, so the cap is out of reach here (it has tests of its own).
    async with instances(
        system, gateway, logs, 2, liability_alert_lead_hours="0.001", oncall_daily_cap="100000"
    ) as group:
        a = group.processes[0]
        now = datetime.now(UTC)
        rota = {
            "shifts": [
                {
                    "starts_at": (now - timedelta(hours=1)).isoformat(),
                    "minutes": 180,
                    "responders": [{"responder_id": "e2e-anna", "phone": oncall}],
                }
            ]
        }
        async with httpx.AsyncClient(timeout=15) as client:
            put = await client.put(f"{a.url}/rotas/default", json=rota, headers=OPS)
            assert put.status_code == 200, put.text
        case_id = str(uuid.uuid4())
        ready = r.ReadyForDischarge(
            case_id=case_id,
            person_ref="p_" + uuid.uuid4().hex,
            episode_id="E2E",
            care_unit=r.CareUnit(hsa_id="SE1", name="Avd 61"),
            care_type=r.CareType.SOMATIC,
            ready_at=now,
            liability_starts_at=now + timedelta(seconds=8),  # alert due 3.6 s before: in about 4.4 s
            agreement_id="national-default",
            agreement_version=1,
            daily_price_sek=9300,
        )
        await publish(system.endpoints.kafka_bootstrap, [ready])

        # The instances' new consumer group also reads earlier tests' ready notices on this shared
        # Kafka and alerts on-call for those too: count only this case's alert.
        async def alerted() -> list[Any]:
            return [sms for sms in gateway.to(oncall) if case_id[:8] in sms.message]

        await eventually(alerted, within=180)
        await asyncio.sleep(3.0)  # both instances' timers have polled several times since
        assert len(await alerted()) == 1

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.endpoints.mongo_uri, tz_aware=True)
        try:
            alerts = [d async for d in client[group.database]["alerts"].find({"case_id": case_id})]
        finally:
            await client.close()
        assert len(alerts) == 1

        async def raised_on_kafka() -> list[Any]:
            records = await read_topic(system.endpoints.kafka_bootstrap, NOTIFICATION_EVENTS, key=case_id.encode())
            metas = [decode(dict(x.headers), x.key, x.value)[0] for x in records]
            return [m for m in metas if m.source.endswith(group.service_name) and m.type.endswith("alert_raised.v1")]

        raised = await eventually(raised_on_kafka, within=30)
        await asyncio.sleep(1.0)
        assert len(await raised_on_kafka()) == 1 == len(raised)
