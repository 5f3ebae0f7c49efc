"""Database round trips per SMS to a relative, by stage, command and collection.

Starts throwaway Kafka + PostgreSQL + FerretDB on PostgreSQL (from `.local/`), a fake
46elks-compatible gateway, and the notification service *in this process* (the same
`bootstrap`, consumers, dispatcher, outbox relay and timers as the real process, with its HTTP
routes on loopback so the gateway's delivery reports reach it). Its MongoDB client carries a
pymongo `CommandListener`, which files every command under the code that issued it (read from
the call stack: the consumer guard, the event's use case, the dispatcher's steps, the relay, the
delivery report, polling) and the collection it names.

It publishes `--events` events at `--rate` per second (one consented relative each, a distinct
phone number per event) and waits until every SMS reached the gateway, every delivery report
was answered and `--settle` seconds passed. Scenarios:

- `decision`: one `decision_granted` carrying its relative (what `run.py` sends);
- `contacts`: `decision_granted` without relatives, then referral's `relative_contacts_changed`
  (today's path: two consumed events per SMS).

Polling (the dispatcher's due query, the timer loop, the relay's lease and full scan) runs
whether or not there is work; it is listed apart and left out of the per-SMS figure.

`--future N` first queues N reminders due days ahead (as a municipality's case load does: two
per decision), and `--idle S` then measures S seconds with nothing to send: the polling commands
per second and the rows of `messages` PostgreSQL read meanwhile (`pg_stat_user_tables`:
`seq_tup_read + idx_tup_fetch`), which the dispatcher's due query should not grow with N.

    .venv/bin/python bench/notification/roundtrips.py [--scenario decision|contacts] [--events 100] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient, monitoring
from rich.console import Console
from rich.table import Table

from devstack.servers import FerretDBServer, KafkaServer, PostgresServer
from notification.bootstrap import RELAY_SETTLE_SECONDS, bootstrap
from notification.config import Settings
from notification.fake_gateway import FakeElks
from notification.main import http_app
from trygg_shared.contracts import referral as r
from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.indexes import collection_tables
from trygg_shared.kafka import EventPublisher, create_broker, ensure_topics
from trygg_shared.logging import configure_logging
from trygg_shared.service import Infrastructure

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: `bench.common`
from bench.common.footprint import cpu_seconds

console = Console(width=120)

# The stage of a command: the innermost frame of ours with one of these names.
STAGES = {
    "_consume": "consume",
    "_process": "consume",  # a record of a batch (lanes)
    "dispatch": "dispatch",
    "apply_report": "report",
    "_publish_nudged": "relay",
    "_publish_document": "relay",  # fast-path documents are published in tasks of their own
    "_publish_by_id": "relay",
    "release": "claim clean-up",  # the background removal of version claims (trygg_shared.mongo)
    "dispatch_due_traced": "polling",
    "acquire": "polling",
    "timer_loop": "polling",
    "run": "polling",  # a loop's own query (timers)
    "_sweeper": "polling",
    "_sweep_guards": "polling",
}
# The step inside a stage: the innermost frame of ours with one of these names, else the
# innermost use case (a function in service_layer/).
STEPS = {
    "seen": "guard: seen",
    "position": "guard: position",
    "advance": "guard: advance",
    "mark": "guard: mark",
    "_refusal": "consent check",
    "reserve": "cap slot",
    "take": "send claim",
    "_record": "outcome",
    "create_message": "message intent",
    "contact_for": "team contact",
    "queued_for_case": "queued for case",
    "_publish_document": "publish + empty outbox",
    "_publish_by_id": "read outbox",
}
OURS = ("/trygg_shared/", "/notification/")


def _collection(event: monitoring.CommandStartedEvent) -> str:
    value = event.command.get(event.command_name)
    if event.command_name == "getMore":
        value = event.command.get("collection")
    return str(value) if isinstance(value, str) else "-"


class Recorder(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str, str]] = Counter()
        self.enabled = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.enabled or event.command_name in ("hello", "isMaster", "ismaster", "endSessions", "ping"):
            return
        frames: list[FrameType] = []  # ours, innermost first
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if any(part in frame.f_code.co_filename for part in OURS):
                frames.append(frame)
            frame = frame.f_back
        names = [f.f_code.co_name for f in frames]
        stage = next((STAGES[n] for n in names if n in STAGES), "other")
        step = next((STEPS[n] for n in names if n in STEPS), None)
        if step is None:
            step = next((f.f_code.co_name for f in frames if "/service_layer/" in f.f_code.co_filename), "-")
            if stage == "dispatch" and step in ("dispatch", "_claim"):
                step = "claim: queued → sending"
        self.counts[(stage, step, event.command_name, _collection(event))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def records(scenario: str, phone: str) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    case_id = str(uuid.uuid4())
    person = "p_" + uuid.uuid4().hex
    decision_id = "d_" + uuid.uuid4().hex
    now = datetime.now(UTC)
    relative = r.Relative(relative_id="rel1", name="Bench", phone=phone, language=r.Language.SV, consent=True)
    events: list[Any] = [
        r.DecisionGranted(
            case_id=case_id,
            person_ref=person,
            decision_id=decision_id,
            decision_type=r.DecisionType.TRYGG_HEMGANG,
            start_date=date.today(),
            length_days=14,
            team="Team Bench",
            relatives=(relative,) if scenario == "decision" else (),
            granted_by="officer:bench",
            granted_at=now,
        )
    ]
    if scenario == "contacts":
        events.append(
            r.RelativeContactsChanged(
                case_id=case_id,
                person_ref=person,
                decision_id=decision_id,
                relatives=(
                    r.RelativeContact(
                        relative_id="rel1",
                        phone=phone,
                        language=r.Language.SV,
                        consent_recorded_by="officer:bench",
                        consent_recorded_at=now,
                    ),
                ),
                changed_by="officer:bench",
                changed_at=now,
            )
        )
    out = []
    for seq, event in enumerate(events, start=1):
        meta = EventMeta(
            id=str(uuid.uuid4()),
            type=event.EVENT_TYPE,
            source="urn:trygghemgang:referral",
            subject=case_id,
            time=now,
            sequence=seq,
        )
        record = encode(meta, event.model_dump(mode="json"))
        out.append((event.TOPIC, record.key or b"", record.value, list(record.headers.items())))
    return out


async def measure(
    kafka: KafkaServer, ferretdb: FerretDBServer, postgres_url: str, args: argparse.Namespace
) -> dict[str, Any]:
    await ensure_topics(kafka.bootstrap_servers, ALL_TOPICS)
    gateway = FakeElks(report_delay=args.report_delay)
    await gateway.start()
    recorder = Recorder()
    port = _free_port()
    tag = uuid.uuid4().hex[:6]
    settings = Settings(
        mongo={"uri": ferretdb.uri, "database": f"notification_trips_{tag}", "postgres_url": postgres_url},
        kafka={"bootstrap_servers": kafka.bootstrap_servers},
        consumer_group=f"notification-trips-{tag}",
        provider="46elks",
        elks={"base_url": gateway.base_url, "username": gateway.username, "password": gateway.password},
        public_base_url=f"http://127.0.0.1:{port}",
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
        relative_daily_cap=100,
        start_text_wait_seconds=0,  # no scheduling here: nothing to wait for
        logging={"level": "WARNING"},
    )
    configure_logging(settings.logging, settings.service_name)
    logging.getLogger("faststream").setLevel(logging.WARNING)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        ferretdb.uri, tz_aware=True, event_listeners=[recorder], appname="notification"
    )
    provider = TracerProvider()
    broker = create_broker(settings.kafka, settings.service_name, provider)
    infra = Infrastructure(
        settings=settings,
        tracer_provider=provider,
        mongo_client=client,
        db=client[settings.mongo.database],
        broker=broker,
        publisher=EventPublisher(broker, source="urn:trygghemgang:notification"),
    )
    notification = bootstrap(settings, infra=infra)
    server = uvicorn.Server(
        uvicorn.Config(http_app(notification, lifespan_enabled=False), host="127.0.0.1", port=port, log_level="error")
    )
    serving = asyncio.create_task(server.serve())
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    loop = asyncio.get_running_loop()
    try:
        await notification.runtime.start()
        await queue_future_reminders(notification.deps.messages, args.future)

        async def send_and_wait(phones: list[str], rate: float) -> float:
            start = loop.time()
            for i, phone in enumerate(phones):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                for topic, key, value, headers in records(args.scenario, phone):
                    await producer.send_and_wait(topic, value, key=key, headers=headers)
            deadline = loop.time() + args.timeout
            wanted = set(phones)
            while loop.time() < deadline:
                got = {m.to for m in gateway.messages}
                reported = {m.to for m in gateway.messages if any(rid == m.id for rid, _ in gateway.reports)}
                if got >= wanted and reported >= wanted:
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("not every SMS and delivery report arrived in time")
            await asyncio.sleep(args.settle)
            return loop.time() - start

        warm = [f"+4679{uuid.uuid4().int % 10**7:07d}" for _ in range(5)]
        await send_and_wait(warm, 10)
        phones = [f"+4678{i:03d}{uuid.uuid4().int % 10**4:04d}" for i in range(args.events)]
        scans_before = await table_scans(postgres_url, settings.mongo.database)
        recorder.enabled = True
        seconds = await send_and_wait(phones, args.rate)
        recorder.enabled = False
        scans = table_scans_diff(scans_before, await table_scans(postgres_url, settings.mongo.database))
        sent = [m for m in gateway.messages if m.to in set(phones)]
        if len(sent) != len(phones):
            raise RuntimeError(f"{len(sent)} SMS for {len(phones)} relatives")
        idle = (
            await measure_idle(recorder, postgres_url, settings.mongo.database, args.idle, ferretdb.pid())
            if args.idle
            else {}
        )
    finally:
        await producer.stop()
        await notification.runtime.stop()
        server.should_exit = True
        await serving
        if notification.http_client is not None:
            await notification.http_client.aclose()
        await gateway.stop()

    n = args.events
    rows = sorted(recorder.counts.items(), key=lambda kv: (kv[0][0] == "polling", kv[0][0], -kv[1]))
    work = sum(v for k, v in recorder.counts.items() if k[0] != "polling")
    polling = sum(v for k, v in recorder.counts.items() if k[0] == "polling")
    return {
        "scenario": args.scenario,
        "events": n,
        "rate": args.rate,
        "seconds": round(seconds, 1),
        "per_sms": round(work / n, 2),
        "polling_total": polling,
        "by_command": _per_sms_by(recorder.counts, n, 2),
        "by_collection": _per_sms_by(recorder.counts, n, 3),
        # PostgreSQL's sequential scans (pg_stat_user_tables.seq_scan) of each collection's table
        # while measuring, polling included: a FerretDB query with no filter it pushes down to an
        # index (see trygg_shared.indexes) reads the whole table.
        "table_scans_per_sms": {k: round(v / n, 2) for k, v in scans.items() if v},
        "future_reminders": args.future,
        **idle,
        "breakdown": [
            {"stage": s, "step": st, "command": c, "collection": coll, "per_sms": round(v / n, 2), "total": v}
            for (s, st, c, coll), v in rows
        ],
    }


async def queue_future_reminders(store: Any, n: int) -> None:
    """`n` queued reminders due 1-5 days ahead, saved as the service saves a message."""
    if not n:
        return
    from notification.domain.contacts import Language
    from notification.domain.message import Message, RecipientKind
    from notification.domain.templates import MessageKind

    now = datetime.now(UTC)
    for i in range(n):
        m = Message(
            message_id=str(uuid.uuid4()),
            kind=MessageKind.FOLLOW_UP_MEETING,
            recipient=RecipientKind.RELATIVE,
            recipient_id="r-future",
            to=f"+4677{i:07d}",
            text="Påminnelse om uppföljningsmöte",
            language=Language.SV,
            created_at=now,
            not_before=now + timedelta(days=1 + i % 5, minutes=i % 600),
            case_id=f"case-future-{i}",
        )
        await store.save(m.message_id, 0, m, [])


async def messages_rows_read(postgres_url: str, database: str) -> int:
    """Rows of the `messages` table PostgreSQL read so far (sequential and index fetches)."""
    import psycopg

    table = (await collection_tables(postgres_url, database))["messages"]
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await (
            await conn.execute(
                "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables"
                " WHERE schemaname = %s AND relname = %s",
                (database, table),
            )
        ).fetchone()
    return int(row[0]) if row else 0


async def measure_idle(
    recorder: Recorder, postgres_url: str, database: str, seconds: float, ferretdb_pid: int | None
) -> dict[str, Any]:
    """Nothing to send for `seconds`: polling commands per second, `messages` rows read per second,
    FerretDB's CPU (% of a core).

    PostgreSQL's backends report their counters when idle, at most every 10 s: the window is
    read 11 s after it ends, so both ends have been reported."""
    await asyncio.sleep(11)
    rows_before = await messages_rows_read(postgres_url, database)
    before = sum(v for k, v in recorder.counts.items() if k[0] == "polling")
    cpu_before = cpu_seconds(ferretdb_pid) or 0.0
    recorder.enabled = True
    await asyncio.sleep(seconds)
    recorder.enabled = False
    cpu = (cpu_seconds(ferretdb_pid) or 0.0) - cpu_before
    polled = sum(v for k, v in recorder.counts.items() if k[0] == "polling") - before
    await asyncio.sleep(11)
    rows = await messages_rows_read(postgres_url, database) - rows_before
    return {
        "idle_seconds": seconds,
        "idle_polling_per_second": round(polled / seconds, 2),
        # the window plus the 11 s after it (the counters of both ends are reported by then)
        "idle_messages_rows_read_per_second": round(rows / (seconds + 11), 1),
        "idle_ferretdb_cpu_percent": round(100 * cpu / seconds, 1),
    }


async def table_scans(postgres_url: str, database: str) -> dict[str, tuple[int, int]]:
    """Per collection of the database: (sequential scans, index scans) of its table so far."""
    import psycopg

    tables = {table: name for name, table in (await collection_tables(postgres_url, database)).items()}
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await (
            await conn.execute(
                "SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE schemaname = %s",
                (database,),
            )
        ).fetchall()
    return {tables[r]: (int(seq), int(idx)) for r, seq, idx in rows if r in tables}


def table_scans_diff(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {k: v[0] - before.get(k, (0, 0))[0] for k, v in sorted(after.items())}


def _per_sms_by(counts: Counter[tuple[str, str, str, str]], n: int, index: int) -> dict[str, float]:
    out: Counter[str] = Counter()
    for key, v in counts.items():
        if key[0] != "polling":
            out[key[index]] += v
    return {k: round(v / n, 2) for k, v in out.most_common()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=("decision", "contacts"), default="decision")
    parser.add_argument("--events", type=int, default=100, help="SMS to measure (one relative per event).")
    parser.add_argument("--rate", type=float, default=10.0, help="Events per second (below capacity).")
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for the last SMS and report.")
    parser.add_argument(
        "--settle",
        type=float,
        default=RELAY_SETTLE_SECONDS + 2.0,
        help="Seconds after the last report (the relay empties what no save emptied after RELAY_SETTLE_SECONDS).",
    )
    parser.add_argument(
        "--report-delay",
        type=float,
        default=0.05,
        help="Seconds from a send to the gateway's delivery report (46elks: when the phone has it, seconds later).",
    )
    parser.add_argument("--future", type=int, default=0, help="Reminders queued days ahead before measuring.")
    parser.add_argument("--idle", type=float, default=0.0, help="Then seconds with nothing to send, measured.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-notification-trips-"))
    kafka = KafkaServer(workdir / "kafka")
    postgres = PostgresServer(workdir / "postgres")
    ferretdb = FerretDBServer(workdir / "ferretdb", postgres_url=postgres.url)
    try:
        console.print(f"starting Kafka, PostgreSQL and FerretDB in {workdir} ...")
        kafka.start()
        postgres.start()
        postgres.wait_ready(60)
        ferretdb.start()
        ferretdb.wait_ready(60)
        kafka.wait_ready(90)
        result = asyncio.run(measure(kafka, ferretdb, postgres.url, args))
    finally:
        ferretdb.stop()
        postgres.stop()
        kafka.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    table = Table(title=f"MongoDB commands per SMS ({result['scenario']}: {result['events']} SMS at {args.rate:g}/s)")
    for column in ("stage", "step", "command", "collection", "per SMS"):
        table.add_column(column, justify="right" if column == "per SMS" else "left")
    for row in result["breakdown"]:
        table.add_row(row["stage"], row["step"], row["command"], row["collection"], f"{row['per_sms']:.2f}")
    console.print(table)
    console.print(
        f"per SMS (without polling): [bold]{result['per_sms']}[/]; by command: "
        + ", ".join(f"{k} {v}" for k, v in result["by_command"].items())
        + "; by collection: "
        + ", ".join(f"{k} {v}" for k, v in result["by_collection"].items())
        + f"; polling meanwhile: {result['polling_total']} commands in {result['seconds']} s"
    )
    console.print(
        "table scans per SMS (PostgreSQL seq_scan, polling included): "
        + (", ".join(f"{k} {v}" for k, v in result["table_scans_per_sms"].items()) or "none")
    )
    if args.idle:
        console.print(
            f"idle with {args.future} future reminders queued: {result['idle_polling_per_second']} polling"
            f" commands/s, {result['idle_messages_rows_read_per_second']} rows of messages read/s by PostgreSQL,"
            f" FerretDB {result['idle_ferretdb_cpu_percent']} % of a core"
        )
    if args.json:
        args.json.write_text(json.dumps({**result, "at": time.time()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
