"""The service chassis: infrastructure built from settings, and the process lifecycle.

A service's `bootstrap()` creates an `Infrastructure` (nothing connects yet, and nothing global
is configured: logging and tracing are set up once per process by `configure_process`, which
only `main` calls), wires its use cases, consumers and routes, and returns a `ServiceRuntime`;
`create_service_app` turns that into a FastAPI app whose lifespan creates the declared indexes,
starts Kafka consumers, the outbox relay and background loops, and stops them in reverse order
on shutdown (SIGTERM from uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Generic, Literal, Protocol, TypeVar

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.guard import Authenticate, document_limits, install_request_guard
from trygg_shared.http import Check, health_router, install_problem_handlers, problem_json_only
from trygg_shared.indexes import Index, ensure_indexes
from trygg_shared.kafka import EventConsumer, EventPublisher, HandledEvents, create_broker, ensure_topics
from trygg_shared.logging import configure_logging, get_logger
from trygg_shared.metrics import ServiceMetrics, install_request_timing
from trygg_shared.mongo import Document, ProcessedEvents, create_mongo_client, ping
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.outbox import PENDING_FLAG, OutboxRelay
from trygg_shared.ratelimit import RateLimiter
from trygg_shared.relay_lease import RelayLease
from trygg_shared.settings import KafkaSettings, ServiceSettings
from trygg_shared.stopping import stop_tasks
from trygg_shared.telemetry import configure_tracing, quiet

log = get_logger(__name__)

RELAY_LEASES = "relay_leases"  # one lease document per service's outbox relay
_Settings = TypeVar("_Settings", bound=ServiceSettings)
_Service = TypeVar("_Service")
_Wired = TypeVar("_Wired", bound="Wired")
_Deps = TypeVar("_Deps")
# How a service makes one of its consumers: (broker, the use cases' deps, guard, Kafka settings, group id).
ConsumerFactory = Callable[[KafkaBroker, _Deps, HandledEvents, KafkaSettings, str], EventConsumer]


@dataclass
class Infrastructure:
    """Clients every service needs, created from settings (they connect lazily)."""

    settings: ServiceSettings
    tracer_provider: TracerProvider
    mongo_client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    broker: KafkaBroker
    publisher: EventPublisher
    limiter: RateLimiter = field(default_factory=RateLimiter)  # request limits (`trygg_shared.ratelimit`)

    @classmethod
    def create(cls, settings: ServiceSettings, *, tracer_provider: TracerProvider | None = None) -> Infrastructure:
        """Clients from settings; no global side effects (a private tracer provider when none is given)."""
        provider = tracer_provider or TracerProvider()
        client = create_mongo_client(settings.mongo, settings.service_name)
        broker = create_broker(settings.kafka, settings.service_name, provider)
        return cls(
            settings=settings,
            tracer_provider=provider,
            mongo_client=client,
            db=client[settings.mongo.database],
            broker=broker,
            publisher=EventPublisher(broker, source=f"urn:trygghemgang:{settings.service_name}"),
            limiter=RateLimiter(settings.limits.storage_uri),
        )

    def outbox_relay(
        self,
        name: str,
        stores: Sequence[MongoAggregateStore[Any]],
        *,
        hand_over: Literal["none", "created", "written"] = "none",
        settle_seconds: float = 0.0,
    ) -> OutboxRelay:
        """The outbox relay of `stores` (settings `OUTBOX__*`), holding the lease `name` in `relay_leases`.

        Every save with events nudges it (publishes that document's events by `_id` at once).
        `hand_over`: the events of a new document ("created"), and of an update into an empty
        outbox too ("written"), are handed to it as saved, without reading the document back.
        `settle_seconds`: how long a published outbox waits for a save of its document to empty it
        (`OutboxRelay`) before the relay empties it itself.
        """
        outbox = self.settings.outbox
        relay = OutboxRelay(
            [store.collection for store in stores],
            self.publisher.publish,
            poll_interval=outbox.poll_interval_seconds,
            batch_size=outbox.batch_size,
            lease=RelayLease(self.db[RELAY_LEASES], name, ttl_seconds=outbox.lease_seconds),
            full_scan_seconds=outbox.full_scan_seconds,
            settle_seconds=settle_seconds,
        )
        for store in stores:
            store.on_saved = relay.nudge
            store.published_version = partial(relay.published_version, store.collection)
            store.on_outbox_dropped = partial(relay.dropped, store.collection)
            if hand_over != "none":
                store.on_created = partial(relay.hand_over, store.collection)
            if hand_over == "written":
                store.on_updated = store.on_created
        return relay


def configure_process(settings: ServiceSettings) -> TracerProvider:
    """Logging and tracing for this process (global state): called once, by `main`, never by bootstrap."""
    configure_logging(settings.logging, settings.service_name)
    return configure_tracing(settings.telemetry, settings.service_name)


def create_process_app(
    settings: _Settings,
    bootstrap: Callable[..., _Service],
    http_app: Callable[[_Service], FastAPI],
) -> FastAPI:
    """A service's production app (`main.create_app`): this process's logging and tracing, then the
    service wired by its `bootstrap(settings, infra=...)` on real infrastructure, served by its `http_app`."""
    provider = configure_process(settings)
    return http_app(bootstrap(settings, infra=Infrastructure.create(settings, tracer_provider=provider)))


def consumer_indexes() -> list[Index]:
    """Indexes of the consumer chassis' own collections (handled events, positions)."""
    return [
        Index(ProcessedEvents.COLLECTION, ("consumer", "handled_at")),
        Index(ProcessedEvents.POSITIONS, ("consumer", "updated_at")),
    ]


def consumer_groups(
    infra: Infrastructure,
    deps: _Deps,
    group: str,
    consumers: Sequence[tuple[str, ConsumerFactory[_Deps]]],
    guard: Callable[[str], HandledEvents] | None = None,
) -> tuple[list[EventConsumer], list[HandledEvents]]:
    """A service's consumers, one consumer group each, named `group` + its suffix in `consumers` ((suffix,
    factory) pairs), each with its own handled-events guard: `ProcessedEvents` in the service's database,
    unless `guard` makes them (in memory, in tests)."""
    make = guard or (lambda group_id: ProcessedEvents(infra.db, group_id))
    groups = [group + suffix for suffix, _factory in consumers]
    guards = [make(group_id) for group_id in groups]
    made = [
        factory(infra.broker, deps, handled, infra.settings.kafka, group_id)
        for (_suffix, factory), group_id, handled in zip(consumers, groups, guards, strict=True)
    ]
    return made, guards


def swept(guards: Sequence[HandledEvents]) -> list[ProcessedEvents]:
    """The guards kept in the database, whose records `ServiceRuntime` sweeps after its retention."""
    return [g for g in guards if isinstance(g, ProcessedEvents)]


@dataclass
class ServiceRuntime:
    """Everything a running service owns, started and stopped in order.

    `indexes`: every index the service's queries need, created at start (with the GIN indexes
    FerretDB on PostgreSQL needs, see `trygg_shared.indexes`). `guards`: the consumers'
    handled-event records, swept after `retention` (FerretDB v1 has no TTL indexes).
    """

    infra: Infrastructure
    routers: Sequence[APIRouter] = ()
    consumers: Sequence[EventConsumer] = ()
    relay: OutboxRelay | None = None
    indexes: Sequence[Index] = ()
    guards: Sequence[ProcessedEvents] = ()
    retention: timedelta = timedelta(days=30)
    on_startup: Sequence[Callable[[], Awaitable[None]]] = ()
    background: Sequence[Callable[[], Awaitable[None]]] = ()  # loops run until shutdown
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = ()  # after the loops stopped (e.g. closing a client)
    # Reported by /readyz beside Kafka: a failing one makes the service `degraded`, never unready.
    degraded_checks: Mapping[str, Check] = field(default_factory=dict)
    metrics: ServiceMetrics | None = None  # served at /metrics (the chassis makes one when None)
    # Bearer token -> who (None: unknown), so that the chassis refuses a request without a valid
    # token before its body is read, and counts each token's requests (`trygg_shared.guard`).
    authenticate: Authenticate | None = None
    started: bool = field(default=False, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _admin: AIOKafkaAdminClient | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.metrics is None:
            self.metrics = ServiceMetrics(self.infra.settings.service_name)
        chassis = self.metrics.chassis
        for consumer in self.consumers:
            consumer.metrics = chassis
            # Each series from 0 at start, so that the first dead letter is an increase (a rule's
            # `increase()` cannot see a series that appears at 1).
            for counter in (chassis.events_handled, chassis.events_failed, chassis.events_dead_lettered):
                counter.labels(topic=consumer.topic, group=consumer.group_id)
        if self.relay is not None:
            self.relay.metrics = chassis
        self.metrics.on_scrape(self._measure)

    async def _measure(self) -> None:
        """The chassis' gauges read at scrape time: consumer lag and the outbox's oldest entry."""
        assert self.metrics is not None
        for consumer in self.consumers:
            await consumer.measure_lag()
        if self.relay is not None and self.started:
            now = datetime.now(UTC)
            for name, oldest in (await self.relay.oldest_pending()).items():
                age = (now - oldest).total_seconds() if oldest is not None else 0.0
                self.metrics.chassis.outbox_oldest_age.labels(collection=name).set(max(age, 0.0))

    def all_indexes(self) -> list[Index]:
        declared = list(self.indexes)
        if self.consumers:
            declared += consumer_indexes()
        if self.relay is not None:
            declared += [Index(c.name, (PENDING_FLAG,)) for c in self.relay.collections]
        return list(dict.fromkeys(declared))

    async def start(self) -> None:
        settings = self.infra.settings
        if settings.kafka.create_topics:
            dlqs = [c.dead_letter_topic for c in self.consumers]
            await ensure_topics(
                settings.kafka.bootstrap_servers,
                [*ALL_TOPICS, *dlqs],
                replication_factor=settings.kafka.topic_replication_factor,
            )
        await ensure_indexes(self.infra.db, self.all_indexes(), settings.mongo.postgres_url)
        for hook in self.on_startup:
            await hook()
        await self.infra.broker.start()
        if self.relay is not None:
            self.relay.start()
        loops = [*self.background, *([self._sweep_guards] if self.guards else [])]
        self._tasks = [asyncio.create_task(_forever(loop)) for loop in loops]
        self.started = True
        log.info("service started", consumers=[c.group_id for c in self.consumers])

    async def _sweep_guards(self) -> None:
        """Forget handled-event records older than the retention, hourly."""
        while True:
            removed = 0
            for guard in self.guards:
                removed += await guard.sweep(self.retention)
            if removed:
                log.info("handled-event records past retention removed", removed=removed)
            await asyncio.sleep(3600)

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        self._tasks = []
        for hook in self.on_shutdown:
            with contextlib.suppress(Exception):
                await hook()
        if self.relay is not None:
            await self.relay.stop()
        if self._admin is not None:
            with contextlib.suppress(Exception):
                await self._admin.close()
            self._admin = None
        await self.infra.broker.stop()
        await self.infra.mongo_client.close()
        self.infra.tracer_provider.force_flush()
        self.started = False
        log.info("service stopped")

    async def check_mongo(self) -> None:
        await ping(self.infra.db)

    async def check_kafka(self) -> None:
        """One admin client for every probe (re-created after a failure), not one per probe."""
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.infra.settings.kafka.bootstrap_servers, request_timeout_ms=3000
            )
            await admin.start()
            self._admin = admin
        try:
            await self._admin.describe_cluster()
        except Exception:
            admin, self._admin = self._admin, None
            with contextlib.suppress(Exception):
                await admin.close()
            raise


async def _forever(loop: Callable[[], Awaitable[None]]) -> None:
    """Run a background loop; restart it after an unexpected error (logged) instead of dying.

    Loops run untraced (`quiet`): idle polling must not start a trace per poll. A loop that
    finds real work wraps it in `trygg_shared.telemetry.traced_work`.
    """
    while True:
        try:
            with quiet():
                await loop()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep the service alive; the loop retries
            log.warning("background loop failed; restarting", error=type(exc).__name__)
            await asyncio.sleep(1.0)


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    version: str = "0.1.0",
    lifespan_enabled: bool = True,
    extra_schemas: Mapping[str, Any] | None = None,
) -> FastAPI:
    """A FastAPI app around a runtime: lifespan, problem+json errors, health, tracing.

    The OpenAPI document says what the app answers: errors as `application/problem+json`,
    and `extra_schemas` (e.g. a webhook body's parts) beside FastAPI's own component schemas.
    `lifespan_enabled=False` serves the routes without starting Kafka consumers or the relay
    (for tests of the HTTP layer with in-memory adapters).
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title, description=description, version=version, lifespan=lifespan if lifespan_enabled else None
    )
    install_problem_handlers(app)
    install_request_guard(app, runtime.infra.settings.limits, runtime.infra.limiter, runtime.authenticate)
    # Kafka down makes a service degraded, not unready: intake keeps accepting into the outbox
    # and the relay publishes when Kafka is back; consumers simply wait.
    degraded = {"kafka": runtime.check_kafka, **runtime.degraded_checks}
    app.include_router(health_router({"mongo": runtime.check_mongo}, degraded=degraded))
    if runtime.metrics is not None:
        app.include_router(runtime.metrics.router())
        install_request_timing(app, runtime.metrics.chassis)
    for router in runtime.routers:
        app.include_router(router)
    # One span per request: the ASGI `http receive`/`http send` spans (several per request) cost
    # CPU on every request and tell nothing the request's span does not (bench/README.md, v3).
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=runtime.infra.tracer_provider, exclude_spans=["receive", "send"]
    )
    app.state.runtime = runtime
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            if extra_schemas:
                schema.setdefault("components", {}).setdefault("schemas", {}).update(extra_schemas)
            app.openapi_schema = document_limits(problem_json_only(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class Wired(Protocol):
    """What a service's `bootstrap` returns: at least the runtime to start (and what its tests reach for)."""

    @property
    def runtime(self) -> ServiceRuntime: ...


@dataclass(frozen=True)
class ServiceApp(Generic[_Settings, _Wired]):
    """A service's app factories, for its `main`: `create_app` (production: `uvicorn <svc>.main:create_app
    --factory`) and `http_app` (the app around a wired service; tests pass `lifespan_enabled=False`).

    `extra_schemas`: component schemas the service adds to its OpenAPI document (`create_service_app`);
    `finish`: what the service adds to its app beside the routes (e.g. static files, an admission gate).
    """

    settings: Callable[[], _Settings]
    bootstrap: Callable[..., _Wired]
    title: str
    description: str
    extra_schemas: Callable[[_Wired], Mapping[str, Any]] | None = None
    finish: Callable[[_Wired, FastAPI], None] | None = None

    def create_app(self, settings: _Settings | None = None) -> FastAPI:
        return create_process_app(settings or self.settings(), self.bootstrap, self.http_app)

    def http_app(self, service: _Wired, *, lifespan_enabled: bool = True) -> FastAPI:
        app = create_service_app(
            service.runtime,
            title=self.title,
            description=self.description,
            lifespan_enabled=lifespan_enabled,
            extra_schemas=None if self.extra_schemas is None else self.extra_schemas(service),
        )
        if self.finish is not None:
            self.finish(service, app)
        return app
