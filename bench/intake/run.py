"""Benchmark of the referral service's hospital intake, against a raw Kafka baseline from the same run.

Starts throwaway Kafka + PostgreSQL + FerretDB on PostgreSQL (from `.local/`, as `make install`
installed them; `--store sqlite` for FerretDB on SQLite) and the referral service, all on free
127.0.0.1 ports in a temporary folder, then measures:

1. baseline: how fast this Kafka broker takes ~1 KiB records (acks=all, idempotent producer),
   one at a time (like our outbox relay) and with up to 64 in flight;
2. throughput: signed `POST /webhooks/lus` accepted (202) per second, closed loop with C clients,
   and how fast the resulting `ready_for_discharge` events reach Kafka (the outbox relay's rate);
3. fixed rate (open loop, default 50 req/s for 20 s): latency of the HTTP answer, and from sending
   the webhook to its `ready_for_discharge` event appearing on the topic.

One referral process runs at a time. Phases 2 and 3 each get a freshly started process with a new
database on the same FerretDB and Kafka, empty or preloaded with `--preload N` cases (clones of a
real case, inserted with insert_many), so that a phase does not inherit the previous phase's
documents and relay backlog, and the size of the database is chosen. Database round trips per
accepted webhook come from FerretDB's own counters of the MongoDB commands it received
(`ferretdb_client_requests_total`), relay and background loops included.

    .venv/bin/python bench/intake/run.py [--requests 2000] [--concurrency 16] [--rate 50] [--preload 100000]

Every loop has a fixed count and a deadline; everything is stopped in `finally`.
Exit status: 0 all measured and every request answered 202, 2 some answered otherwise, 1 a phase failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

from devstack import paths
from devstack.cli import sample_message, sign
from devstack.servers import STORES, FerretDBServer, KafkaServer, PostgresServer, free_port
from devstack.stack import SERVICES, ServiceProcess, service_env
from referral.config import LOCAL_DEV_SENDER_SECRET
from trygg_shared.contracts.referral import ReadyForDischarge
from trygg_shared.contracts.topics import ALL_TOPICS, PARTITIONS, REFERRAL_CASE_EVENTS
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import ensure_topics

console = Console()

BASELINE_TOPIC = "bench.produce-baseline.v1"
READY_TYPE = ReadyForDischarge.EVENT_TYPE
RECORD_BYTES = 1024  # value + headers + key of one produced record, about one CloudEvent of ours
PIPELINE_DEPTH = 64
HTTP_TIMEOUT_S = 60.0
WARMUP_REQUESTS = 20
WARMUP_TRIES = 5  # a warm-up webhook answered 503 (the gate of a cold process) is sent again, up to this
WARMUP_PRODUCE = 200


# --- small helpers ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/max in milliseconds."""

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 2)

    return {
        "count": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p95_ms": ms(percentile(seconds, 95)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


class CpuMeter:
    """CPU seconds of our child processes (from /proc) and of this process, between two points.

    A process counts with its children (PostgreSQL's backends are children of the postmaster):
    live ones by their own counters, exited ones through the parent's cutime/cstime."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = {k: v for k, v in pids.items() if v}
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._start: dict[str, float] = {}
        self._t0 = 0.0

    def _cpu(self, pid: int, depth: int = 0) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        # utime + stime, and cutime + cstime of waited-for children that exited
        total = sum(int(fields[i]) for i in (11, 12, 13, 14)) / self._tick
        if depth < 3:
            with contextlib.suppress(OSError, ValueError):
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                total += sum(self._cpu(int(c), depth + 1) or 0.0 for c in children)
        return total

    def _sample(self) -> dict[str, float]:
        out = {name: cpu for name, pid in self._pids.items() if (cpu := self._cpu(pid)) is not None}
        out["bench client (this process)"] = time.process_time()
        return out

    def start(self) -> None:
        self._start = self._sample()
        self._t0 = time.perf_counter()

    def used(self) -> dict[str, float]:
        """CPU seconds each process used since start() (it may be called after stop())."""
        end = self._sample()
        return {k: end[k] - self._start[k] for k in end if k in self._start}

    def stop(self) -> dict[str, float]:
        """Percent of one core each process used since start()."""
        wall = max(time.perf_counter() - self._t0, 1e-9)
        end = self._sample()
        return {k: round(100 * (end[k] - self._start[k]) / wall, 1) for k in end if k in self._start}


@dataclass
class Signed:
    episode_id: str
    body: bytes
    headers: dict[str, str]


def presign(count: int, tag: str) -> list[Signed]:
    """Signed `utskrivningsklar` webhooks, one new care episode (so one new case) each."""
    template = sample_message("utskrivningsklar", None)
    out = []
    for _ in range(count):
        episode_id = f"BENCH-{tag}-{uuid.uuid4().hex[:16]}"
        body = {**template, "episode": {**template["episode"], "episode_id": episode_id}}
        raw = json.dumps(body, ensure_ascii=False).encode()
        out.append(Signed(episode_id, raw, sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", raw)))
    return out


def baseline_record() -> tuple[bytes, dict[str, bytes]]:
    """A CloudEvent shaped like ours (binary mode), padded to RECORD_BYTES in total."""

    def build(pad: int) -> tuple[bytes, dict[str, bytes]]:
        case_id = str(uuid.uuid4())
        meta = EventMeta(
            id=str(uuid.uuid4()),
            type=READY_TYPE,
            source="urn:trygghemgang:bench",
            subject=case_id,
            time=datetime.now(UTC),
        )
        record = encode(meta, {"case_id": case_id, "person_ref": "0" * 64, "padding": "x" * pad})
        return record.value, record.headers

    value, headers = build(0)
    size = len(value) + sum(len(k) + len(v) for k, v in headers.items()) + 36
    return build(max(0, RECORD_BYTES - size))


# --- Kafka: baseline and the topic watcher --------------------------------------------------------


async def produce_baseline(bootstrap: str, count: int, deadline: float) -> dict[str, Any]:
    value, headers = baseline_record()
    header_list = list(headers.items())
    keys = [str(uuid.uuid4()).encode() for _ in range(count)]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, client_id="bench-baseline"
    )
    await producer.start()
    try:
        for i in range(WARMUP_PRODUCE):
            await producer.send_and_wait(BASELINE_TOPIC, value, key=keys[i % count], headers=header_list)

        # One at a time, as the outbox relay publishes: wait for the broker's ack of each record.
        latencies: list[float] = []
        started = time.perf_counter()
        for i in range(count):
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            await producer.send_and_wait(BASELINE_TOPIC, value, key=keys[i], headers=header_list)
            latencies.append(time.perf_counter() - t0)
        seq_wall = time.perf_counter() - started
        sequential = {
            "messages": len(latencies),
            "seconds": round(seq_wall, 3),
            "msgs_per_s": round(len(latencies) / seq_wall, 1) if latencies else 0.0,
            "ack_latency": latency_summary(latencies),
        }

        # Up to PIPELINE_DEPTH records awaiting their ack at any time.
        window = asyncio.Semaphore(PIPELINE_DEPTH)
        futures: list[asyncio.Future[Any]] = []
        started = time.perf_counter()
        for i in range(count):
            if time.perf_counter() > deadline:
                break
            await window.acquire()
            fut = await producer.send(BASELINE_TOPIC, value, key=keys[i], headers=header_list)
            fut.add_done_callback(lambda _f: window.release())
            futures.append(fut)
        results = await asyncio.wait_for(
            asyncio.gather(*futures, return_exceptions=True), max(1.0, deadline - time.perf_counter())
        )
        pipe_wall = time.perf_counter() - started
        ok = sum(1 for r in results if not isinstance(r, BaseException))
        pipelined = {
            "messages": ok,
            "failed": len(results) - ok,
            "seconds": round(pipe_wall, 3),
            "msgs_per_s": round(ok / pipe_wall, 1) if ok else 0.0,
            "in_flight": PIPELINE_DEPTH,
        }
    finally:
        await producer.stop()
    record_bytes = len(value) + sum(len(k) + len(v) for k, v in headers.items()) + len(keys[0])
    return {"record_bytes": record_bytes, "sequential": sequential, "pipelined": pipelined}


@dataclass
class TopicWatch:
    """Reads the case-events topic from its current end and notes when each ready event arrives."""

    bootstrap: str
    arrivals: dict[str, float] = field(default_factory=dict)  # case id -> perf_counter at receipt
    sizes: list[int] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=50,
            client_id="bench-watch",
        )
        await consumer.start()
        self._consumer = consumer
        await consumer.topics()  # fills the metadata
        parts = consumer.partitions_for_topic(REFERRAL_CASE_EVENTS) or set(range(PARTITIONS))
        tps = [TopicPartition(REFERRAL_CASE_EVENTS, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve "end" now, before the phase sends anything
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=1000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers or ())
                    if headers.get("ce_type") != READY_TYPE.encode():
                        continue
                    subject = headers.get("ce_subject", b"").decode()
                    self.arrivals.setdefault(subject, now)
                    self.sizes.append(
                        len(record.value or b"")
                        + len(record.key or b"")
                        + sum(len(k) + len(v) for k, v in record.headers or ())
                    )

    async def wait_for(self, case_ids: set[str], deadline: float) -> bool:
        while time.perf_counter() < deadline:
            if self._task is not None and self._task.done():
                self._task.result()  # raise what stopped the watcher
            if case_ids <= self.arrivals.keys():
                return True
            await asyncio.sleep(0.05)
        return case_ids <= self.arrivals.keys()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


async def database_counts(mongo_uri: str, database: str) -> dict[str, int]:
    """Documents in the referral database's intake collections (what FerretDB scans per query)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, serverSelectionTimeoutMS=3000, socketTimeoutMS=15000
    )
    try:
        db = client[database]
        return {
            "cases": await db["cases"].count_documents({}),
            "inbound_messages": await db["inbound_messages"].count_documents({}),
            "cases_with_unpublished_events": await db["cases"].count_documents({"outbox_pending": True}),
        }
    finally:
        await client.close()


# --- HTTP phases -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | str
    sent_at: float  # perf_counter: when it was (to be) sent
    answered_at: float
    case_id: str | None = None


async def post(client: httpx.AsyncClient, url: str, item: Signed, sent_at: float) -> Answer:
    try:
        response = await client.post(url, content=item.body, headers=item.headers)
    except httpx.HTTPError as exc:
        return Answer(f"error:{type(exc).__name__}", sent_at, time.perf_counter())
    answered = time.perf_counter()
    case_id = None
    if response.status_code == 202:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            case_id = str(response.json()["case_id"])
    return Answer(response.status_code, sent_at, answered, case_id)


def accepted_of(answers: Sequence[Answer]) -> list[Answer]:
    return [a for a in answers if a.status == 202 and a.case_id]


def answers_summary(answers: Sequence[Answer], planned: int) -> dict[str, Any]:
    accepted = accepted_of(answers)
    return {
        "planned": planned,
        "sent": len(answers),
        "accepted_202": len(accepted),
        "all_sent_accepted": bool(answers) and len(accepted) == len(answers),
        "all_planned_accepted": len(accepted) == planned,
        "statuses": dict(Counter(str(a.status) for a in answers)),
        "latency": latency_summary([a.answered_at - a.sent_at for a in accepted]),
    }


def cpu_ms_per_accepted(cpu: CpuMeter, accepted: int) -> dict[str, float]:
    """CPU-ms each process used per accepted webhook, from the phase's start to the end of the drain
    (so the relay's publishing of those webhooks' events is in it)."""
    if not accepted:
        return {}
    return {k: round(1000 * v / accepted, 2) for k, v in cpu.used().items()}


def e2e_summary(watch: TopicWatch, answers: Sequence[Answer], complete: bool) -> dict[str, Any]:
    accepted = accepted_of(answers)
    e2e = [watch.arrivals[a.case_id] - a.sent_at for a in accepted if a.case_id in watch.arrivals]
    return {
        "events_seen": len(e2e),
        "events_expected": len(accepted),
        "complete": complete,
        "latency": latency_summary(e2e),
        "event_bytes_mean": round(sum(watch.sizes) / len(watch.sizes)) if watch.sizes else None,
    }


def window_rates(times: Sequence[float], start: float, end: float, parts: int = 5) -> list[float]:
    """Events per second in each of `parts` equal time slices of [start, end]."""
    span = (end - start) / parts
    if span <= 0:
        return []
    counts = [0] * parts
    for t in times:
        counts[min(parts - 1, max(0, int((t - start) / span)))] += 1
    return [round(c / span, 1) for c in counts]


def http_client(connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx.Timeout(HTTP_TIMEOUT_S),
        trust_env=False,  # no proxy: loopback only
    )


async def warm_up(client: httpx.AsyncClient, url: str, concurrency: int) -> None:
    items = presign(WARMUP_REQUESTS, "warm")
    sem = asyncio.Semaphore(concurrency)

    async def one(item: Signed) -> Answer:
        # A cold process's first webhooks are slow, so its admission gate may refuse the last of a
        # burst (503): sent again after a second, as a Standard Webhooks sender does (bounded).
        for _ in range(WARMUP_TRIES):
            async with sem:
                answer = await post(client, url, item, time.perf_counter())
            if answer.status != 503:
                break
            await asyncio.sleep(1.0)
        return answer

    answers = await asyncio.gather(*(one(i) for i in items))
    bad = Counter(str(a.status) for a in answers if a.status != 202)
    if bad:
        raise RuntimeError(f"warm-up requests not accepted: {dict(bad)}")


async def throughput_phase(
    url: str, bootstrap: str, count: int, concurrency: int, send_until: float, drain_s: float, cpu: CpuMeter
) -> dict[str, Any]:
    """Closed loop: `concurrency` clients, each sends the next webhook as soon as its last one is answered."""
    async with http_client(concurrency) as client:
        await warm_up(client, url, concurrency)
        items = presign(count, "tp")
        watch = TopicWatch(bootstrap)
        await watch.start()
        try:
            answers: list[Answer] = []
            indexes = iter(range(count))

            async def worker() -> None:
                for i in indexes:
                    if time.perf_counter() > send_until:
                        return
                    answers.append(await post(client, url, items[i], time.perf_counter()))

            cpu.start()
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            wall = time.perf_counter() - started
            cpu_http = cpu.stop()

            result = answers_summary(answers, count)
            accepted = accepted_of(answers)
            result.update(
                concurrency=concurrency,
                seconds=round(wall, 3),
                stopped_at_time_cap=len(answers) < count,
                accepted_per_s=round(len(accepted) / wall, 1) if wall > 0 else 0.0,
                accepted_per_s_by_fifth=window_rates([a.answered_at for a in accepted], started, started + wall),
                cpu_percent_of_one_core=cpu_http,
            )
            # How fast the relay brings the resulting events to Kafka (it runs behind the intake).
            expected = {a.case_id for a in accepted if a.case_id}
            complete = await watch.wait_for(expected, time.perf_counter() + drain_s)
            seen = [watch.arrivals[c] for c in expected if c in watch.arrivals]
            last = max(seen) if seen else started
            result["to_kafka"] = {
                **e2e_summary(watch, answers, complete),
                "last_event_after_s": round(last - started, 3),
                "events_per_s": round(len(seen) / (last - started), 1) if seen and last > started else 0.0,
            }
            result["cpu_ms_per_accepted"] = cpu_ms_per_accepted(cpu, len(accepted))
            return result
        finally:
            await watch.stop()


async def fixed_rate_phase(
    url: str, bootstrap: str, rate: float, seconds: float, answer_wait_s: float, drain_s: float, cpu: CpuMeter
) -> dict[str, Any]:
    """Open loop: request i is sent at start + i/rate whatever happened to the earlier ones.

    Latencies count from the scheduled send time, so a stall shows in full (no coordinated omission).
    """
    count = max(1, round(rate * seconds))
    async with http_client(256) as client:
        await warm_up(client, url, 4)
        items = presign(count, "fr")
        watch = TopicWatch(bootstrap)
        await watch.start()
        try:
            tasks: list[asyncio.Task[Answer]] = []
            issued_at: list[float] = []
            cpu.start()
            start = time.perf_counter() + 0.05
            send_until = start + seconds + 5.0  # the schedule itself must not overrun
            for i in range(count):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.perf_counter() > send_until:
                    break
                issued_at.append(time.perf_counter())
                tasks.append(asyncio.create_task(post(client, url, items[i], scheduled)))
            sent_end = time.perf_counter()
            done, pending = await asyncio.wait(tasks, timeout=answer_wait_s) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
            cpu_http = cpu.stop()
            answers = [
                t.result() if t.exception() is None else Answer(f"error:{type(t.exception()).__name__}", 0.0, 0.0)
                for t in done
                if not t.cancelled()
            ]

            result = answers_summary(answers, count)
            accepted = accepted_of(answers)
            span = issued_at[-1] - issued_at[0] if len(issued_at) > 1 else 0.0
            last_answer = max((a.answered_at for a in accepted), default=start)
            result.update(
                target_rate=rate,
                achieved_rate=round((len(issued_at) - 1) / span, 2) if span > 0 else 0.0,
                accepted_per_s=round(len(accepted) / (last_answer - start), 2) if last_answer > start else 0.0,
                answers_after_last_send_s=round(max(0.0, last_answer - sent_end), 2),
                unanswered_at_deadline=len(pending),
                send_lag=latency_summary([t - (start + i / rate) for i, t in enumerate(issued_at)]),
                cpu_percent_of_one_core=cpu_http,
            )
            expected = {a.case_id for a in accepted if a.case_id}
            complete = await watch.wait_for(expected, time.perf_counter() + drain_s)
            result["to_kafka"] = e2e_summary(watch, answers, complete)
            result["cpu_ms_per_accepted"] = cpu_ms_per_accepted(cpu, len(accepted))
            return result
        finally:
            await watch.stop()


# --- preload and round trips ------------------------------------------------------------------


def _replace_strings(value: Any, old: dict[str, str]) -> Any:
    if isinstance(value, str):
        for a, b in old.items():
            value = value.replace(a, b)
        return value
    if isinstance(value, dict):
        return {k: _replace_strings(v, old) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_strings(v, old) for v in value]
    return value


async def preload_cases(referral_url: str, mongo_uri: str, database: str, count: int) -> None:
    """`count` stored cases before a phase: one real webhook makes a template case; clones of it
    (new case id and episode id everywhere in the document, outbox empty) are inserted directly
    with insert_many, 2,000 per round trip. Faster than the HTTP path by far, and the documents
    have the shape and size of real ones."""
    episode = f"PRELOAD-{uuid.uuid4().hex[:8]}"
    body = json.dumps(sample_message("utskrivningsklar", episode), ensure_ascii=False).encode()
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            f"{referral_url}/webhooks/lus",
            content=body,
            headers=sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", body),
        )
    answer.raise_for_status()
    case_id = answer.json()["case_id"]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        cases = mongo[database]["cases"]
        template = None
        for _ in range(100):
            template = await cases.find_one({"_id": case_id})
            if template is not None and not template.get("outbox_pending"):
                break
            await asyncio.sleep(0.1)
        if template is None:
            raise RuntimeError("the template case was not stored")
        template["outbox_pending"] = False
        template["outbox"] = {}
        batch: list[dict[str, Any]] = []
        for i in range(count - 1):
            new_id, new_episode = str(uuid.uuid4()), f"{episode}-{i}"
            batch.append(_replace_strings(template, {case_id: new_id, episode: new_episode}))
            if len(batch) == 2_000:
                await cases.insert_many(batch, ordered=False)
                batch = []
        if batch:
            await cases.insert_many(batch, ordered=False)
    finally:
        await mongo.close()


def counts_or_error(stack: Stack) -> dict[str, Any]:
    """The documents at the end of a phase; the error instead when the database does not answer."""
    try:
        return asyncio.run(database_counts(stack.ferretdb.uri, stack.database))
    except Exception as exc:  # noqa: BLE001 - a stalled store is a finding, not a crash of the run
        return {"error": type(exc).__name__}


def round_trips(before: dict[str, int], after: dict[str, int], accepted: int) -> dict[str, Any]:
    """MongoDB commands FerretDB received during a phase, in all and per accepted webhook."""
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    diff = {k: v for k, v in sorted(diff.items(), key=lambda kv: -kv[1]) if v > 0}
    total = sum(diff.values())
    return {
        "total": total,
        "per_accepted": round(total / accepted, 2) if accepted else None,
        "by_command": diff,
    }


# --- orchestration ------------------------------------------------------------------------------


class Stack:
    """Kafka, PostgreSQL and FerretDB for the whole run; one referral process at a time, each with a new database."""

    def __init__(self, workdir: Path, store: str = "postgresql", preload: int = 0) -> None:
        self.workdir = workdir
        self.store = store
        self.preload = preload
        self.kafka = KafkaServer(workdir / "kafka")
        # Durable (fsync on), as a real deployment: the figures should not flatter the store.
        self.postgres = PostgresServer(workdir / "postgres") if store == "postgresql" else None
        self.ferretdb = FerretDBServer(workdir / "ferretdb", postgres_url=self.postgres.url if self.postgres else None)
        self.spec = next(s for s in SERVICES if s.name == "referral")
        self.referral: ServiceProcess | None = None
        self.database = ""
        self.preload_seconds: float | None = None

    def start_servers(self) -> None:
        self.kafka.start()
        if self.postgres is not None:
            self.postgres.start()
            self.postgres.wait_ready(60)
        self.ferretdb.start()
        self.ferretdb.wait_ready(60)
        self.kafka.wait_ready(90)
        asyncio.run(ensure_topics(self.kafka.bootstrap_servers, ALL_TOPICS))

    def fresh_referral(self, tag: str) -> ServiceProcess:
        """Stop the running referral process (if any); start one on a new database (preloaded if asked)."""
        self.stop_referral()
        self.database = f"referral_bench_{tag}_{uuid.uuid4().hex[:6]}"
        port = free_port()
        env = service_env(
            self.spec,
            kafka=self.kafka.bootstrap_servers,
            mongo_uri=self.ferretdb.uri,
            port=port,
            database=self.database,
            postgres_url=self.postgres.url if self.postgres else None,
        )
        env[f"{self.spec.env_prefix}LOGGING__LEVEL"] = "WARNING"
        self.referral = ServiceProcess(self.spec, port, env, self.workdir / "logs" / tag)
        self.referral.start()
        self.referral.wait_ready(90)
        if self.preload:
            started = time.perf_counter()
            asyncio.run(preload_cases(self.referral.url, self.ferretdb.uri, self.database, self.preload))
            self.preload_seconds = round(time.perf_counter() - started, 1)
            console.print(f"  preloaded {self.preload:,} cases in {self.preload_seconds} s")
        return self.referral

    def stop_referral(self) -> None:
        if self.referral is not None:
            self.referral.stop()

    def referral_alive(self) -> bool:
        return self.referral is not None and self.referral.proc.alive()

    def pids(self) -> dict[str, int | None]:
        def pid(proc: Any) -> int | None:
            popen = getattr(proc, "process", None)
            return popen.pid if popen is not None else None

        return {
            "referral (uvicorn)": pid(self.referral.proc) if self.referral else None,
            "kafka (JVM)": pid(getattr(self.kafka, "_proc", None)),
            "ferretdb": pid(getattr(self.ferretdb, "_proc", None)),
            "postgresql (postmaster)": pid(getattr(self.postgres, "_proc", None)) if self.postgres else None,
        }

    def stop(self) -> None:
        """Stop in reverse order; stopping a server that never started does nothing."""
        for name, stop in (
            ("referral", self.stop_referral),
            ("ferretdb", self.ferretdb.stop),
            ("postgresql", self.postgres.stop if self.postgres else (lambda: None)),
            ("kafka", self.kafka.stop),
        ):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - stop the others anyway
                console.print(f"[red]could not stop {name}:[/red] {exc}")


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kafka": paths.KAFKA_VERSION,
        "ferretdb": paths.FERRETDB_VERSION,
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                facts["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    return facts


def run_phase(name: str, results: dict[str, Any], fn: Callable[[], dict[str, Any]], stack: Stack) -> None:
    console.print(f"[bold]▶ {name}[/bold]")
    started = time.perf_counter()
    try:
        results[name] = fn()
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    except Exception as exc:  # noqa: BLE001 - report the phase as failed and go on to the next
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        console.print(f"  [red]failed:[/red] {type(exc).__name__}: {exc}")
        console.print(traceback.format_exc(limit=4), markup=False, highlight=False)
        if stack.referral is not None and not stack.referral_alive():
            console.print(f"  [red]referral exited[/red]; last lines of its log:\n{stack.referral.proc.tail()}")


def measure(stack: Stack, args: argparse.Namespace, deadline: float, results: dict[str, Any]) -> dict[str, Any]:
    """Run the phases, filling `results` as each ends (so an interrupted run still reports what it measured)."""
    bootstrap = stack.kafka.bootstrap_servers

    def time_left() -> float:
        left = deadline - time.perf_counter()
        if left < 10:
            raise TimeoutError(f"overall deadline (--max-seconds {args.max_seconds:.0f}) reached")
        return left

    def baseline() -> dict[str, Any]:
        cpu = CpuMeter(stack.pids())

        async def go() -> dict[str, Any]:
            await ensure_topics(bootstrap, [BASELINE_TOPIC])
            cpu.start()
            out = await produce_baseline(bootstrap, args.produce, time.perf_counter() + min(60, time_left()))
            out["cpu_percent_of_one_core"] = cpu.stop()
            return out

        return asyncio.run(go())

    def throughput() -> dict[str, Any]:
        time_left()
        referral = stack.fresh_referral("tp")
        load_before = round(os.getloadavg()[0], 2)
        cpu = CpuMeter(stack.pids())
        commands = stack.ferretdb.command_counts()
        cap = min(args.throughput_seconds, time_left() - args.drain)
        out = asyncio.run(
            throughput_phase(
                f"{referral.url}/webhooks/lus",
                bootstrap,
                args.requests,
                args.concurrency,
                time.perf_counter() + cap,
                min(args.drain, time_left()),
                cpu,
            )
        )
        out["time_cap_s"] = round(cap, 1)
        out["load_average_1m"] = [load_before, round(os.getloadavg()[0], 2)]  # the machine is shared: say so
        out["db_round_trips"] = round_trips(commands, stack.ferretdb.command_counts(), out["accepted_202"])
        out["preloaded_cases"] = stack.preload
        out["database_at_end"] = counts_or_error(stack)
        return out

    def fixed_rate() -> dict[str, Any]:
        time_left()
        referral = stack.fresh_referral("fr")
        cpu = CpuMeter(stack.pids())
        commands = stack.ferretdb.command_counts()
        answer_wait = min(args.answer_wait, max(1.0, time_left() - args.seconds - args.drain))
        out = asyncio.run(
            fixed_rate_phase(
                f"{referral.url}/webhooks/lus",
                bootstrap,
                args.rate,
                args.seconds,
                answer_wait,
                min(args.drain, time_left()),
                cpu,
            )
        )
        out["db_round_trips"] = round_trips(commands, stack.ferretdb.command_counts(), out["accepted_202"])
        out["preloaded_cases"] = stack.preload
        out["database_at_end"] = counts_or_error(stack)
        return out

    run_phase("baseline", results, baseline, stack)
    run_phase("throughput", results, throughput, stack)
    run_phase("fixed_rate", results, fixed_rate, stack)
    return results


# --- output -------------------------------------------------------------------------------------


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def lat(summary: dict[str, Any] | None) -> str:
    if not summary or not summary.get("count"):
        return "–"
    return " / ".join(fmt(summary[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")) + " ms"


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    accepted = results.get("throughput", {}).get("accepted_per_s")
    base = results.get("baseline", {})
    seq = base.get("sequential", {}).get("msgs_per_s")
    pipe = base.get("pipelined", {}).get("msgs_per_s")
    relay = results.get("throughput", {}).get("to_kafka", {}).get("events_per_s")
    return {
        "accepted_per_s_over_sequential_produce": round(accepted / seq, 4) if accepted and seq else None,
        "accepted_per_s_over_pipelined_produce": round(accepted / pipe, 4) if accepted and pipe else None,
        "relay_events_per_s_over_sequential_produce": round(relay / seq, 4) if relay and seq else None,
    }


def ratio(value: float | None) -> str:
    if not value:
        return "–"
    return f"{value:.4f} (1 : {1 / value:,.1f})"


def partial(to_kafka: dict[str, Any]) -> str:
    """A marker for end-to-end figures computed over only the events that arrived before the deadline."""
    if to_kafka.get("complete", True):
        return ""
    return f" [red](only {to_kafka.get('events_seen')}/{to_kafka.get('events_expected')} arrived: lower bound)[/red]"


def answered(phase: dict[str, Any]) -> str:
    ok = "yes" if phase["all_sent_accepted"] else f"[red]no[/red] {phase['statuses']}"
    return f"{phase['accepted_202']:,} of {phase['sent']:,} sent ({phase['planned']:,} planned): {ok}"


def commands_text(rt: dict[str, Any]) -> str:
    per = rt.get("by_command") or {}
    total = rt.get("total") or 0
    accepted = total / rt["per_accepted"] if rt.get("per_accepted") else None
    top = list(per.items())[:4]
    if not accepted:
        return ", ".join(f"{k} {v}" for k, v in top)
    return ", ".join(f"{k} {v / accepted:.2f}" for k, v in top)


def print_report(report: dict[str, Any]) -> None:
    r = report["results"]
    table = Table(title=f"Referral intake benchmark, {report['finished_at']}")
    table.add_column("phase", style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right")

    def skipped(phase: str) -> bool:
        if "error" in r.get(phase, {}):
            table.add_row(phase, "[red]failed[/red]", r[phase]["error"][:120])
            table.add_section()
            return True
        return phase not in r

    if not skipped("baseline"):
        b = r["baseline"]
        table.add_row("Kafka baseline", "record size (value + headers + key)", fmt(b["record_bytes"], "B"))
        table.add_row("", "sequential produce, acks=all (1 in flight)", fmt(b["sequential"]["msgs_per_s"], "msgs/s"))
        table.add_row("", "  ack latency p50 / p95 / p99 / max", lat(b["sequential"]["ack_latency"]))
        table.add_row(
            "",
            f"pipelined produce ({b['pipelined']['in_flight']} in flight)",
            fmt(b["pipelined"]["msgs_per_s"], "msgs/s"),
        )
        table.add_section()
    if not skipped("throughput"):
        t = r["throughput"]
        cap = f" (stopped at {t['time_cap_s']:.0f} s cap)" if t["stopped_at_time_cap"] else ""
        table.add_row("Throughput", "closed loop: clients", fmt(t["concurrency"]))
        table.add_row("", "accepted 202 of sent, all 202?", answered(t))
        table.add_row("", "webhooks accepted", fmt(t["accepted_per_s"], "/s") + cap)
        table.add_row(
            "", "  accepted/s by fifth of the phase", " → ".join(fmt(x) for x in t["accepted_per_s_by_fifth"])
        )
        table.add_row("", "HTTP latency p50 / p95 / p99 / max", lat(t["latency"]))
        k = t.get("to_kafka", {})
        seen = f"{k.get('events_seen')}/{k.get('events_expected')}"
        table.add_row("", "ready events on Kafka (relay rate)", fmt(k.get("events_per_s"), "/s") + f" ({seen} seen)")
        table.add_row("", "last ready event on Kafka after", fmt(k.get("last_event_after_s"), "s"))
        table.add_row("", "webhook → Kafka p50 / p95 / p99 / max (saturated)", lat(k.get("latency")) + partial(k))
        rt = t.get("db_round_trips", {})
        table.add_row("", "database round trips per accepted webhook", fmt(rt.get("per_accepted")))
        table.add_row("", "  most frequent commands", commands_text(rt))
        db = t.get("database_at_end", {})
        table.add_row("", "cases / inbox docs at end", f"{fmt(db.get('cases'))} / {fmt(db.get('inbound_messages'))}")
        table.add_section()
    if not skipped("fixed_rate"):
        f = r["fixed_rate"]
        table.add_row(
            "Fixed rate", "target / achieved send rate", f"{fmt(f['target_rate'])} / {fmt(f['achieved_rate'])} req/s"
        )
        table.add_row("", "accepted 202 of sent, all 202?", answered(f))
        table.add_row("", "accepted per second (to the last answer)", fmt(f["accepted_per_s"], "/s"))
        table.add_row("", "unanswered at deadline", fmt(f["unanswered_at_deadline"]))
        table.add_row("", "HTTP answer p50 / p95 / p99 / max", lat(f["latency"]))
        k = f.get("to_kafka", {})
        e2e = k.get("latency") or {}
        table.add_row(
            "",
            "webhook → ready event on Kafka p50 / p99",
            f"{fmt(e2e.get('p50_ms'))} / {fmt(e2e.get('p99_ms'))} ms" + partial(k),
        )
        table.add_row("", "  p95 / max", f"{fmt(e2e.get('p95_ms'))} / {fmt(e2e.get('max_ms'))} ms")
        table.add_row("", "  ready events seen / expected", f"{k.get('events_seen')}/{k.get('events_expected')}")
        table.add_row("", "  mean ready event size on Kafka", fmt(k.get("event_bytes_mean"), "B"))
        rt = f.get("db_round_trips", {})
        table.add_row("", "database round trips per accepted webhook", fmt(rt.get("per_accepted")))
        table.add_row("", "  most frequent commands", commands_text(rt))
        table.add_section()
    q = report["ratios"]
    table.add_row("Ratios", "accepted/s ÷ sequential produce/s", ratio(q["accepted_per_s_over_sequential_produce"]))
    table.add_row("", "accepted/s ÷ pipelined produce/s", ratio(q["accepted_per_s_over_pipelined_produce"]))
    table.add_row("", "relay events/s ÷ sequential produce/s", ratio(q["relay_events_per_s_over_sequential_produce"]))
    table.add_section()
    m = report["machine"]
    table.add_row("Machine", "cores (os.cpu_count())", fmt(m.get("cores")))
    table.add_row("", "cpu / memory", f"{m.get('cpu', '?')} / {m.get('memory_gib', '?')} GiB")
    table.add_row("", "python / kafka / ferretdb", f"{m['python']} / {m['kafka']} / {m['ferretdb']}")
    s = report["settings"]
    table.add_row("", "store / cases preloaded per phase", f"{s.get('store')} / {fmt(s.get('preload'))}")
    table.add_row("", "whole run", fmt(report.get("run_seconds"), "s"))
    console.print(table)

    cpu = Table(title="CPU during each timed phase (% of one core)")
    cpu.add_column("process")
    phases = [p for p in ("baseline", "throughput", "fixed_rate") if "cpu_percent_of_one_core" in r.get(p, {})]
    for p in phases:
        cpu.add_column(p, justify="right")
    names = dict.fromkeys(n for p in phases for n in r[p]["cpu_percent_of_one_core"])
    for name in names:
        cpu.add_row(name, *(fmt(r[p]["cpu_percent_of_one_core"].get(name)) for p in phases))
    if phases:
        console.print(cpu)

    per = Table(title="CPU-ms per accepted webhook (phase start to end of drain, relay included)")
    per.add_column("process")
    http_phases = [p for p in ("throughput", "fixed_rate") if r.get(p, {}).get("cpu_ms_per_accepted")]
    for p in http_phases:
        per.add_column(p, justify="right")
    names = dict.fromkeys(n for p in http_phases for n in r[p]["cpu_ms_per_accepted"])
    for name in names:
        per.add_row(name, *(fmt(r[p]["cpu_ms_per_accepted"].get(name)) for p in http_phases))
    per.add_row(
        "all but the bench client",
        *(
            fmt(round(sum(v for k, v in r[p]["cpu_ms_per_accepted"].items() if not k.startswith("bench")), 2))
            for p in http_phases
        ),
    )
    if http_phases:
        console.print(per)

    goals = Table(title=f"Targets (issue 7 §1); {report['settings'].get('preload', 0):,} cases preloaded per phase")
    goals.add_column("target")
    goals.add_column("measured")
    goals.add_column("met?")
    for row in targets(report):
        goals.add_row(*row)
    console.print(goals)

    v3 = Table(title="Targets, performance v3 (#21 target 1: intake cost), closed loop")
    for column in ("target", "figure", "value", "limit", "met?"):
        v3.add_column(column, justify="right" if column in ("value", "limit") else "left")
    for row in report.get("targets_v3", []):
        met = None if row["value"] is None else row["met"]
        v3.add_row(row["target"], row["figure"], fmt(row["value"]), fmt(row["limit"]), verdict(met))
    console.print(v3)


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("[green]met[/green]" if ok else "[red]missed[/red]")


# The #21 target 1 figures, all from the closed loop (the phase that measures the cost of intake at
# capacity; the fixed-rate phase pays the idle polling of a process that is mostly waiting).
V3_CPU_MS = 8.0
V3_ROUND_TRIPS = 3.0
V3_ACCEPTED = 200.0
PER_SENDER_LIMIT = "100000/second"  # the sender's rate limit while benched: out of reach (see main)


def _not_accepted(phase: dict[str, Any]) -> str:
    """The answers other than 202 in a phase, for the figure's text (a closed loop refused is no capacity)."""
    other = {k: v for k, v in (phase.get("statuses") or {}).items() if k != "202"}
    return f"; answered {other} besides 202" if other else ""


def targets_v3(report: dict[str, Any]) -> list[dict[str, Any]]:
    """#21 target 1, as `make bench`'s summary reads it: [{target, figure, value, limit, met}]."""
    t = report["results"].get("throughput", {})
    cpu = t.get("cpu_ms_per_accepted") or {}
    servers = round(sum(v for k, v in cpu.items() if not k.startswith("bench")), 2) if cpu else None
    trips = (t.get("db_round_trips") or {}).get("per_accepted")
    rate = t.get("accepted_per_s")

    def row(target: str, figure: str, value: float | None, limit: float, at_most: bool) -> dict[str, Any]:
        met = None if value is None else (value <= limit if at_most else value >= limit)
        return {"target": target, "figure": figure, "value": value, "limit": limit, "met": bool(met)}

    return [
        row(
            "#21.1 intake CPU ≤ 8 ms per accepted webhook, all servers",
            "CPU-ms per accepted webhook: referral + FerretDB + PostgreSQL + Kafka (closed loop, relay included)",
            servers,
            V3_CPU_MS,
            at_most=True,
        ),
        row(
            "#21.1 ≤ 3 database round trips per webhook",
            "MongoDB commands per accepted webhook, FerretDB's counters (closed loop, relay and sweeps included)",
            trips,
            V3_ROUND_TRIPS,
            at_most=True,
        ),
        row(
            "#21.1 closed loop ≥ 200 accepted/s",
            f"accepted/s, {report['settings'].get('concurrency')} clients; load average (1 min) before/after "
            + " / ".join(str(x) for x in t.get("load_average_1m", ["–"]))
            + _not_accepted(t),
            rate,
            V3_ACCEPTED,
            at_most=False,
        ),
    ]


def targets(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The four targets of the runtime v2 issue, each with the figure that decides it."""
    r = report["results"]
    rows: list[tuple[str, str, str]] = []

    t = r.get("throughput", {})
    rate, fifths = t.get("accepted_per_s"), t.get("accepted_per_s_by_fifth") or []
    drift = (fifths[-1] / fifths[0] - 1) if len(fifths) == 5 and fifths[0] else None
    rows.append(
        (
            "closed loop ≥ 300 accepted/s, last fifth within ±20 % of the first",
            f"{fmt(rate, '/s')}; last/first fifth {'–' if drift is None else f'{drift:+.0%}'}",
            verdict(None if rate is None or drift is None else rate >= 300 and abs(drift) <= 0.2),
        )
    )
    f = r.get("fixed_rate", {})
    p99 = (f.get("latency") or {}).get("p99_ms")
    at_100 = f.get("target_rate", 0) >= 100
    rows.append(
        (
            "fixed 100 req/s: only 202, accept p99 ≤ 50 ms",
            f"{fmt(f.get('target_rate'))} req/s: {f.get('statuses', {})}, p99 {fmt(p99, 'ms')}",
            verdict(None if p99 is None or not at_100 else bool(f.get("all_sent_accepted")) and p99 <= 50),
        )
    )
    relay = (t.get("to_kafka") or {}).get("events_per_s")
    e2e = ((f.get("to_kafka") or {}).get("latency") or {}).get("p99_ms")
    complete = (f.get("to_kafka") or {}).get("complete", True)
    rows.append(
        (
            "relay ≥ intake (closed loop); webhook → Kafka p99 ≤ 200 ms at 100 req/s",
            f"relay {fmt(relay, '/s')} vs intake {fmt(rate, '/s')}; p99 {fmt(e2e, 'ms')}"
            + ("" if complete else " (not all arrived)"),
            verdict(
                None
                if relay is None or rate is None or e2e is None or not at_100
                else relay >= rate * 0.98 and e2e <= 200 and complete
            ),
        )
    )
    trips = [
        (t.get("db_round_trips") or {}).get("per_accepted"),
        (f.get("db_round_trips") or {}).get("per_accepted"),
    ]
    rows.append(
        (
            "database round trips per accepted webhook printed (SQLite vs PostgreSQL: bench/ferretdb/probe.py)",
            f"{fmt(trips[0])} (closed loop) / {fmt(trips[1])} (fixed rate), on {report['settings'].get('store')}",
            "printed",
        )
    )
    return rows


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Referral intake benchmark (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=2000, help="webhooks in the throughput phase")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients in the throughput phase")
    parser.add_argument(
        "--throughput-seconds", type=float, default=45.0, help="stop sending in the throughput phase after this"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s of the fixed-rate phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the fixed-rate schedule")
    parser.add_argument(
        "--answer-wait", type=float, default=40.0, help="fixed rate: wait this long after the last send for answers"
    )
    parser.add_argument("--produce", type=int, default=None, help="records per baseline figure (default: --requests)")
    parser.add_argument("--drain", type=float, default=30.0, help="max wait for ready events on Kafka after a phase")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="overall deadline of the measurements")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep-workdir", action="store_true", help="keep data and logs of the servers")
    parser.add_argument("--store", choices=STORES, default="postgresql", help="FerretDB's store")
    parser.add_argument(
        "--preload", type=int, default=0, metavar="N", help="cases stored in each phase's database before it starts"
    )
    args = parser.parse_args(argv)
    if args.preload < 0:
        parser.error("--preload must be 0 or more")
    for name in ("requests", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    for name in ("rate", "seconds", "throughput_seconds", "answer_wait", "drain", "max_seconds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    args.produce = args.produce or args.requests
    return args


def write_json(path: Path | None, report: dict[str, Any]) -> None:
    """The figures as JSON at `path` (`--json`), when given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        console.print(f"figures written to {path}")


def on_servers(stack: Stack, workdir: Path, run: Callable[[], None], *, keep_workdir: bool) -> bool:
    """`run` (it starts the servers and measures); the servers stopped afterwards whatever happened
    (Ctrl-C, SIGTERM, a failure, printed), the workdir kept when asked or after a failure. True: it failed."""
    failed = False
    try:
        run()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        failed = True
    except Exception as exc:  # noqa: BLE001 - print the reason, then stop everything
        console.print(f"[red]benchmark failed:[/red] {type(exc).__name__}: {exc}")
        failed = True
    finally:
        with console.status("stopping referral, FerretDB, PostgreSQL and Kafka"):
            stack.stop()
        if failed or keep_workdir:
            console.print(f"server data and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # The closed loop measures what the intake can take, from one signed sender. Its own rate limit
    # (200/s per sender, services/referral/README.md) would be the figure instead: on a quiet machine
    # the 16 clients were answered 429 for 911 of 2,000 webhooks (make bench, 2026-12-06 08:04) and
    # "≥ 200 accepted/s" read 199.9. The limit keeps its own tests; overload.py does the same.
    os.environ["REFERRAL_WEBHOOK_LIMITS__PER_SENDER"] = PER_SENDER_LIMIT
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="trygg-bench-"))
    stack = Stack(workdir, store=args.store, preload=args.preload)
    results: dict[str, Any] = {}

    def run() -> None:
        with console.status(f"starting Kafka and FerretDB ({args.store}) on loopback"):
            stack.start_servers()
        console.print(
            f"Kafka {stack.kafka.bootstrap_servers}, FerretDB {stack.ferretdb.uri} on {args.store} "
            f"(ready in {time.perf_counter() - began:.1f} s; data in {workdir})"
        )
        measure(stack, args, time.perf_counter() + args.max_seconds, results)

    failed = on_servers(stack, workdir, run, keep_workdir=args.keep_workdir)

    report = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "run_seconds": round(time.perf_counter() - began, 1),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine_facts(),
        "results": results,
        "ratios": ratios(results),
    }
    report["targets_v3"] = targets_v3(report)
    if results:
        print_report(report)
    write_json(args.json, report)
    phase_failed = any("error" in v for v in results.values()) or len(results) < 3
    if failed or phase_failed:
        return 1
    not_202 = [p for p in ("throughput", "fixed_rate") if not results[p].get("all_sent_accepted")]
    if not_202:
        console.print(f"[yellow]not every request was answered 202 in: {', '.join(not_202)}[/yellow]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
