"""Scale-out shown (#21 target 6): the same consumer backlog handled by one and by two instances of
each consumer group (scheduling, notification, billing, console).

    .venv/bin/python bench/scaleout/run.py [--journeys 20] [--json PATH] [--keep-workdir]

1. **The system and its backlog.** The fault suite's `FaultSystem` (tests/faults/harness.py): its
   own PostgreSQL, FerretDB and Kafka on free loopback ports, the five services as processes and a
   fake 46elks gateway. The suite's calibration scenario runs first (3 journeys: it measures the
   visits and SMS of one decision, the ledger's reference), then `--journeys` more, each a signed
   `utskrivningsklar` webhook and an officer's decision with one consenting and one refusing
   relative. The whole system handles them; the ledger must balance (no effect missing or
   repeated) before anything is timed. Every record on the eight topics is then read back: that
   is the backlog, recorded once. The five services are stopped.
2. **Per consumer group, one then two instances.** The instances get a new, empty database
   (scheduling's teams copied in as they were before the first journey: team settings come over
   HTTP, not Kafka), new consumer groups (`<PREFIX>CONSUMER_GROUP`) and each its own Kafka client
   id (`<PREFIX>KAFKA__CLIENT_ID`), so the broker says which partitions each holds. The topics the
   group reads are emptied first (Kafka `DeleteRecords` up to their end: no run's own output
   reaches the next). The instances are started together and waited for until every group is
   stable with each instance holding partitions; only then is the recorded backlog published to
   the topics again, the same records in the same order per partition (same keys), in one burst
   far faster than the consumers take it. So one and two instances start on the same backlog at
   the same moment, and no instance has it to itself while another is still starting. The clock
   runs from the first record published until the groups' lag on every topic they read is 0 and
   stays 0 for `--quiet` seconds (a group's own output that it reads back, e.g. notification's
   events or scheduling's periods for its capacity, counts as work).
3. **Counted.** Records handled per instance: each instance's `trygg_events_handled_total`
   (`/metrics`, summed over the run's groups; repeats the consumer guard skipped and event types
   the group does not handle are not counted); partitions held per instance (the group
   coordinator's assignment, `DescribeGroups`); throughput = records handled when the lag reached
   0 / seconds from the backlog's first record; the lag at the end (after the effects settled);
   **duplicate and missing effects** from the fault suite's ledger (`FaultSystem.settle`: per
   case, what every service's store and the SMS gateway hold, against the reference), with the
   group's database swapped for the run's. For notification the gateway is emptied before each
   run, so each run's SMS are counted alone.

On a 2-core machine two instances are not expected to be faster: they share the same two cores
with FerretDB, PostgreSQL and Kafka. The point is that the partitions divide the work between the
instances with no duplicate effects; the throughput ratio is printed for what it is.

Bounded: `--journeys` (20) journeys, `--phase-seconds` (120) per run, `--max-seconds` (480) overall
(no group starts after it; its rows are then missed); everything is stopped in `finally` and on
SIGTERM. Exit status: 0 every target met, 2 a target missed, 1 the bench failed or did not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete  # noqa: E402
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.scaleout.split import Division, Pair, done_at, group_targets, groups_of, lag, not_run_targets, throughput_row  # noqa: E402
from devstack.servers import free_port  # noqa: E402
from devstack.stack import ServiceProcess  # noqa: E402
from tests.faults.harness import CONSUMERS, Accepted, FaultSystem  # noqa: E402
from tests.faults.test_faults import test_fault_free_run_calibrates_the_reference  # noqa: E402

console = Console(width=150)
Offsets = dict[tuple[str, int], int]
HANDLED = "trygg_events_handled_total"
DEAD_LETTERED = "trygg_events_dead_lettered_total"
TWO_CORES_NOTE = (
    "On this machine two instances share the same cores with FerretDB, PostgreSQL and Kafka: they need"
    " not be faster. What scale-out must show is the partitions dividing the work with no duplicate effects."
)


class _Renamed:
    """`client[name]` with some databases swapped for others (a run's fresh database)."""

    def __init__(self, client: MongoClient[dict[str, Any]], names: dict[str, str]) -> None:
        self._client = client
        self._names = names

    def __getitem__(self, name: str) -> Any:
        return self._client[self._names.get(name, name)]


class ScaleoutSystem(FaultSystem):
    """The fault suite's system; the ledger reads a run's database instead of the service's own,
    and every journey is remembered (the calibration's too)."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.renamed: dict[str, str] = {}
        self.journeys: list[Accepted] = []

    @property
    def client(self) -> MongoClient[dict[str, Any]]:
        return super().db

    @property
    def db(self) -> Any:  # the ledger's `self.db[service]`
        return _Renamed(super().db, self.renamed)

    def journey(self, team_name: str, *, decide: bool = True) -> Accepted:
        accepted = super().journey(team_name, decide=decide)
        self.journeys.append(accepted)
        return accepted


@dataclass
class Run:
    service: str
    instances: int
    database: str
    group_base: str
    pairs: list[Pair]
    backlog: int = 0  # records on the run's topics when it started
    records_at_end: int = 0  # the same at the end (the group's own output included)
    handled: dict[str, int] = field(default_factory=dict)  # per instance (client id), at the end
    handled_at_done: dict[str, int] = field(default_factory=dict)
    dead_lettered: int = 0
    partitions: dict[str, int] = field(default_factory=dict)  # per instance, at the end
    startup_seconds: float | None = None  # spawn until every instance holds partitions of every group
    publish_seconds: float | None = None  # the backlog's publishing (the consumers already at work)
    backlog_seconds: float | None = None  # from the backlog's first record until the lag stayed 0
    effects_after: float | None = None
    end_lag: int | None = None
    expected: int = 0
    found: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0  # the whole run: topics, start-up, backlog, ledger, stop

    @property
    def throughput(self) -> float | None:
        if not self.backlog_seconds or not self.handled_at_done:
            return None
        return sum(self.handled_at_done.values()) / self.backlog_seconds


# --- Kafka ------------------------------------------------------------------------------------


async def _offsets(bootstrap: str, topics: Sequence[str]) -> tuple[Offsets, Offsets]:
    """(first offset, end offset) of every partition of `topics`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): o for tp, o in starts.items()}, {
            (tp.topic, tp.partition): o for tp, o in ends.items()
        }
    finally:
        await consumer.stop()


async def _empty(bootstrap: str, topics: Sequence[str]) -> None:
    """Delete every record of `topics` (their offsets go on from where they were)."""
    _, ends = await _offsets(bootstrap, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        todo = {TopicPartition(t, p): RecordsToDelete(end) for (t, p), end in ends.items() if end > 0}
        if todo:
            await admin.delete_records(todo, timeout_ms=30_000)
    finally:
        await admin.close()


async def _committed(admin: AIOKafkaAdminClient, groups: Sequence[str]) -> dict[str, dict[tuple[str, int], int]]:
    out: dict[str, dict[tuple[str, int], int]] = {}
    for group in groups:
        offsets = await admin.list_consumer_group_offsets(group)
        out[group] = {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    return out


async def _members(bootstrap: str, groups: Sequence[str]) -> dict[str, tuple[str, dict[str, int]]]:
    """Per group: its state and the partitions each member holds, by Kafka client id (the
    coordinator's current assignment)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    out: dict[str, tuple[str, dict[str, int]]] = {}
    try:
        for group_id in groups:
            # One group per request: aiokafka 0.14 decodes a v3 answer with the v2 layout, which
            # holds for the first group only (the v3 field that follows it is left unread).
            for response in await admin.describe_consumer_groups([group_id]):
                for group in response.groups:
                    held: dict[str, int] = {}
                    for member in group[5]:
                        client_id, assignment = member[1], member[4]
                        partitions = (
                            ConsumerProtocolMemberAssignment.decode(assignment).partitions() if assignment else []
                        )
                        held[client_id] = held.get(client_id, 0) + len(partitions)
                    out[group[1]] = (group[2], held)
    finally:
        await admin.close()
    return out


async def _joined(bootstrap: str, groups: Sequence[str], clients: Sequence[str], *, within: float) -> None:
    """Wait until every group is stable with every instance holding partitions."""
    deadline = time.monotonic() + within
    while True:
        members = await _members(bootstrap, groups)
        ready = all(
            g in members and members[g][0] == "Stable" and all(members[g][1].get(c, 0) > 0 for c in clients)
            for g in groups
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the instances did not all join {list(groups)} within {within:.0f} s: {members}")
        await asyncio.sleep(0.5)


async def _watch(
    bootstrap: str,
    pairs: Sequence[Pair],
    starts: Offsets,
    *,
    within: float,
    quiet: float,
    alive: Any,
    on_done: Any = None,
) -> tuple[list[tuple[float, int]], float | None]:
    """Poll the run's lag until it is 0 for `quiet` seconds: (samples, when the last zero began)."""
    topics = sorted({t for _, t in pairs})
    groups = sorted({g for g, _ in pairs})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    samples: list[tuple[float, int]] = []
    try:
        tps = [TopicPartition(t, p) for (t, p) in starts if t in topics]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            ends = {(tp.topic, tp.partition): o for tp, o in (await consumer.end_offsets(tps)).items()}
            committed = await _committed(admin, groups)
            now = time.monotonic()
            behind = sum(lag(pairs, starts, ends, committed).values())
            samples.append((now, behind))
            done = done_at(samples, quiet)
            if done is not None:
                if on_done is not None:
                    on_done()
                return samples, done
            alive()
            await asyncio.sleep(0.25)
        return samples, None
    finally:
        await consumer.stop()
        await admin.close()


# --- the instances ----------------------------------------------------------------------------


def _instance(system: ScaleoutSystem, service: str, database: str, group: str, client: str) -> ServiceProcess:
    """A process of `service` with the fault suite's settings, on a run's database and groups."""
    base = system.service(service)
    prefix = base.spec.env_prefix
    port = free_port()
    env = dict(base.env)
    env[f"{prefix}MONGO__DATABASE"] = database
    env[f"{prefix}CONSUMER_GROUP"] = group
    env[f"{prefix}KAFKA__CLIENT_ID"] = client
    env[f"{prefix}HTTP__PORT"] = str(port)
    env[f"{prefix}LOGGING__LEVEL"] = "WARNING"
    if service == "notification":
        env["NOTIFICATION_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    return ServiceProcess(base.spec, port, env, system.workdir / "logs" / client)


def _counters(proc: ServiceProcess, groups: set[str]) -> tuple[int, int]:
    """(handled, dead-lettered) events of `groups` in one instance's `/metrics`."""
    text = httpx.get(f"{proc.url}/metrics", timeout=10).text
    handled = dead = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("group") not in groups:
                continue
            if sample.name == HANDLED:
                handled += int(sample.value)
            elif sample.name == DEAD_LETTERED:
                dead += int(sample.value)
    return handled, dead


def run_group(
    system: ScaleoutSystem,
    service: str,
    instances: int,
    original_pairs: Sequence[Pair],
    backlog: dict[str, list[Any]],
    teams: list[dict[str, Any]],
    args: argparse.Namespace,
) -> Run:
    """One run: `instances` processes of `service` on a fresh database and fresh groups, joined
    before the recorded backlog is published to the group's topics (emptied first), timed until
    the groups' lag is 0; then the ledger and the counters."""
    begun = time.monotonic()
    tag = f"so{instances}x{os.getpid() % 1000}"
    run = Run(service, instances, f"{service}_{tag}", f"{service}-{tag}", [])
    run.pairs = groups_of(service, original_pairs, run.group_base)
    topics = sorted({t for _, t in run.pairs})
    groups = sorted({g for g, _ in run.pairs})
    bootstrap = system.stack.kafka.bootstrap_servers

    asyncio.run(_empty(bootstrap, topics))
    starts, _ = asyncio.run(_offsets(bootstrap, topics))  # the first offset of this run's backlog
    client = system.client
    client.drop_database(run.database)
    if service == "scheduling" and teams:
        client[run.database]["teams"].insert_many(teams)
    if service == "notification":
        system.gateway.fake.messages.clear()
        system.gateway.fake.attempts.clear()
    system.renamed = {service: run.database}

    names = [f"{service}-{tag}-i{k}" for k in range(1, instances + 1)]
    procs = [_instance(system, service, run.database, run.group_base, name) for name in names]

    def alive() -> None:
        for proc in procs:
            if not proc.alive():
                raise RuntimeError(f"{proc.spec.name} exited:\n{proc.proc.tail()}")

    def at_done() -> None:
        run.handled_at_done = {n: _counters(p, set(groups))[0] for n, p in zip(names, procs, strict=True)}

    try:
        spawned = time.monotonic()
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready(90)
        asyncio.run(_joined(bootstrap, groups, names, within=60))
        run.startup_seconds = time.monotonic() - spawned
        published = time.monotonic()
        for topic in topics:
            system.publish_raw(topic, [(r.key, r.value, list(r.headers or ())) for r in backlog[topic]])
        run.publish_seconds = time.monotonic() - published
        run.backlog = sum(len(backlog[t]) for t in topics)
        samples, done = asyncio.run(
            _watch(
                bootstrap, run.pairs, starts, within=args.phase_seconds, quiet=args.quiet, alive=alive, on_done=at_done
            )
        )
        if done is None:
            run.error = f"the backlog was not done within {args.phase_seconds:.0f} s"
        else:
            run.backlog_seconds = done - published
        expected, found, duplicates, problems = system.settle(system.journeys, within=args.settle_seconds)
        run.effects_after = time.monotonic() - published
        run.expected, run.found, run.duplicates, run.problems = expected, found, duplicates, problems
        samples, _ = asyncio.run(_watch(bootstrap, run.pairs, starts, within=30, quiet=1.0, alive=alive))
        run.end_lag = samples[-1][1] if samples else None
        counts = {n: _counters(p, set(groups)) for n, p in zip(names, procs, strict=True)}
        run.handled = {n: c[0] for n, c in counts.items()}
        run.dead_lettered = sum(c[1] for c in counts.values())
        held = asyncio.run(_members(bootstrap, groups))
        run.partitions = {n: sum(members.get(n, 0) for _, members in held.values()) for n in names}
        _, ends = asyncio.run(_offsets(bootstrap, topics))
        run.records_at_end = sum(ends[tp] - starts[tp] for tp in ends)
    finally:
        with ThreadPoolExecutor(len(procs)) as pool:  # each waits for its graceful shutdown: together
            list(pool.map(lambda proc: proc.stop(), procs))
        system.renamed = {}
        run.seconds = time.monotonic() - begun
    return run


# --- the bench --------------------------------------------------------------------------------


def prepare(system: ScaleoutSystem, journeys: int) -> tuple[list[Pair], dict[str, list[Any]], list[dict[str, Any]]]:
    """The calibration and the journeys through the whole system; the recorded backlog."""
    system.start()
    system.team("f-calibration")
    team = system.team("so-bench")
    teams = list(system.client["scheduling"]["teams"].find())  # before any journey touched them
    test_fault_free_run_calibrates_the_reference(system)
    for _ in range(journeys):
        system.journey(team)
    expected, found, duplicates, problems = system.settle(system.journeys, within=180)
    behind = system.wait_no_lag()
    if problems or duplicates or behind:
        raise RuntimeError(f"the whole system's run does not balance: {problems[:10]} {behind}")
    console.print(f"backlog: {len(system.journeys)} journeys, ledger {found}/{expected} effects, 0 duplicates")
    pairs = sorted(system.lag())
    topics = sorted({t for _, t in pairs if not t.startswith("trygg.dlq.")})
    backlog = {topic: system.records(topic) for topic in topics}
    for svc in system.stack.services.values():
        svc.stop()
    return pairs, backlog, teams


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        return "?"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(service: str, runs: list[Run]) -> Table:
    t = Table(title=f"{service}: the same backlog, one and two instances", title_justify="left")
    columns = (
        "instances",
        "instance",
        "partitions held",
        "records handled",
        "share",
        "records on its topics",
        "backlog s",
        "records/s",
        "lag at end",
        "effects found/expected",
        "duplicate effects",
        "dead-lettered",
    )
    for column in columns:
        t.add_column(column, justify="left" if column == "instance" else "right")
    for run in runs:
        together = sum(run.handled.values())
        for k, (name, n) in enumerate(run.handled.items(), start=1):
            share = f"{(n / together if together else 0):.0%}"
            t.add_row(str(run.instances), f"#{k}", str(run.partitions.get(name, 0)), f"{n:,}", share)
        t.add_row(
            str(run.instances),
            "together" if run.instances > 1 else "alone",
            str(sum(run.partitions.values())),
            f"{together:,}",
            "",
            f"{run.records_at_end:,}",
            _fmt(run.backlog_seconds),
            _fmt(run.throughput),
            str(run.end_lag),
            f"{run.found:,}/{run.expected:,}",
            str(run.duplicates),
            str(run.dead_lettered),
            end_section=True,
        )
    return t


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=20, help="journeys in the backlog besides the calibration's 3")
    parser.add_argument("--groups", default=",".join(CONSUMERS), help="consumer groups to run (comma-separated)")
    parser.add_argument("--phase-seconds", type=float, default=120.0, help="deadline of one run's backlog")
    parser.add_argument("--settle-seconds", type=float, default=90.0, help="deadline of one run's effects")
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds of lag 0 that end a run")
    parser.add_argument("--max-seconds", type=float, default=480.0, help="no group starts after this")
    parser.add_argument("--json", type=Path, help="write every figure here (with `targets_v3`)")
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args(argv)
    chosen = [g for g in args.groups.split(",") if g]
    unknown = set(chosen) - set(CONSUMERS)
    if unknown:
        parser.error(f"unknown groups: {sorted(unknown)} (known: {', '.join(CONSUMERS)})")

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="trygg-scaleout-"))
    report: dict[str, Any] = {
        "uptime_before": uptime(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "journeys": args.journeys,
        "groups": {},
        "targets_v3": [],
    }
    console.print(f"load: {report['uptime_before']}")
    system = ScaleoutSystem(workdir)
    failed = False
    try:
        pairs, backlog, teams = prepare(system, args.journeys)
        report["backlog"] = {topic: len(records) for topic, records in backlog.items()}
        report["journeys_total"] = len(system.journeys)
        for service in chosen:
            if time.monotonic() - started > args.max_seconds:
                console.print(f"[yellow]{service}: not run, --max-seconds {args.max_seconds:.0f} passed[/]")
                report["targets_v3"] += not_run_targets(service)
                failed = True
                continue
            runs: list[Run] = []
            for n in (1, 2):
                try:
                    runs.append(run_group(system, service, n, pairs, backlog, teams, args))
                except Exception as exc:  # noqa: BLE001 - one group's failure is reported, the others run
                    failed = True
                    console.print(f"[red]{service} x{n} failed: {exc}[/]")
                    traceback.print_exc()
                    break
            report["groups"][service] = finish_group(service, runs, report)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: the runs so far are printed[/]")
        failed = True
    except Exception:  # noqa: BLE001 - the bench failed: say why, stop the servers
        traceback.print_exc()
        failed = True
    finally:
        system.stop()
        if args.keep_workdir:
            console.print(f"workdir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["uptime_after"] = uptime()
    report["seconds"] = round(time.monotonic() - started, 1)
    print_targets(report["targets_v3"])
    console.print(TWO_CORES_NOTE)
    console.print(f"load after: {report['uptime_after']}; whole run {report['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if failed:
        return 1
    return 0 if all(row["met"] for row in report["targets_v3"] if row["met"] is not None) else 2


def finish_group(service: str, runs: list[Run], report: dict[str, Any]) -> dict[str, Any]:
    """Print one group's table and add its target rows; its figures for the JSON."""
    console.print(table(service, runs))
    for run in runs:
        if run.error or run.problems:
            console.print(f"[red]{service} x{run.instances}: {run.error or ''} {run.problems[:5]}[/]")
    one = next((r for r in runs if r.instances == 1), None)
    two = next((r for r in runs if r.instances == 2), None)
    ratio = None
    if one is not None and two is not None and one.throughput and two.throughput:
        ratio = two.throughput / one.throughput
        console.print(
            f"{service}: {one.throughput:,.1f} → {two.throughput:,.1f} records/s with two instances"
            f" (× {ratio:.2f}); {TWO_CORES_NOTE}"
        )
    if one is not None and two is not None:
        division = Division(two.handled, sum(one.handled.values()))
        duplicates = one.duplicates + two.duplicates
        lags = [r.end_lag for r in (one, two)]
        end_lag = max(lags) if None not in lags else -1  # -1: not measured (missed)
        missing = (one.expected - one.found) + (two.expected - two.found)
        report["targets_v3"] += group_targets(service, division, duplicates, end_lag, missing)
        report["targets_v3"].append(throughput_row(service, one.throughput, two.throughput))
    else:
        report["targets_v3"] += not_run_targets(service)
    return {"runs": [vars(r) | {"throughput": r.throughput} for r in runs], "ratio_two_to_one": ratio}


def print_targets(rows: list[dict[str, Any]]) -> None:
    t = Table(title="#21 target 6: scale-out shown", title_justify="left")
    for column in ("figure", "value", "target", "met"):
        t.add_column(column, justify="left" if column == "figure" else "right")
    for row in rows:
        t.add_row(
            row["figure"],
            f"{row['value']:g}",
            "figure" if row["limit"] == "figure" else f"{'=' if row['limit'] == 0 else '≥'} {row['limit']:g}",
            "–" if row["met"] is None else "[green]met[/]" if row["met"] else "[red]missed[/]",
        )
    console.print(t)


if __name__ == "__main__":
    sys.exit(main())
