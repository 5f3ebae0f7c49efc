"""Notification against the real MongoDB wire (FerretDB) and a fake 46elks on loopback, over real HTTP.

The service runs in this process on uvicorn (so the gateway's delivery reports reach its callback
route); its 46elks adapter talks HTTP to the fake gateway; state lives in a fresh database.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from notification.bootstrap import Notification, bootstrap
from notification.config import Settings
from notification.domain.alert import Responder, Rota, Shift
from notification.domain.casefile import Relative
from notification.domain.contacts import Language
from notification.domain.message import DeliveryStatus, MessageState
from notification.domain.templates import MeetingPlace
from notification.fake_gateway import FakeElks
from notification.main import http_app
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.delivery import ReportResult, apply_report
from notification.service_layer.dispatch import dispatch_due
from notification.service_layer.ports import DeliveryReport
from tests.support import eventually
from trygg_shared.clock import FixedClock
from trygg_shared.indexes import ensure_indexes
from trygg_shared.outbox import OutboxEvent, OutboxRelay
from trygg_shared.service import Infrastructure

KARIN = Relative("r-karin", "+46701112233", Language.SV)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CrashAfterResponse(httpx.AsyncBaseTransport):
    """Forwards to the real transport, then 'dies' once the gateway has answered a send."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.armed and request.method == "POST":
            await response.aread()
            self.armed = False
            raise SystemExit("process died after the gateway took the message")
        return response


@dataclass
class Running:
    notification: Notification
    gateway: FakeElks
    settings: Settings

    @property
    def deps(self) -> Any:
        return self.notification.deps


@contextlib.asynccontextmanager
async def service(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks, *, transport: Any = None, **overrides: Any
) -> AsyncIterator[Running]:
    """One notification 'process' on the test's database, its HTTP API served on loopback."""
    port = _free_port()
    overrides.setdefault("start_text_wait_seconds", 0)  # no scheduling here: the start text goes at once
    settings = Settings(
        mongo={"uri": servers.mongo_uri, "database": db.name, "postgres_url": servers.postgres_url},
        kafka={"bootstrap_servers": servers.kafka_bootstrap},
        provider="46elks",
        elks={"base_url": gateway.base_url, "username": gateway.username, "password": gateway.password},
        public_base_url=f"http://127.0.0.1:{port}",
        sms_timeout_seconds=overrides.pop("sms_timeout_seconds", 5.0),
        **overrides,
    )
    infra = Infrastructure.create(settings)
    notification = bootstrap(settings, infra=infra, http_transport=transport)
    await ensure_indexes(infra.db, notification.runtime.all_indexes(), servers.postgres_url)
    server = uvicorn.Server(
        uvicorn.Config(http_app(notification, lifespan_enabled=False), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.02)
    try:
        yield Running(notification, gateway, settings)
    finally:
        server.should_exit = True
        await task
        if notification.http_client is not None:
            await notification.http_client.aclose()
        await infra.mongo_client.close()


async def grant(deps: Any, relatives: list[Relative]) -> str:
    case_id = str(uuid.uuid4())
    await rel.record_decision(
        deps,
        rel.GrantedDecision(
            case_id,
            "p_" + uuid.uuid4().hex,
            "d_" + case_id[:8],
            True,
            "Team Väst",
            date(2026, 11, 25),
            relatives,
            "officer:anna",
            datetime.now(UTC),
            str(uuid.uuid4()),
        ),
    )
    return case_id


async def only_message(deps: Any, case_id: str) -> Any:
    [message] = await deps.message_queries.for_case(case_id, 5)
    return message


async def daytime() -> None:
    """Quiet hours would hold relatives' messages: these tests run them with quiet hours off."""


async def test_a_message_goes_through_the_real_46elks_adapter_and_its_delivery_report_marks_it_delivered(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    async with service(servers, db, gateway, quiet_hours_start="00:00", quiet_hours_end="00:00") as svc:
        case_id = await grant(svc.deps, [KARIN])
        await dispatch_due(svc.deps)
        [sms] = gateway.to(KARIN.phone)
        assert sms.sender == "TryggHem"
        assert "Trygg hemgång" in sms.message
        assert "+4687000000" in sms.message

        async def delivered() -> bool:
            return (await only_message(svc.deps, case_id)).state is MessageState.DELIVERED

        async def answered() -> bool:  # the gateway notes our answer after we stored the report
            return bool(gateway.reports)

        await eventually(delivered, within=10)
        await eventually(answered, within=10)
        assert gateway.reports == [(sms.id, 200)]
        doc = await db["messages"].find_one({"case_id": case_id})
        assert doc is not None
        assert doc["provider_id"] == sms.id
        published = [e["event_type"] for e in (doc.get("outbox") or {}).values()]
        assert sorted(published) == [
            "se.trygghemgang.notification.message_delivered.v1",
            "se.trygghemgang.notification.message_sent.v1",
        ]


async def test_server_errors_are_retried_and_client_errors_are_not_over_http(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    async with service(
        servers, db, gateway, quiet_hours_start="00:00", quiet_hours_end="00:00", retry_backoff_seconds=0.2
    ) as svc:
        gateway.fail_next(503, 502)
        case_id = await grant(svc.deps, [KARIN])
        for _ in range(3):
            await dispatch_due(svc.deps)
            await asyncio.sleep(0.5)
        message = await only_message(svc.deps, case_id)
        assert message.attempts == 3
        assert message.state in (MessageState.ACCEPTED, MessageState.DELIVERED)
        assert len(gateway.to(KARIN.phone)) == 1

        gateway.fail_next(400)
        other = Relative("r-olle", "+46701112299", Language.EN)
        failing_case = await grant(svc.deps, [other])
        for _ in range(3):
            await dispatch_due(svc.deps)
            await asyncio.sleep(0.3)
        failed = await only_message(svc.deps, failing_case)
        assert failed.state is MessageState.FAILED
        assert failed.attempts == 1
        assert failed.failure_reason == "rejected:http_400"
        assert gateway.to(other.phone) == []


async def test_a_process_dying_after_the_gateway_took_the_message_never_sends_it_twice(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    quiet_off = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00", "claim_lease_seconds": 1.0}
    async with service(servers, db, gateway, transport=CrashAfterResponse(), **quiet_off) as first:
        case_id = await grant(first.deps, [KARIN])
        with pytest.raises(SystemExit):
            await dispatch_due(first.deps)
        assert (await only_message(first.deps, case_id)).state is MessageState.SENDING
    assert len(gateway.to(KARIN.phone)) == 1

    async with service(servers, db, gateway, **quiet_off) as restarted:
        await asyncio.sleep(1.1)  # the dead process's claim lapses
        [outcome] = await dispatch_due(restarted.deps)
        assert outcome.result == "reconciled"
        message = await only_message(restarted.deps, case_id)
        assert message.provider_id == gateway.to(KARIN.phone)[0].id
    assert len(gateway.to(KARIN.phone)) == 1


async def test_a_timeout_while_the_gateway_still_takes_the_message_is_reconciled_not_repeated(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    async with service(
        servers,
        db,
        gateway,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
        sms_timeout_seconds=0.3,
        retry_backoff_seconds=0.1,
    ) as svc:
        gateway.fail_next(1.0)  # stall one second, then take it anyway
        case_id = await grant(svc.deps, [KARIN])
        [first] = await dispatch_due(svc.deps)
        assert first.result == "retry"
        await asyncio.sleep(1.2)
        [second] = await dispatch_due(svc.deps)
        assert second.result == "reconciled"
        assert len(gateway.to(KARIN.phone)) == 1
        assert (await only_message(svc.deps, case_id)).attempts == 2


async def test_two_dispatchers_on_one_database_send_each_message_once(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    quiet_off = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    async with service(servers, db, gateway, **quiet_off) as a, service(servers, db, gateway, **quiet_off) as b:
        relatives = [Relative(f"r{i}", f"+4670111{i:04d}", Language.SV) for i in range(12)]
        await grant(a.deps, relatives)
        await asyncio.gather(dispatch_due(a.deps), dispatch_due(b.deps), dispatch_due(a.deps), dispatch_due(b.deps))
        assert sorted(m.to for m in gateway.messages) == sorted(r.phone for r in relatives)
    # The message's version claim alone decided who sends: no send claim of its own (an insert per SMS).
    assert [d["_id"] async for d in db["claims"].find({}, {"_id": 1}) if str(d["_id"]).startswith("send:")] == []


async def test_the_daily_cap_holds_on_the_real_database(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    async with service(servers, db, gateway, relative_daily_cap=2) as svc:
        key = f"cap_test_{uuid.uuid4().hex}_2026-11-23"
        cap = svc.deps.cap
        assert await cap.reserve(key, "m1", 2)
        assert await cap.reserve(key, "m1", 2)  # the same message again: still one
        assert await cap.reserve(key, "m2", 2)
        assert not await cap.reserve(key, "m3", 2)
        assert await cap.reserve(key, "m2", 2)
        slots = [d async for d in db["daily_caps"].find({"key": key})]
        assert sorted(d["message_id"] for d in slots) == ["m1", "m2"]
        many = await asyncio.gather(*(cap.reserve(key + "x", f"n{i}", 3) for i in range(8)))
        assert sum(many) == 3  # concurrent reservations never exceed the cap
        # First attempts take a slot without looking first; the cap holds all the same.
        first = key + "f"
        assert await cap.reserve(first, "f1", 2, first_attempt=True)  # slot 0: one insert
        assert await cap.reserve(first, "f2", 2, first_attempt=True)  # slot 0 taken: read, then slot 1
        assert not await cap.reserve(first, "f3", 2, first_attempt=True)
        assert await cap.reserve(first, "f2", 2)  # a retry of f2 keeps its slot
        slots = [d async for d in db["daily_caps"].find({"key": first})]
        assert sorted(d["message_id"] for d in slots) == ["f1", "f2"]
        racing = await asyncio.gather(*(cap.reserve(key + "y", f"y{i}", 3, first_attempt=True) for i in range(8)))
        assert sum(racing) == 3


async def test_two_replicas_raise_the_liability_alert_once_on_the_real_database(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    async with service(servers, db, gateway) as a, service(servers, db, gateway) as b:
        now = datetime.now(UTC)
        await a.deps.rotas.put(
            Rota(
                "default",
                (Shift(now - timedelta(hours=1), now + timedelta(hours=1), (Responder("anna", "+46700000001"),)),),
            )
        )
        case_id = str(uuid.uuid4())
        await rel.watch_liability(a.deps, case_id, "p1", now - timedelta(hours=30), now + timedelta(hours=1))
        fired = await asyncio.gather(*(al.fire_liability_watches(x.deps) for x in (a, b, a, b)))
        assert sum(fired) == 1
        await asyncio.gather(dispatch_due(a.deps), dispatch_due(b.deps))
        assert [m.to for m in gateway.messages] == ["+46700000001"]
        alerts = [d async for d in db["alerts"].find({"case_id": case_id})]
        assert len(alerts) == 1
        raised = [e for e in alerts[0]["outbox"].values() if e["event_type"].endswith("alert_raised.v1")]
        assert len(raised) == 1
        case = await db["cases"].find_one({"_id": case_id})
        assert case is not None
        assert case["watch_state"] == "fired"


class RelaySpy:
    """Records how saves reach the relay: handed over as saved, or nudged (read back by `_id`)."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, int, list[str]]] = []
        self.nudged: list[str | None] = []

    def hand_over(self, doc_id: str, version: int, events: Any) -> None:
        self.handed.append((doc_id, version, [kind(e) for e in events]))

    def nudge(self, doc_id: str | None = None) -> None:
        self.nudged.append(doc_id)


def kind(event: Any) -> str:
    return str(event.event_type.rsplit(".", 2)[-2])


async def report_delivered(deps: Any, message_id: str) -> None:
    message = await deps.message_queries.get(message_id)
    assert message is not None
    assert message.provider_id is not None
    report = DeliveryReport(message_id, message.provider_id, DeliveryStatus.DELIVERED)
    assert await apply_report(deps, report, message.provider) == ReportResult.APPLIED


async def test_a_message_update_is_handed_to_the_relay_as_saved_only_when_its_outbox_was_empty(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    gateway.deliver = False  # delivery reports applied by the test, in a known order
    async with service(servers, db, gateway, quiet_hours_start="00:00", quiet_hours_end="00:00") as svc:
        store = svc.notification.backend.messages
        spy = RelaySpy()
        store.on_saved, store.on_updated = spy.nudge, spy.hand_over
        case_id = await grant(svc.deps, [KARIN])
        mid = (await only_message(svc.deps, case_id)).message_id
        [outcome] = await dispatch_due(svc.deps)
        assert outcome.result == "sent"
        # Created without events, claimed without events: the outcome's events are the whole outbox.
        assert [(h[0], h[2]) for h in spy.handed] == [(mid, ["message_sent"])]
        assert spy.nudged == []
        # Nobody emptied the outbox since: the report's save adds to the outbox the store handed
        # over, so it hands over both events, the whole outbox at the new version (no read back).
        await report_delivered(svc.deps, mid)
        assert [(h[0], h[2]) for h in spy.handed] == [
            (mid, ["message_sent"]),
            (mid, ["message_sent", "message_delivered"]),
        ]
        assert spy.handed[1][1] == spy.handed[0][1] + 1
        assert spy.nudged == []
        doc = await db["messages"].find_one({"_id": mid})
        assert doc is not None
        in_outbox = sorted(str(e["event_type"]).rsplit(".", 2)[-2] for e in doc["outbox"].values())
        assert in_outbox == ["message_delivered", "message_sent"]
        assert doc["outbox_pending"] is True


async def test_the_relay_publishes_handed_over_updates_and_empties_the_outbox(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    gateway.deliver = False
    async with service(servers, db, gateway, quiet_hours_start="00:00", quiet_hours_end="00:00") as svc:
        store = svc.notification.backend.messages
        published: list[OutboxEvent] = []

        async def publish(event: OutboxEvent) -> None:
            published.append(event)

        relay = OutboxRelay([store.collection], publish)
        spy = RelaySpy()

        def hand_over(doc_id: str, version: int, events: Any) -> None:
            spy.hand_over(doc_id, version, events)
            relay.hand_over(store.collection, doc_id, version, events)

        def nudge(doc_id: str | None = None) -> None:
            spy.nudge(doc_id)
            relay.nudge(doc_id)

        store.on_saved, store.on_created, store.on_updated = nudge, hand_over, hand_over
        case_id = await grant(svc.deps, [KARIN])
        mid = (await only_message(svc.deps, case_id)).message_id
        relay.start()  # its first full scan finds nothing; later rounds publish what is handed over

        async def published_and_emptied(count: int) -> bool:
            doc = await db["messages"].find_one({"_id": mid})
            return len(published) == count and doc is not None and doc["outbox"] == {}

        try:
            await dispatch_due(svc.deps)
            await eventually(lambda: published_and_emptied(1), within=10)
            await report_delivered(svc.deps, mid)  # against the emptied outbox: handed over too
            await eventually(lambda: published_and_emptied(2), within=10)
        finally:
            await relay.stop()
        # Each event once: the outbox was emptied at the handed-over version (a wrong version
        # would have left it pending for the next scan, which publishes it again).
        assert [kind(e) for e in published] == ["message_sent", "message_delivered"]
        assert spy.nudged == []
        assert [h[2] for h in spy.handed] == [["message_sent"], ["message_delivered"]]
        doc = await db["messages"].find_one({"_id": mid})
        assert doc is not None
        assert doc["outbox_pending"] is False

        async def claims_released() -> bool:
            return await db["messages_claims"].count_documents({}) == 0

        await eventually(claims_released, within=5)  # the written versions' claims are removed, batched


async def test_a_reminder_waits_as_a_queued_message_on_the_real_database_and_two_replicas_send_it_once(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    """The follow-up meeting's reminder is a document due at 18:00 the evening before: it survives a
    restart (nothing of it lives in a process) and two replicas at its moment send it once."""
    quiet_off = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    async with service(servers, db, gateway, **quiet_off) as a, service(servers, db, gateway, **quiet_off) as b:
        case_id = await grant(a.deps, [KARIN])
        await dispatch_due(a.deps)  # the start text
        meeting_at = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
        planned = vis.VisitPlanned(
            case_id,
            "p",
            "per-1",
            "team-vast",
            "v-meet",
            vis.VisitType.FOLLOW_UP_MEETING,
            meeting_at,
            MeetingPlace.HOME,
            moved=False,
        )
        await vis.visit_planned(b.deps, planned)
        await vis.visit_planned(a.deps, planned)  # the same event on the other replica: nothing new
        reminders = [m for m in await a.deps.message_queries.for_case(case_id, 10) if m.topic == "remind:visit:v-meet"]
        [reminder] = reminders
        stockholm = a.deps.policy.timezone
        evening = datetime.combine(meeting_at.astimezone(stockholm).date() - timedelta(days=1), time(18), stockholm)
        assert (reminder.state, reminder.announces, reminder.not_before) == (MessageState.QUEUED, meeting_at, evening)
        assert (await a.deps.cases.load(case_id)).state.decision_read_at is not None

        for running in (a, b):
            running.deps.clock = FixedClock(evening - timedelta(seconds=1))
        await asyncio.gather(dispatch_due(a.deps), dispatch_due(b.deps))
        assert len(gateway.to(KARIN.phone)) == 1  # not yet
        for running in (a, b):
            running.deps.clock = FixedClock(evening + timedelta(seconds=1))
        await asyncio.gather(dispatch_due(a.deps), dispatch_due(b.deps), dispatch_due(a.deps), dispatch_due(b.deps))
        texts = [m.message for m in gateway.to(KARIN.phone)]
        assert len(texts) == 2
        assert texts[1].startswith("Uppföljningsmöte för Trygg hemgång")


async def test_a_delivery_report_after_this_process_recorded_the_send_reads_no_message(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], gateway: FakeElks
) -> None:
    """The report starts from the message as the dispatcher's outcome saved it (`saved_here`)."""
    async with service(servers, db, gateway, quiet_hours_start="00:00", quiet_hours_end="00:00") as svc:
        case_id = await grant(svc.deps, [KARIN])
        store, reads = svc.deps.messages, []
        real_load = store.load

        async def load(aggregate_id: str) -> Any:
            reads.append(aggregate_id)
            return await real_load(aggregate_id)

        store.load = load
        await dispatch_due(svc.deps)  # claims the message as the query read it, records the outcome

        async def delivered() -> bool:
            return (await only_message(svc.deps, case_id)).state is MessageState.DELIVERED

        await eventually(delivered, within=10)
        assert reads == []
