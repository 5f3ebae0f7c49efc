"""The fault harness: the real system under faults, and three ledgers that must balance.

`FaultSystem` runs its own PostgreSQL, FerretDB and Kafka (so it may kill them), the five services
as separate processes (`devstack.stack.Stack`), and a fake 46elks SMS gateway on loopback (in a
thread of this process), through which notification sends every SMS. Inputs are what a hospital,
an officer and the system's operators send: signed LUS webhooks (as `trygg webhook` signs them),
officer decisions through referral's API (`dev-officer`), raw records on the topics (replays and
poison).

The ledgers, per scenario:
- **accepted inputs**: every webhook answered 202/200 and every decision answered 201 (a 503 is
  not accepted; the sender retries the same webhook id, as a hospital does);
- **effects**: per case, what each service's own store holds and what reached the gateway —
  the case (referral), the plan and its visits (scheduling), the case and its relative SMS
  (notification and the gateway), the liability period and the decision's period (billing), the
  case row, its facts and its visit rows (console);
- **dead letters**: every record on a `trygg.dlq.<group>` topic, with its `dlq_reason`.

`check()` waits until the effects of every accepted input are there, then asserts that each
exists exactly once and that the totals equal the reference: per accepted ready notice one case
everywhere and one liability period; per accepted decision one period, `visits` visits and
`sms` SMS to the consenting relative (none to the one who did not consent). `visits` and `sms`
per decision are calibrated once by the fault-free scenario on the same team configuration
(the planning rules are the team's data; the harness does not re-implement them) and are the same
for every decision of the suite (same start date, length and team profile).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import MongoClient

from devstack.cli import sample_message, sign
from devstack.servers import free_port
from devstack.stack import SERVICES, ServiceProcess, Stack
from devstack.status import consumer_lag
from notification.fake_gateway import FakeElks
from referral.config import LOCAL_DEV_SENDER_SECRET
from tests.support import decision_request
from trygg_shared.kafka import FAULT_EXIT_CODE, FAULT_EXIT_ENV

OFFICER = {"Authorization": "Bearer dev-officer"}
OPS = {"Authorization": "Bearer dev-ops"}
CONSUMERS = ("scheduling", "notification", "billing", "console")

# `make test-faults` sets TRYGG_FAULTS=full; anything else (plain `make test`) runs the short form:
# fewer inputs per scenario, a shorter Kafka outage, one crash point per consumer service.
FULL = os.environ.get("TRYGG_FAULTS", "").strip().lower() == "full"


N = TypeVar("N", int, float)


def scaled(full: N, short: N) -> N:
    return full if FULL else short


F = TypeVar("F", bound=Callable[..., Any])


def full_only(test: F) -> F:
    """A scenario of `make test-faults` only: deselected (not skipped) in the short form."""
    test.full_only = True  # type: ignore[attr-defined]
    return test


@dataclass
class Accepted:
    """One accepted ready notice, and the officer's decision on it when one was accepted."""

    case_id: str
    webhook_id: str
    body: bytes
    decision_id: str | None = None
    consenting_phone: str | None = None
    refusing_phone: str | None = None


@dataclass(frozen=True)
class Start:
    """Where a scenario began: its clock, and how many dead letters there were before it."""

    at: float
    dead_before: frozenset[tuple[str, int, int]]  # (topic, partition, offset) of every dead letter then


@dataclass
class DeadLetter:
    topic: str
    group: str
    reason: str
    event_id: str | None
    original_topic: str | None
    key: str | None
    position: tuple[str, int, int]  # topic, partition, offset on its dead-letter topic


@dataclass
class Result:
    scenario: str
    accepted: int
    expected: int
    found: int
    duplicates: int
    dead_lettered: int
    seconds: float
    note: str = ""


RESULTS: list[Result] = []


@dataclass
class Reference:
    """Effects of one standard decision (calibrated by the fault-free scenario)."""

    visits: int
    sms: int


class Gateway:
    """A `FakeElks` served from its own event loop in a daemon thread (so that sync tests and the
    services' HTTP calls both reach it)."""

    def __init__(self) -> None:
        self.fake = FakeElks()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-46elks", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(30)

    def fail_next(self, *steps: int | float, to: str | None = None) -> None:
        self._loop.call_soon_threadsafe(functools.partial(self.fake.fail_next, *steps, to=to))

    def sms_to(self, phone: str) -> list[str]:
        return [m.message for m in list(self.fake.messages) if m.to == phone]

    def attempts_to(self, phone: str) -> list[int]:
        return [status for to, status in list(self.fake.attempts) if to == phone]

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


_PHONES = itertools.count(uuid.uuid4().int % 10**7)


def new_phone() -> str:
    """A mobile number no other scenario of this run has (drawn at random, two could collide)."""
    return f"+4673{next(_PHONES) % 10**7:07d}"


class FaultSystem:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.gateway = Gateway()
        self.stack = Stack(
            workdir,
            service_ports={s.name: free_port() for s in SERVICES},
            jaeger=False,
            durable=False,
        )
        self.extra: list[ServiceProcess] = []
        self.reference: Reference | None = None
        self._mongo: MongoClient[dict[str, Any]] | None = None
        self._teams: set[str] = set()
        # Answers that were not an acceptance (503, or nothing listening), retried by the sender.
        self.unavailable: list[tuple[str, str]] = []

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.stack.start_servers()
        for spec in SERVICES:
            svc = self.stack.service(spec.name)
            svc.env[f"{spec.env_prefix}OUTBOX__POLL_INTERVAL_SECONDS"] = "0.2"
            svc.env[f"{spec.env_prefix}KAFKA__RETRY_BACKOFF_SECONDS"] = "0.1"
        notification = self.stack.service("notification")
        notification.env.update(self._notification_env(notification.url))
        # One officer (dev-officer) decides every journey, each with a consenting relative: far more
        # than an officer's daily cap of consents (REFERRAL_SMS__OFFICER_DAILY_CONSENTS, 30) allows.
        self.stack.service("referral").env["REFERRAL_SMS__OFFICER_DAILY_CONSENTS"] = "1000000"
        self.stack.start_services()
        self._mongo = MongoClient(self.stack.ferretdb.uri, tz_aware=True, serverSelectionTimeoutMS=20000)

    def _notification_env(self, public_url: str) -> dict[str, str]:
        fake = self.gateway.fake
        return {
            "NOTIFICATION_PROVIDER": "46elks",
            "NOTIFICATION_ELKS__BASE_URL": fake.base_url,
            "NOTIFICATION_ELKS__USERNAME": fake.username,
            "NOTIFICATION_ELKS__PASSWORD": fake.password,
            "NOTIFICATION_PUBLIC_BASE_URL": public_url,
            "NOTIFICATION_QUIET_HOURS_START": "00:00",  # the same start and end: no quiet hours
            "NOTIFICATION_QUIET_HOURS_END": "00:00",
            "NOTIFICATION_DISPATCH_POLL_SECONDS": "0.2",
            "NOTIFICATION_TIMER_POLL_SECONDS": "0.3",
            "NOTIFICATION_RETRY_BACKOFF_SECONDS": "0.3",
            "NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS": "2",
        }

    def stop(self) -> None:
        for proc in self.extra:
            proc.stop()
        if self._mongo is not None:
            self._mongo.close()
        self.stack.stop()
        self.gateway.stop()

    def service(self, name: str) -> ServiceProcess:
        return self.stack.services[name]

    def ensure_up(self) -> list[str]:
        """Start again what a previous scenario left dead (named in the return value)."""
        dead = []
        for name, svc in self.stack.services.items():
            svc.env.pop(FAULT_EXIT_ENV, None)
            if not svc.alive():
                dead.append(name)
                svc.start()
        for name in dead:
            self.service(name).wait_ready(90)
        return dead

    def begin(self) -> Start:
        """Start a scenario: what a previous one left dead is started again, then the clock and the
        dead-letter count are taken (what `conclude` and `dead_letters_since` measure from)."""
        self.ensure_up()
        return Start(time.monotonic(), frozenset(d.position for d in self.dead_letters()))

    def dead_letters_since(self, start: Start) -> list[DeadLetter]:
        return [d for d in self.dead_letters() if d.position not in start.dead_before]

    def restart_service(self, name: str, env: dict[str, str] | None = None) -> None:
        svc = self.service(name)
        svc.stop()
        svc.env.pop(FAULT_EXIT_ENV, None)
        svc.env.update(env or {})
        svc.start()
        svc.wait_ready(90)

    def replica(self, name: str) -> ServiceProcess:
        """A second instance of a service: same database and consumer groups, its own HTTP port."""
        base = self.service(name)
        port = free_port()
        env = dict(base.env)
        prefix = base.spec.env_prefix
        env[f"{prefix}HTTP__PORT"] = str(port)
        if name == "notification":
            env["NOTIFICATION_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        proc = ServiceProcess(base.spec, port, env, self.workdir / "logs" / f"{name}-replica-{len(self.extra)}")
        self.extra.append(proc)
        proc.start()
        proc.wait_ready(90)
        return proc

    @property
    def db(self) -> MongoClient[dict[str, Any]]:
        assert self._mongo is not None
        return self._mongo

    # --- inputs -----------------------------------------------------------------------------

    def team(self, team_id: str) -> str:
        """A team of its own for a scenario (ample places: capacity never decides the reference)."""
        name = f"Team {team_id}"
        if team_id in self._teams:
            return name
        url = self.service("scheduling").url
        template = httpx.get(f"{url}/teams/team-vast", headers=OPS, timeout=15).json()
        body = {
            "name": name,
            "phone": template["phone"],
            "municipality_profile": template["municipality_profile"],
            "municipality_code": template["municipality_code"],
            "timezone": template["timezone"],
            "hours": template["hours"],
            "works_on_holidays": template["works_on_holidays"],
            "clients_per_day": 200,
            "new_clients_per_month": 1000,
            "max_period_days": template["max_period_days"],
            "members": [{"staff_id": f"{team_id}-us{i}", "daily_visit_limit": 20} for i in range(1, 41)],
            "rules": template["rules"],
        }
        answer = self._call("put", f"{url}/teams/{team_id}", json=body, headers=OPS)
        assert answer.status_code in (200, 201), answer.text
        self._teams.add(team_id)
        return name

    def _call(self, method: str, url: str, *, within: float = 90.0, **kwargs: Any) -> httpx.Response:
        """An HTTP call retried while the answer is 503 or nothing answers (a service restarting)."""
        return self._retried(url, lambda: httpx.request(method, url, timeout=30, **kwargs), within)

    def _retried(self, url: str, send: Callable[[], httpx.Response], within: float) -> httpx.Response:
        """`send()` again every half second while the answer is 503 or nothing answers, for `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            try:
                response = send()
                if response.status_code != 503 or time.monotonic() > deadline:
                    return response
                self.unavailable.append((url, "503"))
            except httpx.TransportError as exc:
                self.unavailable.append((url, type(exc).__name__))
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.5)

    def new_ready_notice(self) -> tuple[str, bytes]:
        episode = f"F-{uuid.uuid4().hex[:12]}"
        return f"msg_{uuid.uuid4().hex}", json.dumps(sample_message("utskrivningsklar", episode)).encode()

    def post_webhook(self, webhook_id: str, body: bytes, *, within: float = 120.0) -> httpx.Response:
        """Send (and while 503 or unreachable, send again) one webhook, signed at the moment of sending."""
        url = f"{self.service('referral').url}/webhooks/lus"

        def send() -> httpx.Response:
            headers = sign(LOCAL_DEV_SENDER_SECRET, webhook_id, body)
            return httpx.post(url, content=body, headers=headers, timeout=30)

        return self._retried(url, send, within)

    def ready(self) -> Accepted:
        webhook_id, body = self.new_ready_notice()
        response = self.post_webhook(webhook_id, body)
        assert response.status_code == 202, f"{response.status_code} {response.text}"
        return Accepted(response.json()["case_id"], webhook_id, body)

    def decide(self, accepted: Accepted, team_name: str, *, consenting_phone: str | None = None) -> Accepted:
        """Grant the case; the relative who consents gets `consenting_phone` (a new number if not given)."""
        yes, no = consenting_phone or new_phone(), new_phone()
        response = self._call(
            "post",
            f"{self.service('referral').url}/cases/{accepted.case_id}/decisions",
            headers=OFFICER,
            json=decision_request(team_name, yes, no),
        )
        assert response.status_code == 201, f"{response.status_code} {response.text}"
        accepted.decision_id = response.json()["decision_id"]
        accepted.consenting_phone, accepted.refusing_phone = yes, no
        return accepted

    def journey(self, team_name: str, *, decide: bool = True) -> Accepted:
        accepted = self.ready()
        return self.decide(accepted, team_name) if decide else accepted

    # --- effects ----------------------------------------------------------------------------

    def effects(self, case: Accepted) -> dict[str, Any]:
        """What every store and the gateway hold for one case (counts, and what repeats)."""
        db = self.db
        referral = db["referral"]["cases"].find_one({"_id": case.case_id}, {"messages.message_id": 1})
        plan = db["scheduling"]["case_plans"].find_one({"_id": case.case_id}, {"state.period": 1, "state.visits": 1})
        notification = db["notification"]["cases"].count_documents({"_id": case.case_id})
        liability = db["billing"]["case_liability"].find_one({"_id": case.case_id}, {"periods.source_event_id": 1})
        care = db["billing"]["care_cases"].find_one({"_id": case.case_id}, {"decisions": 1, "periods": 1})
        console_case = db["console"]["cases"].find_one({"_id": case.case_id}, {"facts.event_id": 1, "facts.type": 1})
        console_visits = db["console"]["visits"].count_documents({"case_id": case.case_id})
        messages = [m["message_id"] for m in (referral or {}).get("messages", [])]
        facts = [f["event_id"] for f in (console_case or {}).get("facts", [])]
        periods = [p["source_event_id"] for p in (liability or {}).get("periods", [])]
        state = (plan or {}).get("state", {})
        sms_yes = self.gateway.sms_to(case.consenting_phone) if case.consenting_phone else []
        sms_no = self.gateway.sms_to(case.refusing_phone) if case.refusing_phone else []
        return {
            "referral_case": 1 if referral else 0,
            "webhook_messages": Counter(messages),
            "plan": 1 if plan else 0,
            "period_planned": 1 if state.get("period") else 0,
            "visits": len(state.get("visits") or {}),
            "notification_case": notification,
            "liability_periods": Counter(periods),
            "billing_decisions": len((care or {}).get("decisions") or {}),
            "billing_periods": len((care or {}).get("periods") or {}),
            "console_case": 1 if console_case else 0,
            "console_facts": Counter(facts),
            "console_visits": console_visits,
            "sms": Counter(sms_yes),
            "sms_refused": len(sms_no),
        }

    def expected_found(self, case: Accepted, eff: dict[str, Any]) -> tuple[int, int, int, list[str]]:
        """(expected effects, found effects, duplicates, what differs) for one case."""
        ref = self.reference
        problems: list[str] = []
        expected = found = duplicates = 0

        def one(name: str, want: int, got: int) -> None:
            nonlocal expected, found, duplicates
            expected += want
            found += min(got, want)
            if got > want:
                duplicates += got - want
            if got != want:
                problems.append(f"{name}: expected {want}, found {got}")

        one("referral case", 1, eff["referral_case"])
        one("webhook message on the case", 1, eff["webhook_messages"].get(case.webhook_id, 0))
        one("scheduling plan", 1, eff["plan"])
        one("notification case", 1, eff["notification_case"])
        one("billing liability period", 1, sum(eff["liability_periods"].values()))
        one("console case", 1, eff["console_case"])
        repeated_facts = sum(n - 1 for n in eff["console_facts"].values() if n > 1)
        if repeated_facts:
            duplicates += repeated_facts
            problems.append(f"console facts repeated: {repeated_facts}")
        if case.decision_id is not None:
            assert ref is not None, "no reference yet: the calibration scenario runs first"
            one("scheduling period", 1, eff["period_planned"])
            one("scheduling visits", ref.visits, eff["visits"])
            one("console visit rows", ref.visits, eff["console_visits"])
            one("billing decision", 1, eff["billing_decisions"])
            one("billing period", 1, eff["billing_periods"])
            one("relative SMS (consenting)", ref.sms, sum(eff["sms"].values()))
            repeated_sms = sum(n - 1 for n in eff["sms"].values() if n > 1)
            if repeated_sms:
                duplicates += repeated_sms
                problems.append(f"the same SMS text twice: {repeated_sms}")
            one("relative SMS (not consenting)", 0, eff["sms_refused"])
        return expected, found, duplicates, problems

    def settle(
        self, cases: list[Accepted], within: float = 180.0, quiet: float = 3.0
    ) -> tuple[int, int, int, list[str]]:
        """Wait until every case has all its effects (or `within` runs out), then a little more for
        anything late (a redelivery after a restart), and count."""
        deadline = time.monotonic() + within
        while True:
            totals = self._count(cases)
            if totals[0] == totals[1] or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        time.sleep(quiet)
        return self._count(cases)

    def _count(self, cases: list[Accepted]) -> tuple[int, int, int, list[str]]:
        expected = found = duplicates = 0
        problems: list[str] = []
        for case in cases:
            e, f, d, p = self.expected_found(case, self.effects(case))
            expected, found, duplicates = expected + e, found + f, duplicates + d
            problems += [f"{case.case_id}: {x}" for x in p]
        return expected, found, duplicates, problems

    def diagnose(self, case: Accepted) -> str:
        """What notification and the gateway say about a case's messages (no numbers, no texts)."""
        messages = list(
            self.db["notification"]["messages"].find(
                {"case_id": case.case_id},
                {
                    "_id": 0,
                    "kind": 1,
                    "recipient": 1,
                    "state": 1,
                    "attempts": 1,
                    "failure_reason": 1,
                    "history.what": 1,
                },
            )
        )
        attempts = self.gateway.attempts_to(case.consenting_phone or "")
        return f"{case.case_id}: notification messages {messages}; gateway attempts {attempts}"

    # --- Kafka ------------------------------------------------------------------------------

    def lag(self) -> dict[tuple[str, str], int]:
        return {
            (lag.group, lag.topic): lag.lag for lag in asyncio.run(consumer_lag(self.stack.kafka.bootstrap_servers))
        }

    def wait_no_lag(self, within: float = 120.0) -> dict[tuple[str, str], int]:
        deadline = time.monotonic() + within
        while True:
            behind = {k: v for k, v in self.lag().items() if v and not k[1].startswith("trygg.dlq.")}
            if not behind or time.monotonic() > deadline:
                return behind
            time.sleep(1.0)

    def dead_letters(self) -> list[DeadLetter]:
        return asyncio.run(_read_dead_letters(self.stack.kafka.bootstrap_servers))

    def records(self, topic: str) -> list[Any]:
        return asyncio.run(_read_all(self.stack.kafka.bootstrap_servers, topic))

    def publish_raw(self, topic: str, records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]) -> None:
        asyncio.run(_publish(self.stack.kafka.bootstrap_servers, topic, records))

    # --- the ledger -------------------------------------------------------------------------

    def conclude(
        self,
        scenario: str,
        cases: list[Accepted],
        start: Start,
        *,
        extra_expected: int = 0,
        extra_found: int = 0,
        note: str = "",
        within: float = 180.0,
    ) -> Result:
        """Settle, write the scenario's row, and assert the ledgers balance."""
        expected, found, duplicates, problems = self.settle(cases, within=within)
        behind = self.wait_no_lag()
        dead = self.dead_letters_since(start)
        result = Result(
            scenario,
            accepted=len(cases) + sum(1 for c in cases if c.decision_id),
            expected=expected + extra_expected,
            found=found + extra_found,
            duplicates=duplicates,
            dead_lettered=len(dead),
            seconds=round(time.monotonic() - start.at, 1),
            note=note,
        )
        RESULTS.append(result)
        if problems:
            failing = {p.split(":")[0] for p in problems}
            details = [self.diagnose(c) for c in cases if c.case_id in failing][:5]
            raise AssertionError(
                f"{scenario}: effects differ from the reference:\n"
                + "\n".join(problems[:30])
                + "\n"
                + "\n".join(details)
            )
        assert duplicates == 0
        assert not behind, f"{scenario}: consumer lag did not return to zero: {behind}"
        return result


@contextlib.contextmanager
def background(work: Callable[[], None], *, every: float, until: float) -> Iterator[threading.Event]:
    """Run `work` repeatedly in a thread (bounded by `until` seconds) while the block runs."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        deadline = time.monotonic() + until
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - surfaced in the test below
                errors.append(exc)
                return
            stop.wait(every)

    thread = threading.Thread(target=loop, name="load", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(until + 60)
    if errors:
        raise errors[0]


async def _read_all(bootstrap: str, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all([await consumer.position(tp) >= end[tp] for tp in partitions]):
                break
            batch = await consumer.getmany(timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def _read_dead_letters(bootstrap: str) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith("trygg.dlq."))
    finally:
        await consumer.stop()
    out: list[DeadLetter] = []
    for topic in topics:
        for r in await _read_all(bootstrap, topic):
            headers = {k: bytes(v).decode(errors="replace") for k, v in (r.headers or ())}
            out.append(
                DeadLetter(
                    topic=topic,
                    group=headers.get("dlq_consumer_group", ""),
                    reason=headers.get("dlq_reason", ""),
                    event_id=headers.get("ce_id"),
                    original_topic=headers.get("dlq_original_topic"),
                    key=r.key.decode(errors="replace") if r.key else None,
                    position=(topic, r.partition, r.offset),
                )
            )
    out.sort(key=lambda d: (d.topic, d.group))
    return out


async def _publish(
    bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]
) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2 * 1024 * 1024)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def fault_exit_env(point: str, nth: int) -> dict[str, str]:
    return {FAULT_EXIT_ENV: f"{point}:{nth}"}


def wait_exit(proc: ServiceProcess, within: float = 90.0) -> int | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not proc.alive():
            return proc.returncode()
        time.sleep(0.2)
    return None


__all__ = ["CONSUMERS", "FAULT_EXIT_CODE", "FULL", "RESULTS", "Accepted", "FaultSystem", "Reference", "Result"]
