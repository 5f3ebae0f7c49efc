"""Benchmark of the notification service: from a decision event on Kafka to the SMS at the gateway.

Starts throwaway Kafka + PostgreSQL + FerretDB on PostgreSQL (from `.local/`, as `make install`
installed them) on free 127.0.0.1 ports in a temporary folder, a fake 46elks-compatible gateway in
this process (`notification.fake_gateway`, real HTTP on loopback), and, per rate, a fresh
notification process (new database, new consumer groups) configured for 46elks at that gateway.

For each rate (default 20 and 100 events/s) it publishes `decision_granted` events with one
consented relative each (a distinct phone number per event) in an open loop: event i is sent at
start + i/rate whether or not earlier ones were handled, so a stall counts in full. Latency is from
that scheduled send time to the moment the gateway received the SMS (one clock: this process's).
Bounded: `--seconds` per rate (so rate x seconds events, at most `--max-events`) and a `--drain`
deadline for stragglers; everything is stopped in `finally`.

    .venv/bin/python bench/notification/run.py [--rates 20,100] [--seconds 10] [--drain 60] [--json PATH]

Database round trips: FerretDB counts every MongoDB command it receives
(`ferretdb_client_requests_total` on its debug port, per command), as in `bench/intake/run.py`.
Per rate the counters are read after the warm-up, over an idle `--idle-seconds` window (the
service's polling: dispatcher, timers, relay lease), and from the first event until the drain
ended plus `--settle` seconds (delivery reports and the relay's last writes). Reported per SMS
that arrived: all commands of the phase, and the same minus the idle polling rate times the
phase's duration (the commands the SMS themselves cost). `bench/notification/roundtrips.py`
breaks the same figure down by collection and by stage.

Exit status: 0 every SMS arrived, 2 some did not arrive in time, 1 a phase failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from devstack.servers import FerretDBServer, KafkaServer, PostgresServer, free_port
from devstack.stack import SERVICES, ServiceProcess, service_env
from notification.bootstrap import RELAY_SETTLE_SECONDS
from notification.fake_gateway import FakeElks
from trygg_shared.contracts.topics import ALL_TOPICS, REFERRAL_CASE_EVENTS
from trygg_shared.kafka import ensure_topics
from trygg_shared.testing import event_record, sample_decision_granted

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: `bench.common`
from bench.common.footprint import cpu_seconds

console = Console(width=140)
SPEC = next(s for s in SERVICES if s.name == "notification")


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def decision_record(phone: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    event = sample_decision_granted(phone, team="Team Bench", granted_by="officer:bench")
    record = event_record(event, source="urn:trygghemgang:bench", sequence=1)
    return record.key or b"", record.value, list(record.headers.items())


class Servers:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.kafka = KafkaServer(workdir / "kafka")
        self.postgres = PostgresServer(workdir / "postgres")
        self.ferretdb = FerretDBServer(workdir / "ferretdb", postgres_url=self.postgres.url)
        self.process: ServiceProcess | None = None

    def start(self) -> None:
        self.kafka.start()
        self.postgres.start()
        self.postgres.wait_ready(60)
        self.ferretdb.start()
        self.ferretdb.wait_ready(60)
        self.kafka.wait_ready(90)

    def fresh_notification(self, tag: str, gateway: FakeElks) -> ServiceProcess:
        self.stop_notification()
        port = free_port()
        env = service_env(
            SPEC,
            kafka=self.kafka.bootstrap_servers,
            mongo_uri=self.ferretdb.uri,
            port=port,
            database=f"notification_bench_{tag}_{uuid.uuid4().hex[:6]}",
            postgres_url=self.postgres.url,
        )
        env.update(
            {
                "NOTIFICATION_LOGGING__LEVEL": "WARNING",
                "NOTIFICATION_CONSUMER_GROUP": f"notification-bench-{tag}-{uuid.uuid4().hex[:6]}",
                "NOTIFICATION_PROVIDER": "46elks",
                "NOTIFICATION_ELKS__BASE_URL": gateway.base_url,
                "NOTIFICATION_ELKS__USERNAME": gateway.username,
                "NOTIFICATION_ELKS__PASSWORD": gateway.password,
                "NOTIFICATION_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "NOTIFICATION_QUIET_HOURS_START": "00:00",
                "NOTIFICATION_QUIET_HOURS_END": "00:00",
                "NOTIFICATION_RELATIVE_DAILY_CAP": "100",
                # No scheduling here: the start text would wait for a homecoming time that never comes.
                "NOTIFICATION_START_TEXT_WAIT_SECONDS": "0",
            }
        )
        self.process = ServiceProcess(SPEC, port, env, self.workdir / "logs" / tag)
        self.process.start()
        return self.process

    def stop_notification(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def stop(self) -> None:
        self.stop_notification()
        self.ferretdb.stop()
        self.postgres.stop()
        self.kafka.stop()


def command_diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return {k: v for k, v in sorted(diff.items(), key=lambda kv: -kv[1]) if v > 0}


async def one_rate(
    servers: Servers,
    gateway: FakeElks,
    rate: float,
    seconds: float,
    drain: float,
    max_events: int,
    idle_seconds: float = 5.0,
    settle: float = RELAY_SETTLE_SECONDS + 2.0,  # the relay empties what no save emptied after RELAY_SETTLE_SECONDS
) -> dict[str, Any]:
    process = servers.fresh_notification(f"r{int(rate)}", gateway)
    await asyncio.to_thread(process.wait_ready, 90)
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka.bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    loop = asyncio.get_running_loop()
    try:
        # Warm-up: the consumer groups join and the first round trips are paid before timing.
        warm = [f"+4679{uuid.uuid4().int % 10**7:07d}" for _ in range(10)]
        for phone in warm:
            key, value, headers = decision_record(phone)
            await producer.send_and_wait(REFERRAL_CASE_EVENTS, value, key=key, headers=headers)
        deadline = loop.time() + 90
        while not {m.to for m in gateway.messages} >= set(warm) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)

        # The service's idle polling (dispatcher, timers, relay lease), to subtract below.
        await asyncio.sleep(settle)  # the warm-up's delivery reports and relay writes
        idle_from, idle_start = servers.ferretdb.command_counts(), loop.time()
        await asyncio.sleep(idle_seconds)
        idle = command_diff(idle_from, servers.ferretdb.command_counts())
        idle_per_second = {k: v / (loop.time() - idle_start) for k, v in idle.items()}

        count = min(int(rate * seconds), max_events)
        phones = [f"+4678{i:03d}{uuid.uuid4().int % 10**4:04d}" for i in range(count)]
        records = [decision_record(p) for p in phones]
        scheduled: dict[str, float] = {}
        sends: list[asyncio.Task[Any]] = []
        commands_before, phase_start = servers.ferretdb.command_counts(), loop.time()
        cpu_before = cpu_seconds(process.proc.pid())
        start = loop.time() + 0.2
        for i, (phone, (key, value, headers)) in enumerate(zip(phones, records, strict=True)):
            at = start + i / rate
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            scheduled[phone] = at
            sends.append(
                asyncio.create_task(producer.send_and_wait(REFERRAL_CASE_EVENTS, value, key=key, headers=headers))
            )
        await asyncio.gather(*sends)
        sent_rate = count / max(loop.time() - start, 1e-9)
        deadline = loop.time() + drain
        wanted = set(phones)
        while loop.time() < deadline:
            if {m.to for m in gateway.messages} >= wanted:
                break
            await asyncio.sleep(0.1)
        arrived = {m.to: m.received_at_monotonic for m in gateway.messages if m.to in wanted}
        await asyncio.sleep(settle)
        phase = command_diff(commands_before, servers.ferretdb.command_counts())
        cpu_after = cpu_seconds(process.proc.pid())
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        phase_seconds = loop.time() - phase_start
        polling = {k: v * phase_seconds for k, v in idle_per_second.items()}
        net = {k: max(0.0, v - polling.get(k, 0.0)) for k, v in phase.items()}
        latencies = [arrived[p] - scheduled[p] for p in phones if p in arrived]
        duplicates = len([m for m in gateway.messages if m.to in wanted]) - len(arrived)
        # SMS per second the service delivered: those that arrived, over the time from the first
        # scheduled event to the last arrival.
        span = max(arrived.values()) - start if arrived else 0.0

        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 1)

        return {
            "rate": rate,
            "events": count,
            "sent_per_second": round(sent_rate, 1),
            "arrived": len(arrived),
            "missing": count - len(arrived),
            "duplicates": duplicates,
            "sms_per_second": round(len(arrived) / span, 1) if span > 0 else None,
            "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)),
            "max_ms": ms(max(latencies) if latencies else None),
            # The notification process's CPU time from the first event to the end of the drain, per SMS.
            "cpu_ms_per_sms": round(cpu * 1000 / len(arrived), 1) if cpu is not None and arrived else None,
            "db_round_trips": {
                "phase_seconds": round(phase_seconds, 1),
                "total": sum(phase.values()),
                "per_sms": round(sum(phase.values()) / len(arrived), 2) if arrived else None,
                "idle_per_second": round(sum(idle_per_second.values()), 2),
                "per_sms_without_polling": round(sum(net.values()) / len(arrived), 2) if arrived else None,
                "by_command_per_sms": {k: round(v / len(arrived), 2) for k, v in net.items() if v} if arrived else {},
            },
        }
    finally:
        await producer.stop()
        servers.stop_notification()


async def run(
    servers: Servers, rates: list[float], seconds: float, drain: float, max_events: int, report_delay: float
) -> list[dict[str, Any]]:
    await ensure_topics(servers.kafka.bootstrap_servers, ALL_TOPICS)
    gateway = FakeElks(report_delay=report_delay)
    await gateway.start()
    results = []
    try:
        for rate in rates:
            console.print(f"[bold]rate {rate:g} events/s[/] for {seconds:g} s ...")
            results.append(await one_rate(servers, gateway, rate, seconds, drain, max_events))
    finally:
        await gateway.stop()
    return results


# Issue #21, target 3: (figure as bench/summary.py names it, limit, "max" or "min" allowed).
COMMANDS_LIMIT, SMS_RATE_LIMIT, P99_LIMIT_MS = 10.0, 60.0, 1000.0


def targets_v3(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The three figures of target 3 from this run, each with its limit and met/missed.

    Commands per SMS: the highest of the rates run (FerretDB's counters, idle polling subtracted).
    SMS/s: at 100 events/s offered. p99: at 20 events/s, met only when every SMS arrived.
    """
    by_rate = {x["rate"]: x for x in results}
    trips = [x["db_round_trips"]["per_sms_without_polling"] for x in results]
    commands = max((t for t in trips if t is not None), default=None)
    at100, at20 = by_rate.get(100.0), by_rate.get(20.0)
    sms_rate = at100["sms_per_second"] if at100 else None
    p99 = at20["p99_ms"] if at20 and at20["missing"] == 0 else None

    def row(figure: str, value: float | None, limit: float, met: bool) -> dict[str, Any]:
        return {"target": "3", "figure": figure, "value": value, "limit": limit, "met": met}

    commands_met = commands is not None and commands <= COMMANDS_LIMIT
    rate_met = sms_rate is not None and sms_rate >= SMS_RATE_LIMIT
    return [
        row("database commands per SMS", commands, COMMANDS_LIMIT, commands_met),
        row("SMS/s offered 100 events/s", sms_rate, SMS_RATE_LIMIT, rate_met),
        row("decision → SMS p99 at 20 events/s", p99, P99_LIMIT_MS, p99 is not None and p99 <= P99_LIMIT_MS),
    ]


def print_targets(rows: list[dict[str, Any]]) -> None:
    table = Table(title="issue #21, target 3 (this run)")
    for column in ("figure", "this run", "target", "met?"):
        table.add_column(column)
    bounds = {"database commands per SMS": "≤", "SMS/s offered 100 events/s": "≥"}
    for r in rows:
        unit = " ms" if "p99" in r["figure"] else ""
        value = "not measured" if r["value"] is None else f"{r['value']:g}{unit}"
        limit = f"{bounds.get(r['figure'], '≤')} {r['limit']:g}{unit}"
        table.add_row(r["figure"], value, limit, "[green]met[/]" if r["met"] else "[bold red]missed[/]")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="20,100", help="Comma-separated events per second.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds of sending per rate.")
    parser.add_argument("--drain", type=float, default=60.0, help="Seconds to wait for the last SMS.")
    parser.add_argument("--max-events", type=int, default=2000, help="Upper bound of events per rate.")
    parser.add_argument(
        "--report-delay",
        type=float,
        default=0.05,
        help="Seconds from a send to the gateway's delivery report (46elks: when the phone has it, seconds later).",
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args()
    rates = [float(x) for x in args.rates.split(",") if x]

    workdir = Path(tempfile.mkdtemp(prefix="bench-notification-"))
    servers = Servers(workdir)
    try:
        console.print(f"starting Kafka, PostgreSQL and FerretDB in {workdir} ...")
        servers.start()
        results = asyncio.run(run(servers, rates, args.seconds, args.drain, args.max_events, args.report_delay))
    except Exception:  # noqa: BLE001 - report and exit 1, servers stopped below
        traceback.print_exc()
        return 1
    finally:
        servers.stop()
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    table = Table(title="decision_granted on Kafka -> SMS at the (fake 46elks) gateway, loopback")
    columns = ("events/s", "events", "sent/s", "arrived", "missing", "dupl.", "SMS/s", "p50 ms", "p99 ms", "max ms")
    for column in (*columns, "trips/SMS", "w/o polling", "CPU ms/SMS"):
        table.add_column(column, justify="right")
    for x in results:
        table.add_row(
            f"{x['rate']:g}",
            str(x["events"]),
            str(x["sent_per_second"]),
            str(x["arrived"]),
            str(x["missing"]),
            str(x["duplicates"]),
            str(x["sms_per_second"]),
            str(x["p50_ms"]),
            str(x["p99_ms"]),
            str(x["max_ms"]),
            str(x["db_round_trips"]["per_sms"]),
            str(x["db_round_trips"]["per_sms_without_polling"]),
            str(x["cpu_ms_per_sms"]),
        )
    console.print(table)
    for x in results:
        trips = x["db_round_trips"]
        by = ", ".join(f"{k} {v}" for k, v in trips["by_command_per_sms"].items())
        console.print(
            f"{x['rate']:g}/s: {trips['total']} commands in {trips['phase_seconds']} s, idle polling"
            f" {trips['idle_per_second']}/s; per SMS without polling: {by}"
        )
    console.print(
        f"cores: {os.cpu_count()}, {platform.processor() or platform.machine()}, python {sys.version.split()[0]}"
    )
    console.print(
        "webhook -> Kafka (referral's intake): see `make bench` (bench/intake/run.py) for the figure beside this."
    )
    rows = targets_v3(results)
    print_targets(rows)
    console.print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        report = {"results": results, "targets_v3": rows, "loadavg": os.getloadavg(), "at": time.time()}
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(x["missing"] == 0 for x in results) else 2


if __name__ == "__main__":
    sys.exit(main())
