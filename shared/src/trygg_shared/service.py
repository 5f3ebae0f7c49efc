"""The service chassis: infrastructure built from settings, and the process lifecycle.

A service's `bootstrap()` creates an `Infrastructure` (nothing connects yet), wires its use
cases, consumers and routes, and returns a `ServiceRuntime`; `create_service_app` turns that
into a FastAPI app whose lifespan starts Kafka consumers and the outbox relay and stops them
in reverse order on shutdown (SIGTERM from uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.http import health_router, install_problem_handlers
from trygg_shared.kafka import EventConsumer, EventPublisher, create_broker, ensure_topics, kafka_reachable
from trygg_shared.logging import configure_logging, get_logger
from trygg_shared.mongo import Document, create_mongo_client, ping
from trygg_shared.outbox import OutboxRelay
from trygg_shared.settings import ServiceSettings
from trygg_shared.telemetry import configure_tracing

log = get_logger(__name__)


@dataclass
class Infrastructure:
    """Clients every service needs, created from settings (they connect lazily)."""

    settings: ServiceSettings
    tracer_provider: TracerProvider
    mongo_client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    broker: KafkaBroker
    publisher: EventPublisher

    @classmethod
    def create(cls, settings: ServiceSettings) -> Infrastructure:
        configure_logging(settings.logging, settings.service_name)
        provider = configure_tracing(settings.telemetry, settings.service_name)
        client = create_mongo_client(settings.mongo, settings.service_name)
        broker = create_broker(settings.kafka, settings.service_name, provider)
        return cls(
            settings=settings,
            tracer_provider=provider,
            mongo_client=client,
            db=client[settings.mongo.database],
            broker=broker,
            publisher=EventPublisher(broker, source=f"urn:trygghemgang:{settings.service_name}"),
        )


@dataclass
class ServiceRuntime:
    """Everything a running service owns, started and stopped in order."""

    infra: Infrastructure
    routers: Sequence[APIRouter] = ()
    consumers: Sequence[EventConsumer] = ()
    relay: OutboxRelay | None = None
    on_startup: Sequence[Callable[[], Awaitable[None]]] = ()
    background: Sequence[Callable[[], Awaitable[None]]] = ()  # loops run until shutdown
    started: bool = field(default=False, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    async def start(self) -> None:
        settings = self.infra.settings
        if settings.kafka.create_topics:
            dlqs = [c.dead_letter_topic for c in self.consumers]
            await ensure_topics(
                settings.kafka.bootstrap_servers,
                [*ALL_TOPICS, *dlqs],
                replication_factor=settings.kafka.topic_replication_factor,
            )
        for hook in self.on_startup:
            await hook()
        if self.relay is not None:
            await self.relay.ensure_indexes()
        await self.infra.broker.start()
        if self.relay is not None:
            self.relay.start()
        self._tasks = [asyncio.create_task(_forever(loop)) for loop in self.background]
        self.started = True
        log.info("service started", consumers=[c.group_id for c in self.consumers])

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.relay is not None:
            await self.relay.stop()
        await self.infra.broker.stop()
        await self.infra.mongo_client.close()
        self.infra.tracer_provider.force_flush()
        self.started = False
        log.info("service stopped")

    async def check_mongo(self) -> None:
        await ping(self.infra.db)

    async def check_kafka(self) -> None:
        await kafka_reachable(self.infra.settings.kafka.bootstrap_servers)


async def _forever(loop: Callable[[], Awaitable[None]]) -> None:
    """Run a background loop; restart it after an unexpected error (logged) instead of dying."""
    while True:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep the service alive; the loop retries
            log.warning("background loop failed; restarting", error=type(exc).__name__)
            await asyncio.sleep(1.0)


def create_service_app(
    runtime: ServiceRuntime, *, title: str, description: str, version: str = "0.1.0", lifespan_enabled: bool = True
) -> FastAPI:
    """A FastAPI app around a runtime: lifespan, problem+json errors, health, tracing.

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
    app.include_router(health_router({"mongo": runtime.check_mongo, "kafka": runtime.check_kafka}))
    for router in runtime.routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.infra.tracer_provider)
    app.state.runtime = runtime
    return app
