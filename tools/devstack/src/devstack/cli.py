"""`trygg`: run the whole system locally and try it by hand (also installed as `devstack`).

trygg run                  # PostgreSQL, FerretDB, Kafka, Jaeger, Prometheus and the services; Ctrl-C stops all
trygg run --store sqlite   # FerretDB on SQLite files instead of PostgreSQL (also TRYGG_STORE=sqlite)
trygg webhook              # send a correctly signed sample LUS message to referral
trygg show CASE_ID         # what each service's database holds for a case
trygg demo                 # a simulated fortnight through the running system, then the figures
trygg status               # health of every service and consumer lag per topic
"""

from __future__ import annotations

import asyncio
import copy
import json
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table
from standardwebhooks.webhooks import Webhook

from devstack import demo as demo_command
from devstack import paths
from devstack import status as status_command
from devstack.servers import STORES, ServerError, default_store, port_or_free
from devstack.stack import SERVICES, Stack
from notification.config import LOCAL_DEV_ONCALL_PHONES as LOCAL_ONCALL_PHONES
from referral.domain.messages import MessageType
from referral.entrypoints.lus_format import example_bodies

MESSAGE_TYPES = tuple(t.value for t in MessageType)

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
console = Console()


@app.command()
def run(
    workdir: Annotated[Path | None, typer.Option(help="Data and logs (kept between runs).")] = None,
    store: Annotated[
        str | None,
        typer.Option(help=f"FerretDB's store: {' or '.join(STORES)} (default: TRYGG_STORE, else postgresql)."),
    ] = None,
) -> None:
    """Start PostgreSQL, FerretDB, Kafka, Jaeger, Prometheus and every service on 127.0.0.1; Ctrl-C stops them all."""
    workdir = workdir or paths.run_dir()
    chosen = (store or default_store()).lower()
    if chosen not in STORES:
        raise typer.BadParameter(f"--store must be one of {', '.join(STORES)}")
    started = time.monotonic()
    stack = Stack(
        workdir,
        kafka_port=9092,
        mongo_port=27017,
        store=chosen,  # type: ignore[arg-type]
        postgres_port=port_or_free(5432),
        jaeger_query_port=16686,
        otlp_http_port=4318,
        otlp_grpc_port=4317,
        prometheus=True,
        prometheus_port=9090,
        oncall_phones=LOCAL_ONCALL_PHONES,
    )
    stopping = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        with console.status(f"starting PostgreSQL, FerretDB ({chosen}), Kafka, Jaeger and Prometheus"):
            stack.start_servers()
        with console.status(f"starting {', '.join(s.name for s in SERVICES)}"):
            stack.start_services()
        elapsed = time.monotonic() - started
        table = Table(title=f"Trygg hemgång is running (ready in {elapsed:.1f} s)")
        table.add_column("what")
        table.add_column("where", overflow="fold")
        table.add_column("log", overflow="fold")
        if stack.postgres is not None:
            table.add_row("PostgreSQL (FerretDB's store)", stack.postgres.url, str(stack.postgres.log_path))
        table.add_row(f"FerretDB (MongoDB wire, {chosen})", stack.ferretdb.uri, str(stack.ferretdb.log_path))
        table.add_row("Kafka", stack.kafka.bootstrap_servers, str(stack.kafka.log_path))
        if stack.tracing is not None:
            table.add_row("Jaeger UI and query API", stack.tracing.query_url, str(stack.tracing.log_path))
            table.add_row(
                "Jaeger OTLP (HTTP, gRPC)", f"{stack.tracing.otlp_endpoint}, {stack.tracing.otlp_grpc_endpoint}", ""
            )
        if stack.monitoring is not None:
            table.add_row("Prometheus (targets, alerts)", stack.monitoring.url, str(stack.monitoring.log_path))
        for svc in stack.services.values():
            table.add_row(svc.spec.name, f"{svc.url}/docs", str(svc.proc.log_path))
        console.print(table)
        console.print(
            "Try it: [bold]make webhook[/bold] (or `.venv/bin/trygg webhook`), then `.venv/bin/trygg show <case_id>`;"
            " or [bold].venv/bin/trygg demo[/bold] for a simulated fortnight."
        )
        if "console" in stack.services:
            console.print(
                f"Console: {stack.services['console'].url} (sign in with dev-officer, dev-team, dev-oncall or dev-ops)"
            )
        if stack.tracing is not None:
            console.print(f"Traces: {stack.tracing.query_url} (a trace of one journey at /trace/<trace id>)")
        if stack.monitoring is not None:
            console.print(
                f"Metrics and alerts: {stack.monitoring.url}"
                " (targets at /classic/targets, alert rules at /classic/alerts)"
            )
        console.print("Press Ctrl-C to stop everything. A process that dies is started again (`trygg status`).")
        colours = {"info": "green", "warning": "yellow", "error": "bold red"}

        def report(level: str, text: str) -> None:
            console.print(f"[{colours.get(level, 'white')}]{time.strftime('%H:%M:%S')} {text}[/]")

        supervisor = stack.supervisor(report=report)
        console.print(f"Supervisor state: {supervisor.state_path}")
        while True:
            supervisor.tick()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
    except ServerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        stack.stop()
        console.print("stopped.")


def sample_message(message_type: str, episode_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(example_bodies()[message_type])
    body["sent_at"] = datetime.now(UTC).isoformat()
    if message_type == "utskrivningsklar":
        body["ready_at"] = body["sent_at"]
    if episode_id:
        body["episode"]["episode_id"] = episode_id
    return body


def sign(secret: str, webhook_id: str, body: bytes, timestamp: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for a body, as a hospital system sends them."""
    ts = timestamp or datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, ts, body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(ts.timestamp())),
        "webhook-signature": signature,
    }


@app.command()
def webhook(
    message_type: Annotated[
        str, typer.Option("--type", help=f"One of: {', '.join(MESSAGE_TYPES)}.")
    ] = "utskrivningsklar",
    url: Annotated[str, typer.Option(help="The intake endpoint.")] = "http://127.0.0.1:8001/webhooks/lus",
    secret: Annotated[
        str | None, typer.Option(help="Sender secret (whsec_...); default: the local dev sender.")
    ] = None,
    episode_id: Annotated[str | None, typer.Option(help="Care episode id (default: the example's).")] = None,
    webhook_id: Annotated[str | None, typer.Option(help="webhook-id (default: a new one).")] = None,
) -> None:
    """Send a correctly signed sample LUS message (from docs/specs/examples) to referral."""
    if message_type not in MESSAGE_TYPES:
        raise typer.BadParameter(f"unknown type; choose one of {', '.join(MESSAGE_TYPES)}")
    if secret is None:
        from referral.config import LOCAL_DEV_SENDER_SECRET

        secret = LOCAL_DEV_SENDER_SECRET
    body = json.dumps(sample_message(message_type, episode_id), ensure_ascii=False).encode()
    headers = sign(secret, webhook_id or f"msg_{uuid.uuid4().hex}", body)
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    console.print(f"{response.status_code} {response.reason_phrase}")
    console.print_json(response.text)
    if response.status_code >= 300:
        raise typer.Exit(1)


@app.command()
def show(
    case_id: str,
    mongo_uri: Annotated[str, typer.Option(help="FerretDB/MongoDB URI.")] = "mongodb://127.0.0.1:27017/",
) -> None:
    """What each service's own database holds for a case (personal data left out)."""

    async def collect() -> dict[str, Any]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=3000)
        try:
            referral = await client["referral"]["cases"].find_one(
                {"_id": case_id}, {"status": 1, "version": 1, "liability_starts_at": 1, "outbox_pending": 1}
            )
            return {
                "referral.cases": referral,
                "scheduling.incoming_referrals": await client["scheduling"]["incoming_referrals"].find_one(
                    {"_id": case_id}
                ),
                "notification.liability_watches": await client["notification"]["liability_watches"].find_one(
                    {"_id": case_id}
                ),
                "billing.case_liability": await client["billing"]["case_liability"].find_one({"_id": case_id}),
            }
        finally:
            await client.close()

    found = asyncio.run(collect())
    for where, doc in found.items():
        console.rule(where)
        console.print(doc if doc is not None else "[yellow]nothing yet[/yellow]")
    if any(doc is None for doc in found.values()):
        raise typer.Exit(1)


@app.command()
def services() -> None:
    """List the services and their default ports."""
    for spec in SERVICES:
        console.print(f"{spec.name:14} http://127.0.0.1:{spec.default_port}  env prefix {spec.env_prefix}")


def settings_rows(service: str) -> list[tuple[str, str, str]]:
    """(environment variable, default, meaning) for every setting of a service."""
    import importlib

    from pydantic import BaseModel

    settings_cls = importlib.import_module(f"{service}.config").Settings
    prefix = settings_cls.model_config["env_prefix"]
    secret_defaults = {"senders", "person_ref_key"}
    rows: list[tuple[str, str, str]] = []

    def walk(model: type[BaseModel], path: list[str]) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, [*path, name])
                continue
            env = prefix + "__".join(p.upper() for p in [*path, name])
            if name in secret_defaults:
                default = "local development only: set in production"
            elif field.is_required():
                default = "(required)"
            else:
                default = str(field.get_default(call_default_factory=True))
            rows.append((env, default, (field.description or "").replace("|", "/")))

    walk(settings_cls, [])
    return rows


@app.command()
def settings(service: str) -> None:
    """Print a service's settings as a Markdown table (for its README)."""
    print("| variable | default | meaning |\n|---|---|---|")
    for env, default, meaning in settings_rows(service):
        print(f"| `{env}` | `{default}` | {meaning} |")


app.command("demo")(demo_command.demo)
app.command("status")(status_command.status)
