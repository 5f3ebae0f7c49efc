"""Graceful overload at referral's webhook intake (#21 target 2): the curve at 0.5×, 1×, 2×, 4× of what it sustains.

Starts throwaway Kafka + PostgreSQL + FerretDB (as `run.py` does, with its `Stack`), then:

1. **sustained rate**: closed loop, `--concurrency` clients (default: the gate's `max_in_flight`)
   each sending the next signed webhook when the last is answered (after a 503, when its
   `Retry-After` has passed, as a Standard Webhooks sender does), for `--sustain-seconds`;
   accepted (202) per second is the rate the intake sustains;
2. **open loop** at each multiple of that rate (`--multiples`, default 0.5,1,2,4) for `--seconds`
   each: request *i* is sent at *start + i/rate* whatever happened to the others, latency counted
   from that scheduled time (no coordinated omission). A 503 is not sent again (the curve shows
   what the intake does with what it is offered, not a sender's retry schedule).

Every phase gets a fresh referral process with a new, empty database (as in `run.py`). Per phase:
offered and achieved send rate, accepted/s and refused/s, p50/p99 of the accepted answers, p99 of
the 503 answers (each must carry `Retry-After`), and **lost**: an accepted webhook whose case is
not in the database, or whose `ready_for_discharge` event did not reach Kafka within `--drain`.
The targets (503 p99 ≤ 50 ms and accepted p99 ≤ 1 s at 2×, lost = 0 in every phase) are printed
met/missed from the same run; `--json` writes them under `targets_v3`.

    .venv/bin/python bench/intake/overload.py [--seconds 10] [--multiples 0.5,1,2,4] [--json PATH]

The gate's settings can be tried without editing anything: `--max-in-flight`, `--max-wait`,
`--target-latency` set `REFERRAL_WEBHOOK_ADMISSION__*` for the referral processes it starts.
Bounded: fixed counts, an overall `--max-seconds`, loopback only; servers stopped in `finally`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

# The intake bench's servers, signed bodies, topic watcher and CPU meter, reused as they are.
from run import (
    PER_SENDER_LIMIT,
    CpuMeter,
    Signed,
    Stack,
    TopicWatch,
    console,
    fmt,
    machine_facts,
    on_servers,
    percentile,
    presign,
    write_json,
)

from trygg_shared.admission import AdmissionSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: `bench.common`
from bench.common.footprint import Footprint

TARGET_503_MS = 50.0
TARGET_ACCEPTED_P99_MS = 1000.0
TARGET_MULTIPLE = 2.0
HTTP_TIMEOUT_S = 60.0
WIDE = 160  # the tables' width, also when the output is not a terminal (make bench's log)


@dataclass
class Reply:
    status: int | str
    scheduled: float
    answered: float
    case_id: str | None = None
    retry_after: str | None = None

    @property
    def seconds(self) -> float:
        return self.answered - self.scheduled


class Loopback:
    """HTTP/1.1 POSTs over asyncio streams with keep-alive connections, opened as needed (at most
    `connections`; waiting for one counts in the latency). The open loop at 4x sends hundreds of
    requests a second from this process on the same two cores as the servers: httpx costs a few
    CPU-ms per request there, which would take the CPU the servers are measured on; this costs a
    tenth of that. Loopback only; uvicorn answers with Content-Length."""

    def __init__(self, url: str, connections: int = 1024) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(connections)

    def request(self, item: Signed) -> bytes:
        head = [f"POST {self.path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(item.body)}"]
        head += [f"{k}: {v}" for k, v in item.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + item.body

    async def post(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        async with self._slots:
            reused = bool(self._idle)
            reader, writer = self._idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(raw)
                try:
                    line = await reader.readline()
                except ConnectionResetError:
                    if not reused:
                        raise
                    line = b""
                if not line and reused:  # the server closed the idle connection (keep-alive timeout): a new one
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    writer.write(raw)
                    line = await reader.readline()
                status = int(line.split()[1])
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
            except BaseException:
                writer.close()
                raise
            if headers.get("connection", "").lower() == "close":
                writer.close()
            else:
                self._idle.append((reader, writer))
            return status, headers, body

    def close(self) -> None:
        for _reader, writer in self._idle:
            writer.close()
        self._idle.clear()


async def send(client: Loopback, raw: bytes, scheduled: float) -> Reply:
    try:
        status, headers, body = await client.post(raw)
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
        return Reply(f"error:{type(exc).__name__}", scheduled, time.perf_counter())
    answered = time.perf_counter()
    case_id = None
    if status == 202:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            case_id = str(json.loads(body)["case_id"])
    return Reply(status, scheduled, answered, case_id, headers.get("retry-after"))


def ms(values: Sequence[float], q: float) -> float | None:
    p = percentile(values, q)
    return None if p is None else round(p * 1000, 1)


async def stored_cases(mongo_uri: str, database: str, case_ids: set[str]) -> set[str]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        found: set[str] = set()
        ids = sorted(case_ids)
        for i in range(0, len(ids), 500):
            cursor = client[database]["cases"].find({"_id": {"$in": ids[i : i + 500]}}, {"_id": 1})
            found |= {str(doc["_id"]) async for doc in cursor}
        return found
    finally:
        await client.close()


def server_timing(metrics_text: str) -> dict[str, Any]:
    """The referral's own view (`trygg_http_request_duration_seconds` of `POST /webhooks/lus`, from the
    timing middleware on, so without the time a request waits for the event loop before it): the share
    of 202 answers within 1 s, and the webhooks it counted as refused for overload (its refusals come
    from the gate outside that middleware, so they have no timing of their own)."""
    buckets: dict[tuple[str, str], float] = {}
    overloaded = None
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "trygg_http_request_duration_seconds_bucket" and labels.get("route") == "/webhooks/lus":
                buckets[(labels["status"], labels["le"])] = sample.value
            if sample.name == "trygg_referral_webhooks_total" and labels.get("outcome") == "overloaded":
                overloaded = int(sample.value)

    def share(status: str, le: str) -> float | None:
        total = buckets.get((status, "+Inf"))
        return round(buckets.get((status, le), 0.0) / total, 4) if total else None

    return {
        "202_within_1s_share": share("2xx", "1.0"),
        "overloaded_counted": overloaded,
    }


def summarise(replies: Sequence[Reply], wall: float) -> dict[str, Any]:
    accepted = [r for r in replies if r.status == 202 and r.case_id]
    refused = [r for r in replies if r.status == 503]
    return {
        "sent": len(replies),
        "statuses": dict(Counter(str(r.status) for r in replies)),
        "accepted": len(accepted),
        "refused": len(refused),
        "accepted_per_s": round(len(accepted) / wall, 1) if wall > 0 else 0.0,
        "refused_per_s": round(len(refused) / wall, 1) if wall > 0 else 0.0,
        "accepted_p50_ms": ms([r.seconds for r in accepted], 50),
        "accepted_p99_ms": ms([r.seconds for r in accepted], 99),
        "refused_p50_ms": ms([r.seconds for r in refused], 50),
        "refused_p99_ms": ms([r.seconds for r in refused], 99),
        "refused_without_retry_after": sum(1 for r in refused if not (r.retry_after or "").isdigit()),
        "retry_after_values": dict(Counter(r.retry_after or "-" for r in refused)),
        "p99_ms_by_second_sent": by_second(replies),
    }


def by_second(replies: Sequence[Reply]) -> list[float | None]:
    """p99 of every answer (202 and 503) by the second of the phase it was sent in: where the tail is."""
    if not replies:
        return []
    first = min(r.scheduled for r in replies)
    seconds: dict[int, list[float]] = {}
    for r in replies:
        seconds.setdefault(int(r.scheduled - first), []).append(r.seconds)
    return [ms(seconds.get(i, []), 99) for i in range(max(seconds) + 1)]


async def losses(stack: Stack, watch: TopicWatch, replies: Sequence[Reply], drain_s: float) -> dict[str, Any]:
    """Accepted webhooks without their case in the database or their ready event on Kafka after the drain."""
    expected = {r.case_id for r in replies if r.status == 202 and r.case_id}
    on_kafka = await watch.wait_for(expected, time.perf_counter() + drain_s)
    stored = await stored_cases(stack.ferretdb.uri, stack.database, expected)
    no_event = expected - watch.arrivals.keys()
    no_case = expected - stored
    return {
        "all_on_kafka": on_kafka,
        "without_case": len(no_case),
        "without_event": len(no_event),
        "lost": len(no_case | no_event),
    }


async def closed_loop(stack: Stack, url: str, clients: int, seconds: float, drain_s: float) -> dict[str, Any]:
    """The rate the intake sustains: `clients` senders, each sending its next webhook once answered."""
    client = Loopback(url)
    try:
        for item in presign(20, "warm"):
            await send(client, client.request(item), time.perf_counter())
        items = [client.request(i) for i in presign(int(seconds * 400) + clients, "sus")]  # more than 400/s
        watch = TopicWatch(stack.kafka.bootstrap_servers)
        await watch.start()
        try:
            replies: list[Reply] = []
            feed = iter(items)
            stop_at = time.perf_counter() + seconds

            async def sender() -> None:
                for item in feed:
                    if time.perf_counter() > stop_at:
                        return
                    reply = await send(client, item, time.perf_counter())
                    replies.append(reply)
                    if reply.status == 503:  # a sender honours Retry-After (or the refusals alone load the intake)
                        pause = float(reply.retry_after) if (reply.retry_after or "").isdigit() else 1.0
                        await asyncio.sleep(min(pause, max(0.0, stop_at - time.perf_counter())))

            cpu = CpuMeter(stack.pids())
            cpu.start()
            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(clients)))
            wall = time.perf_counter() - started
            out = summarise(replies, wall) | {"clients": clients, "seconds": round(wall, 2)}
            out["cpu_percent_of_one_core"] = cpu.stop()
            out |= await losses(stack, watch, replies, drain_s)
            return out
        finally:
            await watch.stop()
    finally:
        client.close()


async def open_loop(stack: Stack, url: str, rate: float, seconds: float, drain_s: float) -> dict[str, Any]:
    """Request i at start + i/rate, answered or not; latency from the scheduled time."""
    count = max(1, round(rate * seconds))
    client = Loopback(url)
    try:
        for item in presign(10, "warm"):
            await send(client, client.request(item), time.perf_counter())
        items = [client.request(i) for i in presign(count, "ol")]
        watch = TopicWatch(stack.kafka.bootstrap_servers)
        await watch.start()
        try:
            tasks: list[asyncio.Task[Reply]] = []
            issued: list[float] = []
            cpu = CpuMeter(stack.pids())
            cpu.start()
            start = time.perf_counter() + 0.05
            for i, item in enumerate(items):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                issued.append(time.perf_counter())
                tasks.append(asyncio.create_task(send(client, item, scheduled)))
            done, pending = await asyncio.wait(tasks, timeout=HTTP_TIMEOUT_S)
            for task in pending:
                task.cancel()
            wall = max(issued[-1] - start, 1e-9) + 1 / rate
            replies = [t.result() for t in done if not t.cancelled() and t.exception() is None]
            out = summarise(replies, wall)
            span = issued[-1] - issued[0] if len(issued) > 1 else 0.0
            out |= {
                "offered_per_s": round(rate, 1),
                "achieved_send_rate": round((len(issued) - 1) / span, 1) if span > 0 else 0.0,
                "send_lag_p99_ms": ms([t - (start + i / rate) for i, t in enumerate(issued)], 99),
                "unanswered": len(pending),
                "cpu_percent_of_one_core": cpu.stop(),
            }
            out |= await losses(stack, watch, replies, drain_s)
            async with httpx.AsyncClient(trust_env=False, timeout=10) as scrape:
                out["server_side"] = server_timing((await scrape.get(url.replace("/webhooks/lus", "/metrics"))).text)
            return out
        finally:
            await watch.stop()
    finally:
        client.close()


# --- targets and output ---------------------------------------------------------------------------


def targets_v3(report: dict[str, Any]) -> list[dict[str, Any]]:
    """#21 target 2, each row from this run's figures (the `make bench` summary reads these)."""
    phases = report["results"].get("phases", [])
    at = next((p for p in phases if p.get("multiple") == TARGET_MULTIPLE and "error" not in p), None)
    rows: list[dict[str, Any]] = []
    if at is None:  # no 2x phase measured (`--multiples` without it, or it failed): both rows missed
        for target, limit in (
            ("overload: 503 + Retry-After p99 ≤ 50 ms at 2× the sustained rate", TARGET_503_MS),
            ("overload: accepted p99 ≤ 1 s at 2× the sustained rate", TARGET_ACCEPTED_P99_MS),
        ):
            rows.append(
                {"target": target, "figure": "not measured: no 2× phase", "value": -1.0, "limit": limit, "met": False}
            )
    else:
        refused_p99 = at["refused_p99_ms"] if at["refused_p99_ms"] is not None else 0.0
        no_refusal = " (none refused)" if at["refused_p99_ms"] is None else ""
        rows.append(
            {
                "target": "overload: 503 + Retry-After p99 ≤ 50 ms at 2× the sustained rate",
                "figure": f"503 p99 at {at['offered_per_s']}/s offered, ms{no_refusal}; "
                f"{at['refused_without_retry_after']} without Retry-After",
                "value": refused_p99,
                "limit": TARGET_503_MS,
                "met": refused_p99 <= TARGET_503_MS and at["refused_without_retry_after"] == 0,
            }
        )
        accepted_p99 = at["accepted_p99_ms"]
        rows.append(
            {
                "target": "overload: accepted p99 ≤ 1 s at 2× the sustained rate",
                "figure": f"202 p99 at {at['offered_per_s']}/s offered, ms",
                "value": accepted_p99 if accepted_p99 is not None else -1.0,
                "limit": TARGET_ACCEPTED_P99_MS,
                "met": accepted_p99 is not None and accepted_p99 <= TARGET_ACCEPTED_P99_MS and at["unanswered"] == 0,
            }
        )
    measured = [p for p in phases if "error" not in p]
    lost = sum(p["lost"] for p in measured)
    rows.append(
        {
            "target": "overload: nothing accepted is lost (every phase)",
            "figure": "accepted webhooks without their case or their ready event on Kafka, all phases",
            "value": lost,
            "limit": 0,
            "met": bool(measured) and len(measured) == len(phases) and lost == 0,
        }
    )
    return rows


def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def print_report(report: dict[str, Any]) -> None:
    out = console if console.is_terminal else Console(width=WIDE)  # make bench's log: not cut to 80 columns
    r = report["results"]
    s = r.get("sustained", {})
    out.print(
        f"sustained (closed loop, {s.get('clients')} clients, {s.get('seconds')} s): "
        f"[bold]{fmt(s.get('accepted_per_s'), '/s')}[/bold] accepted, p50/p99 "
        f"{fmt(s.get('accepted_p50_ms'))}/{fmt(s.get('accepted_p99_ms'))} ms, statuses {s.get('statuses')}, "
        f"lost {s.get('lost')}"
    )
    table = Table(title=f"Referral intake under overload, {report['finished_at']} (load {report.get('load')})")
    for col in (
        "× sustained",
        "offered /s",
        "sent /s",
        "accepted /s",
        "refused /s",
        "202 p50 / p99 ms",
        "503 p50 / p99 ms",
        "unanswered",
        "lost",
        "202 ≤ 1 s in referral",
        "CPU % referral / FerretDB / PG / client",
    ):
        table.add_column(col, justify="right")
    for p in r.get("phases", []):
        if "error" in p:
            table.add_row(fmt(p.get("multiple")), "[red]failed[/red]", p["error"][:80], *[""] * 8)
            continue
        cpu = p.get("cpu_percent_of_one_core", {})
        table.add_row(
            f"{p['multiple']}×",
            fmt(p["offered_per_s"]),
            fmt(p["achieved_send_rate"]),
            fmt(p["accepted_per_s"]),
            fmt(p["refused_per_s"]),
            f"{fmt(p['accepted_p50_ms'])} / {fmt(p['accepted_p99_ms'])}",
            f"{fmt(p['refused_p50_ms'])} / {fmt(p['refused_p99_ms'])}",
            fmt(p["unanswered"]),
            fmt(p["lost"]) + ("" if p["all_on_kafka"] else f" ({p['without_event']} not on Kafka)"),
            share(p.get("server_side", {}).get("202_within_1s_share")),
            " / ".join(
                fmt(cpu.get(k))
                for k in (
                    "referral (uvicorn)",
                    "ferretdb",
                    "postgresql (postmaster)",
                    "bench client (this process)",
                )
            ),
        )
    out.print(table)
    goals = Table(title="#21 target 2 (overload), from this run")
    for col in ("target", "figure", "value", "limit", "met?"):
        goals.add_column(col)
    for row in report["targets_v3"]:
        goals.add_row(
            row["target"],
            row["figure"],
            fmt(row["value"]),
            fmt(row["limit"]),
            "[green]met[/green]" if row["met"] else "[red]missed[/red]",
        )
    out.print(goals)


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Referral intake overload curve (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    defaults = AdmissionSettings()
    parser.add_argument("--multiples", default="0.5,1,2,4", help="open-loop rates, as multiples of the sustained rate")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each open-loop phase")
    parser.add_argument("--sustain-seconds", type=float, default=10.0, help="length of the closed-loop phase")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="closed-loop clients (default: the gate's max in flight)"
    )
    parser.add_argument("--rate", type=float, default=None, help="use this sustained rate instead of measuring it")
    parser.add_argument("--max-in-flight", type=int, default=defaults.max_in_flight)
    parser.add_argument("--max-wait", type=float, default=defaults.max_wait_seconds, help="seconds")
    parser.add_argument("--target-latency", type=float, default=defaults.target_latency_seconds, help="seconds")
    parser.add_argument("--drain", type=float, default=60.0, help="max wait for ready events on Kafka after a phase")
    parser.add_argument("--max-seconds", type=float, default=480.0, help="overall deadline of the measurements")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep-workdir", action="store_true", help="keep data and logs of the servers")
    args = parser.parse_args(argv)
    args.multiples = [float(m) for m in args.multiples.split(",") if m.strip()]
    if not args.multiples or min(args.multiples) <= 0:
        parser.error("--multiples must be positive numbers")
    args.concurrency = args.concurrency or args.max_in_flight
    return args


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (as `uptime` shows them)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def measure(stack: Stack, args: argparse.Namespace, results: dict[str, Any], footprint: Footprint) -> None:
    deadline = time.perf_counter() + args.max_seconds
    pids = stack.pids()
    for name, key in (("kafka", "kafka (JVM)"), ("ferretdb", "ferretdb"), ("postgresql", "postgresql (postmaster)")):
        footprint.watch(name, pids.get(key), "server")
    footprint.start()

    def url(tag: str) -> str:
        if deadline - time.perf_counter() < args.seconds + 15:
            raise TimeoutError(f"overall deadline (--max-seconds {args.max_seconds:.0f}) reached")
        referral = stack.fresh_referral(tag)
        footprint.watch("referral", stack.pids()["referral (uvicorn)"])  # each phase's process, one peak
        return f"{referral.url}/webhooks/lus"

    rate = args.rate
    if rate is None:
        console.print(f"[bold]▶ sustained rate[/bold] (closed loop, {args.concurrency} clients)")
        sustained = asyncio.run(closed_loop(stack, url("sus"), args.concurrency, args.sustain_seconds, args.drain))
        sustained["load_after"] = load_average()
        results["sustained"] = sustained
        rate = sustained["accepted_per_s"]
        if not rate:
            raise RuntimeError(f"nothing accepted in the closed loop: {sustained['statuses']}")
    results["sustained_rate"] = rate
    results["phases"] = []
    for multiple in args.multiples:
        console.print(f"[bold]▶ {multiple}× = {rate * multiple:.1f} req/s for {args.seconds:.0f} s[/bold]")
        try:
            phase = asyncio.run(
                open_loop(stack, url(f"x{round(multiple * 100)}"), rate * multiple, args.seconds, args.drain)
            )
            phase["load_after"] = load_average()
        except Exception as exc:  # noqa: BLE001 - report the phase as failed, go on with the next
            phase = {"error": f"{type(exc).__name__}: {exc}"}
            console.print(f"  [red]failed:[/red] {phase['error']}")
        results["phases"].append({"multiple": multiple, **phase})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    os.environ["REFERRAL_WEBHOOK_ADMISSION__MAX_IN_FLIGHT"] = str(args.max_in_flight)
    os.environ["REFERRAL_WEBHOOK_ADMISSION__MAX_WAIT_SECONDS"] = str(args.max_wait)
    os.environ["REFERRAL_WEBHOOK_ADMISSION__TARGET_LATENCY_SECONDS"] = str(args.target_latency)
    # Only the admission gate decides here: the sender's own rate limit (200/s) would answer 429 at 4×.
    os.environ["REFERRAL_WEBHOOK_LIMITS__PER_SENDER"] = PER_SENDER_LIMIT
    began = time.perf_counter()
    load_before = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="trygg-overload-"))
    stack = Stack(workdir)
    results: dict[str, Any] = {}
    footprint = Footprint()  # peak memory of referral and the servers under overload (#21 target 5)

    def run() -> None:
        with console.status("starting Kafka, PostgreSQL and FerretDB on loopback"):
            stack.start_servers()
        measure(stack, args, results, footprint)

    failed = on_servers(stack, workdir, run, keep_workdir=args.keep_workdir)
    report: dict[str, Any] = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "run_seconds": round(time.perf_counter() - began, 1),
        "load": f"{load_before} → {load_average()}",
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine_facts(),
        "results": results,
    }
    footprint.stop()
    report["footprint"] = footprint.rows()
    report["targets_v3"] = targets_v3(report) + footprint.targets()
    if results:
        print_report(report)
        (console if console.is_terminal else Console(width=WIDE)).print(footprint.table())
    write_json(args.json, report)
    if failed or any("error" in p for p in results.get("phases", [])):
        return 1
    return 0 if all(row["met"] for row in report["targets_v3"]) else 2


if __name__ == "__main__":
    sys.exit(main())
