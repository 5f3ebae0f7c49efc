"""The whole journey timed (#21 target 4), and the footprint of every process (target 5).

Starts throwaway PostgreSQL (durable, as `make run`), FerretDB and Kafka on free loopback ports in a
temporary folder (`devstack.stack.Stack`, no Jaeger), the five services as processes, and the fake
46elks gateway of the fault suite (`tests.faults.harness.Gateway`: `notification.fake_gateway` in a
thread of this process) through which notification sends every SMS. Then, in an open loop at
`--rate` journeys/s for `--seconds` (journey i starts at start + i/rate whether or not earlier ones
were answered):

1. a signed `utskrivningsklar` webhook (`trygg webhook`'s sample, signed for `local-dev` at the
   moment of sending, a new episode each), as a hospital sends it;
2. at its 202, the officer's Trygg hemgång decision through referral's API (`dev-officer`), starting
   tomorrow, 10 days, with a consenting and a refusing relative (each a new phone number), as the
   fault suite decides;
3. every `--missed-every`-th journey also gets a **missed visit**: when scheduling publishes the
   plan's hospital visit (or follow-up call) on Kafka, the team moves it (scheduling's field API,
   `dev-team`) to a few minutes ago; the team's missed-visit grace is 0 minutes, so its
   missed-visit check is due at once, scheduling's timer fires `visit_missed`, and notification
   alerts the team's on-call rota by SMS.

The journeys are spread over the four default teams (`dev-team` acts for them), each configured for
the bench: 200 clients a day (the API's most; 800 in all), 40 members, hours 00:00-23:59 every day
(so that "a few minutes ago" is within the team's day), missed-visit grace 0, the homecoming
checklist's alert 1 h before the homecoming (tomorrow: it does not fire during the bench), and an
on-call rota with one number. Quiet hours are off, the officer's daily consent cap and the on-call
daily cap are lifted; every other setting is the services' default (log level WARNING).

Measured, each from this process's monotonic clock:
- **webhook → case on the console**: from the webhook's scheduled send time until the case is in the
  console's read model (its `cases` collection, looked at every `--poll` s by id in FerretDB's
  PostgreSQL table, so that the looking costs FerretDB nothing: up to one poll late);
- **decision → relative SMS**: from sending the decision until the fake gateway received the first
  SMS to the consenting relative;
- **decision → visits planned**: from sending the decision until scheduling's `period_planned` for
  the case was produced to Kafka (the record's CreateTime, which the relay sets after the plan and
  its visits were stored);
- **missed visit → on-call SMS**: from sending the move into the past until the gateway received the
  on-call SMS naming the case (and notification holds the alert `missed:<visit id>`).

The issue's 20 journeys/s is offered as a burst (`--seconds`, default 10 s: 200 journeys, every
10th with a missed visit), more than this machine carries, so a backlog builds. Then the bench
waits until **every** expected effect has arrived, so that p50/p99 cover every journey; it gives up
(the run did not complete) at `--drain` s after the last journey (600), when no effect arrived for
`--stall` s (60), or, after 30 s, when the rate at which effects arrived over the last 30 s (the
capacity measured now) cannot bring the rest within the limit. Printed: p50/p99 with seen/expected
(the issue sets no number: figures), "all journeys completed" (seen = expected: met or missed), the
sustained capacity (journeys completed per second from the first webhook to the last effect), and
the cost per journey: CPU-ms per process, FerretDB commands (by name), PostgreSQL's counters per
service database and the collections read by sequential scans most, over the whole run less the
idle rate (measured once the warm-up's tail has passed). Peak memory of every service and server
(`bench/common/footprint.py`) is sampled the whole time: ≤ 250 MB per service.

    .venv/bin/python bench/journey/run.py [--rate 20] [--seconds 10] [--missed-every 10] [--json PATH]

Exit status: 0 every journey completed, 2 some did not, 1 the bench failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

from bench.common.footprint import Footprint
from bench.common.pgstats import Counters, by_database, counters_table, minus, table_counters, top_tables
from bench.common.targets import ms, percentile, target
from devstack.cli import sample_message, sign
from devstack.demo import retry_after_seconds
from devstack.servers import free_port
from devstack.stack import SERVICES, Stack
from notification.domain.ids import missed_visit_alert_id
from referral.config import LOCAL_DEV_SENDER_SECRET
from scheduling.domain.profiles import default_teams
from tests.faults.harness import Gateway
from trygg_shared.contracts.scheduling import PeriodPlanned, VisitScheduled
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS
from trygg_shared.indexes import collection_tables

console = Console(width=140)
OFFICER = {"Authorization": "Bearer dev-officer"}
OPS = {"Authorization": "Bearer dev-ops"}
TEAM = {"Authorization": "Bearer dev-team"}
ZONE = ZoneInfo("Europe/Stockholm")
PLACES_PER_TEAM = 200  # the most `clients_per_day` scheduling's API accepts
MISSABLE = ("hospital_visit", "follow_up_call")  # kinds a move to today's past is allowed for (not period days)
SERVICE_DBS = tuple(spec.name for spec in SERVICES)
CLIENT = "bench (this process, gateway included)"
INCOMPLETE = "not all journeys completed: a lower bound"
FIGURES = (
    ("console", "webhook → case on the console"),
    ("sms", "decision → relative SMS"),
    ("planned", "decision → visits planned"),
    ("oncall", "missed visit → on-call SMS"),
)


def _phone() -> str:
    return f"+4673{uuid.uuid4().int % 10**7:07d}"


REPORT_RESERVE = 45.0  # s: stopping the servers and writing the figures, kept out of the drain
QUIET_SAMPLE = 2.0  # s: how often FerretDB's command counters are read while waiting for quiet
WARMUP_DRAIN = 120.0  # s: the warm-up's few journeys complete well within this, or the bench cannot run
SHED = 503  # referral's admission gate refuses what it cannot take in time, with Retry-After
SHED_RESENDS = 10


@dataclass
class Journey:
    index: int
    team_id: str
    team_name: str
    missed: bool
    scheduled: float  # monotonic: when the webhook is due
    webhook_status: int | None = None
    webhook_shed: int = 0  # 503 answers (the intake's admission gate) before it was taken: sent again
    case_id: str | None = None
    decision_sent: float | None = None
    decision_status: int | None = None
    phone: str | None = None  # the consenting relative's
    console_at: float | None = None
    planned_at: float | None = None
    visit_id: str | None = None  # the visit made to be missed
    missed_sent: float | None = None
    missed_status: int | None = None
    error: str | None = None


@dataclass
class Cost:
    """What a phase cost: its seconds, CPU seconds per process, FerretDB commands."""

    seconds: float
    cpu: dict[str, float]
    commands: int
    rows: Counters = field(default_factory=dict)  # per database and collection: PostgreSQL's table counters
    by_command: dict[str, int] = field(default_factory=dict)  # FerretDB's commands by name (this bench's own not off)

    def commands_per_journey(self, journeys: int, idle: Cost) -> dict[str, float]:
        """FerretDB's commands per journey by name, less the idle rate over the phase."""
        scale = self.seconds / idle.seconds if idle.seconds else 0.0
        net = {k: max(0.0, v - idle.by_command.get(k, 0) * scale) / journeys for k, v in self.by_command.items()}
        return {k: v for k, v in sorted(net.items(), key=lambda kv: -kv[1]) if v >= 0.05}

    def per_journey(
        self, journeys: int, idle: Cost
    ) -> tuple[dict[str, float], float, dict[str, dict[str, dict[str, float]]]]:
        """CPU-ms per process, FerretDB commands and each collection's table counters per journey,
        less the idle rate over the phase."""
        scale = self.seconds / idle.seconds if idle.seconds else 0.0

        def net(value: float, idle_value: float) -> float:
            return max(0.0, value - idle_value * scale) / journeys

        cpu = {n: 1000 * net(s, idle.cpu.get(n, 0.0)) for n, s in self.cpu.items()}
        rows = {
            db: {
                c: {k: net(v, idle.rows.get(db, {}).get(c, {}).get(k, 0)) for k, v in counts.items()}
                for c, counts in collections.items()
            }
            for db, collections in self.rows.items()
        }
        return cpu, net(self.commands, idle.commands), rows


@dataclass
class Latencies:
    """Per figure: the latencies seen (ms) and how many were expected."""

    seen: dict[str, list[float]]
    expected: dict[str, int]
    completed: int = 0  # journeys every expected effect of which was seen
    last: float | None = None  # monotonic: when the latest effect seen arrived

    def complete(self) -> bool:
        return all(len(self.seen[k]) == self.expected[k] for k, _ in FIGURES)

    def effects(self) -> tuple[int, int]:
        """Effects seen and expected, over the four figures."""
        return sum(len(v) for v in self.seen.values()), sum(self.expected.values())


@dataclass
class Drain:
    """When the wait for a burst's effects ends, and why.

    It ends when every expected effect was seen (`completed`). It gives up, and the run did not
    complete, when the wait reached `limit` seconds after the last journey (`limit`), when no effect
    arrived for `stall` seconds (`stalled`: something is stuck), or, once it has waited `window`
    seconds, when the rate at which effects arrived over the last `window` seconds (the capacity
    measured now, under this load) would not bring the rest before the limit (`projected`: waiting
    longer could not complete the run, only make the bench slower).
    """

    started: float  # monotonic: the last journey was started
    limit: float
    stall: float
    window: float = 30.0
    history: deque[tuple[float, int]] = field(default_factory=deque)  # (when, effects seen so far)
    progress: float | None = None  # when the count of effects seen last grew

    def outcome(self, now: float, seen: int, expected: int) -> str | None:
        """None: keep waiting; otherwise why the wait ends."""
        if not self.history or seen > self.history[-1][1]:
            self.progress = now
        self.history.append((now, seen))
        while len(self.history) > 2 and self.history[1][0] <= now - self.window:
            self.history.popleft()  # keep one point at least `window` old
        if seen >= expected:
            return "completed"
        if now - self.started >= self.limit:
            return "limit"
        if now - (self.progress if self.progress is not None else self.started) >= self.stall:
            return "stalled"
        since, before = self.history[0]
        if now - self.started >= self.window and now - since >= self.window:
            rate = (seen - before) / (now - since)
            if rate > 0 and now + (expected - seen) / rate > self.started + self.limit:
                return "projected"
        return None


def drain_limit(drain: float, budget: float, elapsed: float) -> float:
    """The longest wait after the last journey: `drain`, or less, so that the bench still stops its
    servers and writes its figures within `budget` seconds of its start (`elapsed` so far)."""
    return max(0.0, min(drain, budget - REPORT_RESERVE - elapsed))


class System:
    """The servers, the five services and the fake gateway, configured for the bench."""

    def __init__(self, workdir: Path, *, durable: bool = True) -> None:
        self.gateway = Gateway()
        ports = {s.name: free_port() for s in SERVICES}
        self.stack = Stack(workdir, service_ports=ports, jaeger=False, durable=durable)
        self.oncall = _phone()
        self.teams = {team_id: config.name for team_id, config in default_teams().items()}

    def start(self, footprint: Footprint) -> None:
        self.stack.start_servers()
        footprint.watch_stack(self.stack)
        for spec in SERVICES:
            self.stack.service(spec.name).env[f"{spec.env_prefix}LOGGING__LEVEL"] = "WARNING"
        notification = self.stack.service("notification")
        fake = self.gateway.fake
        notification.env.update(
            {
                "NOTIFICATION_PROVIDER": "46elks",
                "NOTIFICATION_ELKS__BASE_URL": fake.base_url,
                "NOTIFICATION_ELKS__USERNAME": fake.username,
                "NOTIFICATION_ELKS__PASSWORD": fake.password,
                "NOTIFICATION_PUBLIC_BASE_URL": notification.url,
                "NOTIFICATION_QUIET_HOURS_START": "00:00",  # the same start and end: no quiet hours
                "NOTIFICATION_QUIET_HOURS_END": "00:00",
                "NOTIFICATION_ONCALL_DAILY_CAP": "100000",  # one on-call number takes every missed visit
            }
        )
        # One officer decides every journey, each with a consenting relative (as the fault suite).
        self.stack.service("referral").env["REFERRAL_SMS__OFFICER_DAILY_CONSENTS"] = "1000000"
        self.stack.start_services()
        footprint.watch_stack(self.stack)
        for team_id in self.teams:
            self._configure(team_id)

    def url(self, name: str) -> str:
        return self.stack.services[name].url

    def _configure(self, team_id: str) -> None:
        scheduling, notification = self.url("scheduling"), self.url("notification")
        team = httpx.get(f"{scheduling}/teams/{team_id}", headers=OPS, timeout=30).json()
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        body = {
            **{k: team[k] for k in ("name", "phone", "municipality_profile", "municipality_code", "timezone")},
            "hours": [{"weekday": d, "start": "00:00", "end": "23:59"} for d in days],
            "works_on_holidays": True,
            "clients_per_day": PLACES_PER_TEAM,
            "new_clients_per_month": 1000,
            "max_period_days": team["max_period_days"],
            "members": [{"staff_id": f"{team_id}-us{i}", "daily_visit_limit": 20} for i in range(1, 41)],
            "rules": {**team["rules"], "missed_visit_grace_minutes": 0},
            "checklist": {**team["checklist"], "alert_hours": 1},
        }
        answer = httpx.put(f"{scheduling}/teams/{team_id}", json=body, headers=OPS, timeout=30)
        answer.raise_for_status()
        rota = {
            "shifts": [
                {
                    "starts_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                    "minutes": 48 * 60,
                    "responders": [{"responder_id": "oncall-bench", "phone": self.oncall}],
                }
            ]
        }
        answer = httpx.put(f"{notification}/rotas/{team_id}", json=rota, headers=OPS, timeout=30)
        answer.raise_for_status()

    def stop(self) -> None:
        try:
            self.stack.stop()
        finally:
            self.gateway.stop()


class Driver:
    """Sends the journeys in an open loop and watches their effects (console, Kafka, gateway)."""

    def __init__(self, system: System, args: argparse.Namespace, footprint: Footprint, started: float) -> None:
        self.started = started  # monotonic: when the bench started (its --budget counts from then)
        self.system = system
        self.footprint = footprint
        self.polls = 0  # this bench's own lookups in the console's read model, in PostgreSQL
        self.ferretdb_polls = 0  # the same through FerretDB, when there is no PostgreSQL (FerretDB commands)
        self.sent = 0.0
        self.drain = Drain(0.0, 0.0, 0.0)
        self.drain_outcome = "not started"
        self.drain_end = 0.0
        self.quiet: dict[str, float] = {}
        self.idle = self.cost = Cost(0.0, {}, 0)
        self.args = args
        self.journeys: list[Journey] = []  # the timed ones
        self.warmup: list[Journey] = []
        self.all: list[Journey] = []
        self.alerts: set[str] = set()
        self.by_case: dict[str, Journey] = {}
        self.wall_minus_mono = time.time() - time.monotonic()
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200))
        self.tomorrow = (datetime.now(ZONE).date() + timedelta(days=1)).isoformat()

    async def run(self) -> float:
        """The whole run; returns the seconds the sending took."""
        teams = list(self.system.teams.items())
        count = round(self.args.rate * self.args.seconds)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.system.stack.ferretdb.uri)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.system.stack.kafka.bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(SCHEDULING_PERIOD_EVENTS, p)
                for p in sorted(consumer.partitions_for_topic(SCHEDULING_PERIOD_EVENTS) or ())
            ]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)  # resolved now, before the first journey
            watchers = [
                asyncio.create_task(self._watch_kafka(consumer)),
                asyncio.create_task(self._watch_console(mongo)),
            ]
            # Warm-up, not counted: every consumer group has joined and every code path ran once.
            self.warmup = await self._phase(teams, self.args.warmup, 2.0)
            await self._settle(self.warmup, Drain(time.monotonic(), WARMUP_DRAIN, WARMUP_DRAIN))
            self.quiet = await self._quiet()
            self.idle = await self._cost(lambda: asyncio.sleep(self.args.idle_seconds))
            self.cost = await self._cost(lambda: self._timed(teams, count))
            sent = self.sent
            self.stopping.set()
            for task in watchers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            self.alerts = await self._missed_alerts(mongo)
            return sent
        finally:
            await consumer.stop()
            await mongo.close()
            await self.client.aclose()

    async def _timed(self, teams: list[tuple[str, str]], count: int) -> None:
        self.journeys = await self._phase(teams, count, self.args.rate)
        self.sent = time.monotonic() - self.journeys[0].scheduled  # the last one was started just now
        now = time.monotonic()
        self.drain = Drain(now, drain_limit(self.args.drain, self.args.budget, now - self.started), self.args.stall)
        self.drain_outcome = await self._settle(self.journeys, self.drain)
        self.drain_end = time.monotonic()

    async def _quiet(self) -> dict[str, float]:
        """Wait until the warm-up's tail has passed: FerretDB's commands per second (sampled every
        `QUIET_SAMPLE` s) under `--quiet-rate` twice in a row, at most `--quiet-wait` s. Otherwise
        the idle window would hold the warm-up's last events, and taking that rate off the timed
        phase would under-count every journey's cost."""
        ferretdb, start = self.system.stack.ferretdb, time.monotonic()
        before, rate, calm = sum(ferretdb.command_counts().values()), float("inf"), 0
        while calm < 2 and time.monotonic() - start < self.args.quiet_wait:
            await asyncio.sleep(QUIET_SAMPLE)
            after = sum(ferretdb.command_counts().values())
            rate, before = (after - before) / QUIET_SAMPLE, after
            calm = calm + 1 if rate < self.args.quiet_rate else 0
        return {"waited_seconds": round(time.monotonic() - start, 1), "last_commands_per_second": rate}

    async def _cost(self, work: Callable[[], Awaitable[None]]) -> Cost:
        """CPU seconds per process and FerretDB's commands (less this bench's own lookups) of `work`."""
        ferretdb, postgres_url = self.system.stack.ferretdb, self.system.stack.postgres_url
        cpu, commands, start = self.footprint.cpu_now(), ferretdb.command_counts(), time.monotonic()
        polls, ferretdb_polls = self.polls, self.ferretdb_polls
        cpu[CLIENT] = time.process_time()  # this process: the driver, its watchers and the fake gateway
        rows = table_counters(postgres_url, SERVICE_DBS)
        await work()
        cpu_after, commands_after = self.footprint.cpu_now(), ferretdb.command_counts()
        cpu_after[CLIENT] = time.process_time()
        tables = minus(table_counters(postgres_url, SERVICE_DBS), rows)
        own = tables.get("console", {}).get("cases")
        if own is not None:  # this bench's lookups: by the `_id` index in PostgreSQL, or whole through FerretDB
            own["idx_scans"] = max(0, own["idx_scans"] - (self.polls - polls))
            own["seq_scans"] = max(0, own["seq_scans"] - (self.ferretdb_polls - ferretdb_polls))
        return Cost(
            time.monotonic() - start,
            {name: cpu_after[name] - cpu.get(name, 0.0) for name in cpu_after},
            sum(commands_after.values()) - sum(commands.values()) - (self.ferretdb_polls - ferretdb_polls),
            tables,
            {k: v - commands.get(k, 0) for k, v in commands_after.items()},
        )

    async def _phase(self, teams: list[tuple[str, str]], count: int, rate: float) -> list[Journey]:
        """Start `count` journeys at `rate` per second (open loop) and return them."""
        journeys: list[Journey] = []
        start = time.monotonic()
        for i in range(count):
            team_id, team_name = teams[i % len(teams)]
            missed = self.args.missed_every > 0 and i % self.args.missed_every == 0
            journey = Journey(i, team_id, team_name, missed, start + i / rate)
            journeys.append(journey)
            self.all.append(journey)
            await asyncio.sleep(max(0.0, journey.scheduled - time.monotonic()))
            self._spawn(self._journey(journey))
        return journeys

    async def _settle(self, journeys: list[Journey], drain: Drain) -> str:
        """Wait until every effect of `journeys` was seen, or `drain` gives up; returns its outcome."""
        while True:
            seen, expected = self.latencies(journeys, mongo_checked=False).effects()
            outcome = drain.outcome(time.monotonic(), seen, expected)
            if outcome is not None:
                return outcome
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), 1.0)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- inputs -------------------------------------------------------------------------------

    async def _journey(self, j: Journey) -> None:
        referral = self.system.url("referral")
        try:
            body = json.dumps(sample_message("utskrivningsklar", f"J-{uuid.uuid4().hex[:12]}")).encode()
            webhook_id = f"msg_{uuid.uuid4().hex}"
            headers = sign(LOCAL_DEV_SENDER_SECRET, webhook_id, body)
            answer = await self.client.post(f"{referral}/webhooks/lus", content=body, headers=headers)
            while answer.status_code == SHED and j.webhook_shed < SHED_RESENDS:
                # As a Standard Webhooks sender: the same webhook again after Retry-After.
                j.webhook_shed += 1
                await asyncio.sleep(retry_after_seconds(answer))
                answer = await self.client.post(f"{referral}/webhooks/lus", content=body, headers=headers)
            j.webhook_status = answer.status_code
            if answer.status_code != 202:
                return
            j.case_id = answer.json()["case_id"]
            self.by_case[j.case_id] = j
            j.phone = _phone()
            decision = {
                "decision_type": "trygg_hemgang",
                "start_date": self.tomorrow,
                "length_days": 10,
                "team": j.team_name,
                "relatives": [
                    {"name": "Karin", "phone": j.phone, "consent": True},
                    {"name": "Olle", "phone": _phone(), "consent": False},
                ],
            }
            j.decision_sent = time.monotonic()
            answer = await self.client.post(f"{referral}/cases/{j.case_id}/decisions", json=decision, headers=OFFICER)
            j.decision_status = answer.status_code
        except httpx.HTTPError as exc:
            j.error = type(exc).__name__

    async def _miss(self, j: Journey) -> None:
        """Move the visit to a few minutes ago: its missed-visit check (grace 0) is due at once."""
        past = (datetime.now(UTC) - timedelta(minutes=3)).replace(second=0, microsecond=0)
        url = f"{self.system.url('scheduling')}/cases/{j.case_id}/visits/{j.visit_id}/reschedule"
        try:
            j.missed_sent = time.monotonic()
            answer = await self.client.post(url, json={"planned_start": past.isoformat()}, headers=TEAM)
            j.missed_status = answer.status_code
            if answer.status_code != 200:
                j.error = f"reschedule {answer.status_code}: {answer.text[:200]}"
        except httpx.HTTPError as exc:
            j.error = type(exc).__name__

    # --- effects ------------------------------------------------------------------------------

    async def _watch_kafka(self, consumer: AIOKafkaConsumer) -> None:
        while not self.stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    j = self.by_case.get(r.key.decode()) if r.key else None
                    if j is None:
                        continue
                    kind = dict(r.headers or ()).get("ce_type", b"").decode()
                    if kind == PeriodPlanned.EVENT_TYPE and j.planned_at is None:
                        j.planned_at = r.timestamp / 1000 - self.wall_minus_mono
                    elif kind == VisitScheduled.EVENT_TYPE and j.missed and j.visit_id is None:
                        data = json.loads(r.value)
                        if data.get("kind") in MISSABLE:
                            j.visit_id = data["visit_id"]
                            self._spawn(self._miss(j))

    async def _watch_console(self, mongo: AsyncMongoClient[dict[str, Any]]) -> None:
        """Look for the pending cases in the console's read model every `--poll` s.

        In PostgreSQL directly, where FerretDB keeps it: its table for `console.cases`, by `_id`
        through FerretDB's own unique btree on `_jsonb -> '_id'`. Through FerretDB the lookup
        (`_id` `$in` the pending ids) is not pushed down: every look read and decoded the whole
        collection in FerretDB, four times a second, and that work (at 200 journeys most of the
        console's rows read per journey) was counted as the system's."""
        url = self.system.stack.postgres_url
        if url is None:
            await self._watch_console_through_ferretdb(mongo)
            return
        import psycopg
        from psycopg import sql

        table = (await collection_tables(url, "console"))["cases"]
        query = sql.SQL("select _jsonb->>'_id' from {} where (_jsonb -> '_id') = any(%s::jsonb[])").format(
            sql.Identifier("console", table)
        )
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while not self.stopping.is_set():
                pending = [j.case_id for j in self.all if j.case_id and j.console_at is None]
                if pending:
                    found = await (await conn.execute(query, [[json.dumps(p) for p in pending]])).fetchall()
                    self.polls += 1
                    now = time.monotonic()
                    for (case_id,) in found:
                        self.by_case[case_id].console_at = now
                await asyncio.sleep(self.args.poll)

    async def _watch_console_through_ferretdb(self, mongo: AsyncMongoClient[dict[str, Any]]) -> None:
        cases = mongo["console"]["cases"]
        while not self.stopping.is_set():
            pending = [j.case_id for j in self.all if j.case_id and j.console_at is None][:500]
            if pending:
                found = await cases.find({"_id": {"$in": pending}}, {"_id": 1}).to_list(None)
                self.ferretdb_polls += 1
                now = time.monotonic()
                for doc in found:
                    self.by_case[doc["_id"]].console_at = now
            await asyncio.sleep(self.args.poll)

    async def _missed_alerts(self, mongo: AsyncMongoClient[dict[str, Any]]) -> set[str]:
        """The case ids whose missed-visit alert notification holds."""
        ids = {missed_visit_alert_id(j.visit_id): j.case_id for j in self.all if j.visit_id and j.case_id}
        if not ids:
            return set()
        found = await mongo["notification"]["alerts"].find({"_id": {"$in": list(ids)}}, {"_id": 1}).to_list(None)
        return {ids[d["_id"]] for d in found}

    def latencies(self, journeys: list[Journey], *, mongo_checked: bool = True) -> Latencies:
        first_sms: dict[str, float] = {}
        oncall: list[tuple[str, float]] = []
        for m in list(self.system.gateway.fake.messages):
            if m.to == self.system.oncall:
                oncall.append((m.message, m.received_at_monotonic))
            elif m.to not in first_sms:
                first_sms[m.to] = m.received_at_monotonic
        seen: dict[str, list[float]] = {k: [] for k, _ in FIGURES}
        expected = dict.fromkeys(seen, 0)
        completed, last = 0, None
        for j in journeys:
            expected["console"] += 1
            expected["sms"] += 1
            expected["planned"] += 1
            expected["oncall"] += j.missed
            arrived: dict[str, float] = {}  # figure → when its effect arrived (monotonic)
            if j.case_id is not None and j.console_at is not None:
                seen["console"].append((j.console_at - j.scheduled) * 1000)
                arrived["console"] = j.console_at
            if j.case_id is not None and j.decision_sent is not None and j.decision_status == 201:
                if j.phone in first_sms:
                    seen["sms"].append((first_sms[j.phone] - j.decision_sent) * 1000)
                    arrived["sms"] = first_sms[j.phone]
                if j.planned_at is not None:
                    seen["planned"].append((j.planned_at - j.decision_sent) * 1000)
                    arrived["planned"] = j.planned_at
                ref = j.case_id[:8]
                at = next((t for text, t in oncall if ref in text), None) if j.missed else None
                if at is not None and j.missed_sent is not None and (not mongo_checked or j.case_id in self.alerts):
                    seen["oncall"].append((at - j.missed_sent) * 1000)
                    arrived["oncall"] = at
            if arrived:
                last = max(last or 0.0, *arrived.values())
            completed += len(arrived) == 3 + j.missed
        return Latencies(seen, expected, completed, last)


def report(driver: Driver, sent_seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    lat = driver.latencies(driver.journeys)
    statuses: dict[str, int] = {}
    for j in driver.journeys:
        for what, status in (("webhook", j.webhook_status), ("decision", j.decision_status)):
            if status is not None:
                statuses[f"{what} {status}"] = statuses.get(f"{what} {status}", 0) + 1
        if j.webhook_shed:
            statuses["webhook 503, sent again"] = statuses.get("webhook 503, sent again", 0) + j.webhook_shed
        if j.missed_status is not None:
            key = f"missed-visit move {j.missed_status}"
            statuses[key] = statuses.get(key, 0) + 1
    errors = sorted({j.error for j in driver.journeys if j.error})
    figures = {}
    for key, name in FIGURES:
        values = lat.seen[key]
        figures[key] = {
            "figure": name,
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values) if values else None,
            "seen": len(values),
            "expected": lat.expected[key],
        }
    first = driver.journeys[0].scheduled if driver.journeys else 0.0
    complete = lat.complete()
    # Until the last effect when all arrived; else until the drain gave up (what completed by then).
    end = lat.last if complete and lat.last is not None else driver.drain_end
    whole = end - first
    seen, expected = lat.effects()
    return {
        "journeys": len(driver.journeys),
        "rate": args.rate,
        "seconds": args.seconds,
        "sent_seconds": round(sent_seconds, 2),
        "achieved_rate": round((len(driver.journeys) - 1) / sent_seconds, 2) if sent_seconds else None,
        "drain": {
            "outcome": driver.drain_outcome,
            "seconds": round(driver.drain_end - driver.drain.started, 1),
            "limit_seconds": round(driver.drain.limit, 1),
            "stall_seconds": args.stall,
        },
        # Journeys with every effect seen per second, from the first journey's start to the last effect.
        "capacity": {
            "completed": lat.completed,
            "seconds": round(whole, 1),
            "journeys_per_second": round(lat.completed / whole, 2) if whole > 0 else None,
            "effects_seen": seen,
            "effects_expected": expected,
        },
        "missed_every": args.missed_every,
        "postgresql_fsync": not args.no_fsync,
        "statuses": statuses,
        "errors": errors[:20],
        "figures": figures,
        "complete": complete,
        "cost": cost(driver),
    }


def cost(driver: Driver) -> dict[str, Any]:
    """Per journey, from the first timed journey to the end of the drain, less the idle rate."""
    n = len(driver.journeys)
    cpu, commands, rows = driver.cost.per_journey(n, driver.idle)
    return {
        "phase_seconds": round(driver.cost.seconds, 1),
        "idle_seconds": round(driver.idle.seconds, 1),
        "quiet_before_idle": driver.quiet,
        "idle_cpu_percent": {k: round(100 * v / driver.idle.seconds, 1) for k, v in driver.idle.cpu.items()}
        if driver.idle.seconds
        else {},
        "idle_commands_per_second": round(driver.idle.commands / driver.idle.seconds, 1)
        if driver.idle.seconds
        else None,
        # What the idle system reads whole, per second (its timers' and pollers' queries).
        "idle_tables_per_second": [
            {"database": db, "collection": c, **{k: round(v / driver.idle.seconds, 2) for k, v in counts.items()}}
            for db, c, counts in top_tables(driver.idle.rows)
        ]
        if driver.idle.seconds
        else [],
        "cpu_ms_per_journey": {k: round(v, 1) for k, v in cpu.items()},
        "cpu_ms_per_journey_all": round(sum(v for k, v in cpu.items() if k != CLIENT), 1),  # the system's
        "ferretdb_commands_per_journey": round(commands, 1),
        "ferretdb_commands_per_journey_by_command": {
            k: round(v, 1) for k, v in driver.cost.commands_per_journey(n, driver.idle).items()
        },
        # PostgreSQL's counters per service database (pg_stat_user_tables; a backend flushes them at
        # most every second, so the last second of the phase may be missing).
        "rows_per_journey": {
            db: {k: round(v, 1) for k, v in counts.items()} for db, counts in sorted(by_database(rows).items())
        },
        # The collections whose tables were read whole most (rows read by sequential scans per journey).
        "tables_per_journey": [
            {"database": db, "collection": c, **{k: round(v, 1) for k, v in counts.items()}}
            for db, c, counts in top_tables(rows)
        ],
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Target 4's rows: the issue's four latencies (figures: it sets no number), whether they cover
    every journey (the one limit: p50/p99 of some journeys are not the figures the issue asks for),
    the capacity the run showed and the cost per journey (figures)."""
    rows = []
    for f in result["figures"].values():
        value = f"p50 {ms(f['p50_ms'])}, p99 {ms(f['p99_ms'])} ({f['seen']}/{f['expected']})"
        rows.append(target("4", f["figure"], value, "figure", None))
    cap, drain = result["capacity"], result["drain"]
    offered = f"{result['journeys']} journeys offered at {result['achieved_rate']}/s"
    if result["complete"]:
        done = (
            f"{cap['effects_seen']}/{cap['effects_expected']} effects seen, the last "
            f"{drain['seconds']:.0f} s after the last journey ({offered})"
        )
    else:
        done = (
            f"{cap['effects_seen']}/{cap['effects_expected']} effects seen; the drain ended "
            f"({drain['outcome']}) {drain['seconds']:.0f} s after the last journey ({offered})"
        )
    rows.append(target("4", "all journeys completed", done, "seen = expected", result["complete"]))
    rate = cap["journeys_per_second"]
    sustained = f"{rate or 0:.1f}/s ({cap['completed']} of {result['journeys']} in {cap['seconds']:.0f} s)"
    rows.append(
        target(
            "4",
            "journeys completed per second, whole run",
            sustained if result["complete"] else f"{sustained}, {INCOMPLETE}",
            "figure",
            None,
        )
    )
    c = result["cost"]
    cores = os.cpu_count() or 1
    per_journey, commands = c["cpu_ms_per_journey_all"], c["ferretdb_commands_per_journey"]
    if result["complete"]:
        allows = f" ({cores} cores allow ≈ {cores * 1000 / per_journey:.1f} journeys/s)" if per_journey else ""
        cpu, db = f"{per_journey:.0f} CPU-ms{allows}", f"{commands:.0f}"
    else:  # the work of the effects not seen is missing: only a lower bound, and no rate from it
        cpu, db = f"≥ {per_journey:.0f} CPU-ms ({INCOMPLETE})", f"≥ {commands:.0f} ({INCOMPLETE})"
    rows.append(target("4", "CPU-ms per journey, all processes", cpu, "figure", None))
    rows.append(target("4", "FerretDB commands per journey", db, "figure", None))
    return rows


def print_result(result: dict[str, Any], footprint: Footprint, load: Sequence[float]) -> None:
    table = Table(
        title=f"The whole journey at {result['rate']}/s for {result['seconds']} s "
        f"(achieved {result['achieved_rate']}/s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )
    for col in ("figure", "p50", "p99", "max", "seen / expected"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for f in result["figures"].values():
        table.add_row(f["figure"], ms(f["p50_ms"]), ms(f["p99_ms"]), ms(f["max_ms"]), f"{f['seen']}/{f['expected']}")
    console.print(table)
    console.print(f"answers: {result['statuses']}")
    cap, drain = result["capacity"], result["drain"]
    console.print(
        f"drain: {drain['outcome']} after {drain['seconds']} s (limit {drain['limit_seconds']:.0f} s, "
        f"stall {drain['stall_seconds']:.0f} s); {cap['completed']} of {result['journeys']} journeys completed "
        f"in {cap['seconds']} s from the first webhook: {cap['journeys_per_second']} journeys/s sustained"
    )
    c = result["cost"]
    table = Table(
        title=f"Cost per journey: {c['phase_seconds']} s from the first timed journey to the drain's end, "
        f"less the idle rate of {c['idle_seconds']} s before it (measured once the warm-up's tail had passed: "
        f"{c['quiet_before_idle'].get('waited_seconds')} s)" + ("" if result["complete"] else f" ({INCOMPLETE})")
    )
    for col in ("process", "CPU-ms per journey", "idle, % of a core"):
        table.add_column(col, justify="left" if col == "process" else "right")
    for name, value in c["cpu_ms_per_journey"].items():
        table.add_row(name, f"{value:.1f}", f"{c['idle_cpu_percent'].get(name, 0.0):.1f}")
    table.add_row("all servers and services", f"{c['cpu_ms_per_journey_all']:.1f}", "")
    table.add_row(
        "FerretDB commands per journey",
        f"{c['ferretdb_commands_per_journey']:.1f}",
        f"{c['idle_commands_per_second']}/s",
    )
    console.print(table)
    by_command = ", ".join(f"{k} {v}" for k, v in c["ferretdb_commands_per_journey_by_command"].items())
    console.print(f"FerretDB commands per journey by command: {by_command}")
    if c["rows_per_journey"]:
        title = "PostgreSQL rows per journey, per service database (pg_stat_user_tables, idle rate taken off)"
        per_database = (((db,), counts) for db, counts in c["rows_per_journey"].items())
        console.print(counters_table(title, ("database",), per_database))
    collection = ("database", "collection")
    if c.get("tables_per_journey"):
        title = "The collections read whole most, per journey (rows read by sequential scans)"
        console.print(counters_table(title, collection, ((_names(t, collection), t) for t in c["tables_per_journey"])))
    if c.get("idle_tables_per_second"):
        title = "The collections the idle system reads whole, per second"
        idle = ((_names(t, collection), t) for t in c["idle_tables_per_second"])
        console.print(counters_table(title, collection, idle, digits=2))
    if result["errors"]:
        console.print(f"errors: {result['errors']}")
    console.print(footprint.table())
    rows = Table(title="#21 targets 4 and 5 (this run)")
    for col in ("target", "figure", "value", "limit", "met"):
        rows.add_column(col)
    for t in result["targets_v3"]:
        rows.add_row(t["target"], t["figure"], t["value"], t["limit"], _verdict(t["met"]))
    console.print(rows)


def _names(row: dict[str, Any], keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in keys)


def _verdict(met: bool | None) -> str:
    return "figure" if met is None else ("met" if met else "MISSED")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=20.0, help="journeys per second (default 20)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="how long journeys are started: the burst (default 10)"
    )
    parser.add_argument("--missed-every", type=int, default=10, help="every n-th journey gets a missed visit (0: none)")
    parser.add_argument(
        "--drain",
        type=float,
        default=600.0,
        help="longest wait for every effect after the last journey (default 600; make bench stops a bench at 900)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=float(os.environ.get("BENCH_TIMEOUT") or 900) - 60,
        help="the drain ends in time for the bench to report within this many seconds of its start "
        "(default: BENCH_TIMEOUT, after which make bench stops a bench, 900 unless set, less 60)",
    )
    parser.add_argument(
        "--stall", type=float, default=60.0, help="give up when no effect arrived for this long (default 60)"
    )
    parser.add_argument("--warmup", type=int, default=4, help="journeys before the timed ones, not counted")
    parser.add_argument(
        "--quiet-rate",
        type=float,
        default=15.0,
        help="FerretDB commands/s under which the system counts as idle after the warm-up (default 15)",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, help="longest wait for that quiet before the idle window (s)"
    )
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="idle window measured before the timed phase")
    parser.add_argument("--poll", type=float, default=0.25, help="how often the console's read model is looked at (s)")
    parser.add_argument(
        "--no-fsync", action="store_true", help="PostgreSQL without fsync (as the tests run it), to compare"
    )
    parser.add_argument("--json", type=Path, help="write every figure (and targets_v3) here")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the servers' and services' logs")
    args = parser.parse_args(argv)
    count = round(args.rate * args.seconds)
    places = PLACES_PER_TEAM * len(default_teams())
    if count + args.warmup > places:
        parser.error(f"{count + args.warmup} journeys do not fit the teams' {places} places: lower --rate or --seconds")

    workdir = Path(tempfile.mkdtemp(prefix="trygg-journey-"))
    footprint = Footprint()
    system: System | None = None
    started = time.monotonic()
    try:
        system = System(workdir, durable=not args.no_fsync)
        footprint.start()
        system.start(footprint)
        console.print(f"servers and services up in {time.monotonic() - started:.1f} s; {count} journeys follow")
        driver = Driver(system, args, footprint, started)
        sent = asyncio.run(driver.run())
        load = os.getloadavg()
        footprint.stop()
        result = report(driver, sent, args)
    except Exception:  # noqa: BLE001 - printed; servers are stopped below
        traceback.print_exc()
        return 1
    finally:
        footprint.stop()
        if system is not None:
            system.stop()
        if args.keep_workdir:
            console.print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result["targets_v3"] = targets(result) + footprint.targets()
    result["footprint"] = footprint.rows()
    result["load_average"] = list(load)
    result["machine"] = {"cores": os.cpu_count(), "python": platform.python_version()}
    result["whole_run_seconds"] = round(time.monotonic() - started, 1)
    print_result(result, footprint, load)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0 if result["complete"] else 2


if __name__ == "__main__":
    sys.exit(main())
