"""`trygg status`: is every service up, and how far behind is each consumer group?

Health is each service's `/readyz` (ready, degraded when Kafka is unreachable, or down); beside
it, from the `trygg run` supervisor's state file (`supervisor.json` in the run folder), how often
each service and server was started again, its last exit, and whether it is in a crash loop. Lag is,
per consumer group and topic, the sum over partitions of (end offset - committed offset), read
with the Kafka admin client; a group with nothing committed on a partition counts that
partition's whole length.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.table import Table

from devstack import paths
from devstack.stack import SERVICES, ServiceSpec
from devstack.supervisor import STATE_FILE, read_state

CONSOLE_SPEC = ServiceSpec("console", "CONSOLE_", 8005)

app = typer.Typer(add_completion=False, help=__doc__)


def known_services() -> list[ServiceSpec]:
    specs = list(SERVICES)
    if all(s.name != CONSOLE_SPEC.name for s in specs):
        specs.append(CONSOLE_SPEC)
    return specs


@dataclass(frozen=True)
class Health:
    service: str
    url: str
    state: str  # ready, degraded, down
    detail: str


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partitions: int
    lag: int


async def service_health(client: httpx.AsyncClient, spec: ServiceSpec, host: str) -> Health:
    url = f"http://{host}:{spec.default_port}"
    try:
        response = await client.get(f"{url}/readyz", timeout=3)
    except httpx.HTTPError as exc:
        return Health(spec.name, url, "down", f"no answer ({type(exc).__name__})")
    try:
        body = response.json()
    except ValueError:
        body = {}
    checks = body.get("checks", body) if isinstance(body, dict) else {}
    detail = ", ".join(f"{k}: {v}" for k, v in checks.items() if isinstance(v, str)) or f"HTTP {response.status_code}"
    if response.status_code != 200:
        return Health(spec.name, url, "down", detail)
    degraded = isinstance(body, dict) and body.get("status") == "degraded"
    return Health(spec.name, url, "degraded" if degraded else "ready", detail)


async def all_health(specs: Sequence[ServiceSpec], host: str) -> list[Health]:
    async with httpx.AsyncClient() as client:
        return list(await asyncio.gather(*(service_health(client, s, host) for s in specs)))


async def consumer_lag(bootstrap: str) -> list[Lag]:
    """Lag of every consumer group on every topic it has committed offsets for."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        groups = sorted(g[0] if isinstance(g, tuple) else g.group_id for g in await admin.list_consumer_groups())
        out: list[Lag] = []
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            by_topic: dict[str, list[TopicPartition]] = {}
            for tp in committed:
                by_topic.setdefault(tp.topic, []).append(tp)
            for topic, known in sorted(by_topic.items()):
                partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
                partitions = partitions or known
                ends = await consumer.end_offsets(partitions)
                lag = 0
                for tp in partitions:
                    meta = committed.get(tp)
                    done = meta.offset if meta is not None and meta.offset >= 0 else 0
                    lag += max(ends[tp] - done, 0)
                out.append(Lag(group, topic, len(partitions), lag))
        return out
    finally:
        await consumer.stop()
        await admin.close()


def _restarts(child: dict[str, Any] | None) -> tuple[str, str]:
    """(restarts, last exit) cells for one supervised process."""
    if child is None:
        return "", ""
    restarts = str(child.get("restarts", 0))
    if child.get("state") == "crash-loop":
        restarts += " [bold red]CRASH LOOP[/]"
    elif child.get("state") == "restarting":
        restarts += f" [yellow](restart in {child.get('restart_in_seconds')} s)[/]"
    last = child.get("last_exit") or "-"
    if child.get("last_exit_at"):
        last += f" at {child['last_exit_at']}"
    if child.get("last_error"):
        last += f"; start failed: {child['last_error']}"
    return restarts, last


def render(
    health: Sequence[Health],
    lags: Sequence[Lag] | None,
    kafka_error: str | None,
    out: Console,
    supervised: dict[str, Any] | None = None,
) -> None:
    children: dict[str, Any] = (supervised or {}).get("children", {})
    table = Table(title="Services", title_justify="left")
    for column in ("service", "state", "url", "detail", "restarts", "last exit"):
        table.add_column(column)
    colours = {"ready": "green", "degraded": "yellow", "down": "red"}
    for h in health:
        cells = _restarts(children.get(h.service))
        table.add_row(h.service, f"[{colours[h.state]}]{h.state}[/]", h.url, h.detail, *cells)
    out.print(table)
    servers = {name: c for name, c in children.items() if c.get("kind") == "server"}
    if servers:
        server_table = Table(title="Servers (supervised by trygg run)", title_justify="left")
        for column in ("server", "state", "pid", "restarts", "last exit"):
            server_table.add_column(column)
        for name, child in servers.items():
            state = child.get("state", "?")
            colour = {"running": "green", "restarting": "yellow"}.get(state, "red")
            server_table.add_row(name, f"[{colour}]{state}[/]", str(child.get("pid") or "-"), *_restarts(child))
        out.print(server_table)
    if supervised is not None and not supervised.get("running"):
        out.print(f"[yellow]The supervisor's state is from a run that has stopped ({supervised.get('updated_at')}).[/]")
    if kafka_error is not None:
        out.print(f"[red]Kafka: {kafka_error}[/red]")
        return
    lag_table = Table(title="Consumer lag (messages not yet handled)", title_justify="left")
    for column in ("group", "topic", "partitions", "lag"):
        lag_table.add_column(column, justify="right" if column in ("partitions", "lag") else "left")
    for lag in lags or ():
        colour = "green" if lag.lag == 0 else ("yellow" if lag.lag < 100 else "red")
        lag_table.add_row(lag.group, lag.topic, str(lag.partitions), f"[{colour}]{lag.lag}[/]")
    if not lags:
        out.print("No consumer group has committed anything yet.")
    else:
        out.print(lag_table)


@app.command()
def status(
    kafka: str = typer.Option("127.0.0.1:9092", help="Kafka bootstrap servers of `make run`."),
    host: str = typer.Option("127.0.0.1", help="Host the services listen on."),
    workdir: Annotated[Path | None, typer.Option(help="The run folder of `trygg run` (its supervisor.json).")] = None,
) -> None:
    """Health of every service, restarts and last exits, and the consumer lag per group and topic."""
    out = Console()
    supervised = read_state((workdir or paths.run_dir()) / STATE_FILE)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the table says it; no stack of retries
    health = asyncio.run(all_health(known_services(), host))
    lags: list[Lag] | None = None
    kafka_error = None
    try:
        lags = asyncio.run(asyncio.wait_for(consumer_lag(kafka), 15))
    except Exception as exc:  # noqa: BLE001 - any failure is reported as Kafka being unreachable
        kafka_error = f"not reachable at {kafka} ({type(exc).__name__})"
    render(health, lags, kafka_error, out, supervised)
    crash_loop = supervised is not None and any(c.get("crash_loop") for c in supervised.get("children", {}).values())
    if any(h.state == "down" for h in health) or kafka_error or crash_loop:
        raise typer.Exit(1)
