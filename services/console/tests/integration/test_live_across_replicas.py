"""Live updates across console replicas: two consoles on one database (FerretDB on PostgreSQL)
and one Kafka, members of the same consumer groups. Each event is handled by one of them, and a
browser's event stream on the *other* one is told within a bound (through the shared `changes`
log, the only way that replica can learn of it)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from console.bootstrap import Console, bootstrap
from console.config import Settings
from console.main import http_app
from devstack.servers import free_port
from devstack.testing import Endpoints
from trygg_shared.testing import publish_event, sample_ready_for_discharge

BOUND_SECONDS = 2.0  # from one replica's claim to the other replica's browser


@dataclass
class Replica:
    name: str
    console: Console
    base_url: str
    received: list[tuple[int, float]] = field(default_factory=list)  # (SSE id, monotonic time)

    async def listen(self) -> None:
        """A signed-in browser's `/events` stream, every `change` recorded as it arrives."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=None) as client:
            login = await client.post("/login", data={"token": "dev-oncall"}, headers={"Origin": self.base_url})
            assert login.status_code == 303, login.text
            since = self.console.deps.feed.version
            async with client.stream("GET", "/events", params={"since": since}) as stream:
                assert stream.status_code == 200
                async for line in stream.aiter_lines():
                    if line.startswith("id:"):
                        self.received.append((int(line.removeprefix("id:").strip()), time.monotonic()))


@contextlib.asynccontextmanager
async def running(name: str, settings: Settings) -> AsyncIterator[Replica]:
    port = free_port()
    console = bootstrap(settings.model_copy(update={"http": settings.http.model_copy(update={"port": port})}))
    server = uvicorn.Server(uvicorn.Config(http_app(console), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the console did not start"
            await asyncio.sleep(0.05)
        yield Replica(name, console, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task


async def until(condition: Callable[[], bool], within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def group_lag(bootstrap: str, prefix: str) -> tuple[int, int]:
    """(how many consumer groups named `prefix…` there are, their records not yet committed),
    as the broker sees them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await ends.start()
    try:
        groups = [str(g[0]) for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)]
        lag = 0
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            end = await ends.end_offsets(list(committed)) if committed else {}
            lag += sum(max(end[tp] - meta.offset, 0) for tp, meta in committed.items())
        return len(groups), lag
    finally:
        await ends.stop()
        await admin.close()


async def settled(
    a: Replica, b: Replica, bootstrap: str, prefix: str, quiet: float = 2.0, within: float = 180.0
) -> None:
    """Until the replicas' consumer groups have committed everything on their topics and neither
    replica has announced anything for `quiet` seconds.

    Kafka is shared with the tests before this one and a new consumer group reads each topic from
    the start: the replicas first work through that history, which would count as a second
    replica handling the one event a round publishes."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        groups, lag = await group_lag(bootstrap, prefix)
        if groups and not lag:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"the replicas' groups had not caught up with the topics after {within} s")
    counts = (a.console.deps.feed.announced, b.console.deps.feed.announced)
    still_since = time.monotonic()
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
        now = (a.console.deps.feed.announced, b.console.deps.feed.announced)
        if now != counts:
            counts, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return
    raise AssertionError(f"the replicas kept announcing changes for {within} s")


async def one_event(a: Replica, b: Replica, producer: KafkaBroker, db: AsyncDatabase[Any]) -> tuple[str, float]:
    """Publish one case's event; the replica that handled it, and how long after its claim the
    other replica's browser was told."""
    before = {r.name: r.console.deps.feed.announced for r in (a, b)}
    event_id = str(uuid.uuid4())
    await publish_event(producer, sample_ready_for_discharge(), event_id=event_id)
    handled = await until(lambda: any(r.console.deps.feed.announced > before[r.name] for r in (a, b)), 20)
    assert handled, "no replica handled the event"
    claimed_at = time.monotonic()
    handler, other = (a, b) if a.console.deps.feed.announced > before["a"] else (b, a)
    position = handler.console.deps.feed.version
    told = await until(lambda: any(i >= position for i, _ in other.received), BOUND_SECONDS + 1)
    assert told, f"replica {other.name}'s browser never heard of position {position}"
    seen_at = next(t for i, t in other.received if i >= position)
    await asyncio.sleep(0.3)
    # One consumer group: the event is recorded as handled once (a second group would record it
    # under its own name). Counted by the event's id, so the history that other tests left on the
    # shared Kafka (and that the replicas may still be reading) does not count.
    records = await db["processed_events"].count_documents({"event_id": event_id})
    assert records == 1, f"handled {records} times: not one consumer group"
    return handler.name, max(seen_at - claimed_at, 0.0)


async def test_an_event_handled_by_one_replica_reaches_a_browser_on_the_other(
    servers: Endpoints, db: AsyncDatabase[Any], producer: KafkaBroker
) -> None:
    settings = Settings(
        mongo={"uri": servers.mongo_uri, "database": db.name, "postgres_url": servers.postgres_url},  # type: ignore[arg-type]
        kafka={"bootstrap_servers": servers.kafka_bootstrap},  # type: ignore[arg-type]
        consumer_group=f"console-{uuid.uuid4().hex[:8]}",  # both replicas: the same groups
        session={"secure_cookie": False},  # type: ignore[arg-type]
    )
    handled_by: dict[str, list[float]] = {"a": [], "b": []}  # claim-to-other-browser seconds
    async with running("a", settings) as a, running("b", settings) as b:
        listeners = [asyncio.create_task(r.listen()) for r in (a, b)]
        try:
            # Consuming has begun (a first event handled, after the group's first assignment), and
            # then the history is worked through.
            await publish_event(producer, sample_ready_for_discharge())
            assert await until(lambda: a.console.deps.feed.announced + b.console.deps.feed.announced > 0, 60)
            await settled(a, b, servers.kafka_bootstrap, settings.consumer_group, quiet=3.0)
            before = await db["changes"].count_documents({})  # the warm-up's and the history's claims
            for n in range(60):  # until each replica has handled some (the group spreads the partitions)
                if n >= 8 and handled_by["a"] and handled_by["b"]:
                    break
                name, seconds = await one_event(a, b, producer, db)
                handled_by[name].append(seconds)
        finally:
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)

    assert handled_by["a"], "replica a handled none of the events"
    assert handled_by["b"], "replica b handled none of the events"
    latencies = sorted(handled_by["a"] + handled_by["b"])
    print(
        f"other replica's browser told after {latencies[len(latencies) // 2] * 1000:.0f} ms (median), "
        f"{latencies[-1] * 1000:.0f} ms (max) over {len(latencies)} events"
    )
    assert latencies[-1] < BOUND_SECONDS
    positions = sorted([d["_id"] async for d in db["changes"].find({})])
    assert positions == list(range(1, len(positions) + 1))  # gapless
    assert len(positions) >= before + len(latencies)  # a claim for each event at least
