"""The console's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from console.adapters.auth import ServerSessions
from console.adapters.billing_client import HttpBilling
from console.adapters.dead_letters import DeadLetterReader, KafkaRepublisher, MongoDeadLetters, dead_letter_indexes
from console.adapters.mongo import MongoAuditLog, MongoReadModel, MongoSessionStore, MongoStores, read_model_indexes
from console.adapters.mongo_changes import MongoChangeLog, change_log_indexes
from console.adapters.notification_client import HttpNotifications
from console.adapters.ops_probe import HttpServiceProbe
from console.config import Settings, local_defaults_in_use
from console.domain.access import Actor
from console.domain.figures import UnitCosts
from console.entrypoints.subscribers import Subscribers, consumers
from console.entrypoints.web import web_router
from console.service_layer.changes import ChangeFeed
from console.service_layer.ops import OpsDeps
from console.service_layer.pages import ConsoleDeps
from console.service_layer.ports import AuditLog, Billing, ChangeLog, Clock, Notifications, ReadModel, SessionStore
from console.service_layer.projections import Stores
from trygg_shared.clock import SystemClock
from trygg_shared.kafka import EventConsumer
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.settings import refuse_local_values
from trygg_shared.telemetry import current_trace_id
from trygg_shared.tokens import TokenAuthenticator


@dataclass
class Console:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: ConsoleDeps
    stores: Stores
    consumers: list[EventConsumer]
    sessions: ServerSessions
    ops: OpsDeps


def _notifications(settings: Settings) -> Notifications:
    """The notification service's API (acknowledging alerts from the console)."""
    return HttpNotifications(
        settings.notification.base_url,
        settings.notification.token.get_secret_value(),
        timeout=settings.notification.timeout_seconds,
    )


def _billing(settings: Settings) -> Billing:
    """The billing service's API (the officers' fees and invoices pages)."""
    return HttpBilling(
        settings.billing.base_url, settings.billing.token.get_secret_value(), timeout=settings.billing.timeout_seconds
    )


def _mongo_stores(infra: Infrastructure) -> Stores:
    mongo = MongoStores(infra.db)
    return Stores(cases=mongo.cases, visits=mongo.visits, teams=mongo.teams, alerts=mongo.alerts)


def _ops(
    settings: Settings, infra: Infrastructure, given: OpsDeps | None
) -> tuple[OpsDeps, list[Callable[[], Awaitable[None]]]]:
    """The ops page's parts and their background loops: the services over HTTP, the dead letters kept
    in the console's database (read from every dead-letter topic by the reader, a loop), replays
    through Kafka. Parts `given` (tests) have no loop."""
    if given is not None:
        return given, []
    store = MongoDeadLetters(infra.db)
    probe = HttpServiceProbe(
        settings.ops.services, timeout=settings.ops.timeout_seconds, prometheus_url=settings.ops.prometheus_url
    )
    republisher = KafkaRepublisher(settings.kafka.bootstrap_servers, infra.publisher.publish_record)
    reader = DeadLetterReader(
        settings.kafka.bootstrap_servers,
        pattern=settings.ops.dead_letter_topics,
        group_id=f"{settings.consumer_group}.dead-letters",
        store=store,
        refresh_seconds=settings.ops.topic_refresh_seconds,
    )
    return OpsDeps(probe, store, republisher, tuple(settings.ops.services)), [reader.run]


def _consumers(
    settings: Settings, infra: Infrastructure, subscribers: Subscribers
) -> tuple[list[EventConsumer], list[ProcessedEvents]]:
    """One consumer group per topic, each with its handled-event record."""
    guards: dict[str, ProcessedEvents] = {}  # one per consumer group
    subscribed = consumers(
        infra.broker,
        subscribers,
        lambda group: guards.setdefault(group, ProcessedEvents(infra.db, group)),
        settings.kafka,
        group_prefix=settings.consumer_group,
    )
    return subscribed, list(guards.values())


def _sessions(
    settings: Settings, infra: Infrastructure, store: SessionStore | None
) -> tuple[TokenAuthenticator[Actor], ServerSessions]:
    """Who may sign in (the API tokens), and their server-side sessions."""
    authenticator = TokenAuthenticator(settings.api_tokens, Actor)
    sessions = ServerSessions(
        store or MongoSessionStore(infra.db),
        authenticator,
        settings.session.secret.get_secret_value().encode(),
        timedelta(minutes=settings.session.max_age_minutes),
    )
    return authenticator, sessions


async def _sweep_sessions(sessions: ServerSessions, clock: Clock, every_seconds: float) -> None:
    while True:
        await sessions.sweep(clock.now())
        await asyncio.sleep(every_seconds)


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    stores: Stores | None = None,
    read_model: ReadModel | None = None,
    audit: AuditLog | None = None,
    notifications: Notifications | None = None,
    clock: Clock | None = None,
    session_store: SessionStore | None = None,
    change_log: ChangeLog | None = None,
    ops: OpsDeps | None = None,
    billing: Billing | None = None,
) -> Console:
    refuse_local_values(settings, local_defaults_in_use(settings))
    infra = infra or Infrastructure.create(settings)
    stores = stores or _mongo_stores(infra)
    clock = clock or SystemClock()
    # One log in the shared database: a replica learns of the others' changes only from it.
    feed = ChangeFeed(change_log or MongoChangeLog(infra.db), clock)
    deps = ConsoleDeps(
        read_model=read_model or MongoReadModel(infra.db),
        audit=audit or MongoAuditLog(infra.db),
        notifications=notifications or _notifications(settings),
        clock=clock,
        feed=feed,
        costs=UnitCosts(settings.costs.team_hour_sek, settings.costs.short_term_stay_day_sek),
        trace_id=current_trace_id,
        billing=billing or _billing(settings),
    )
    subscribed, guards = _consumers(settings, infra, Subscribers(stores, feed))
    ops, ops_loops = _ops(settings, infra, ops)
    authenticator, sessions = _sessions(settings, infra, session_store)
    router = web_router(
        deps,
        authenticator,
        sessions,
        cookie_name=settings.session.cookie_name,
        secure_cookie=settings.session.secure_cookie,
        jaeger_url=settings.jaeger_url,
        allowed_origins=tuple(settings.session.allowed_origins),
        ops=ops,
    )
    runtime = ServiceRuntime(
        infra=infra,
        routers=[router],
        authenticate=authenticator.authenticate,
        consumers=subscribed,
        indexes=[*read_model_indexes(), *change_log_indexes(), *dead_letter_indexes()],
        guards=guards,
        on_startup=[feed.start],
        background=[
            partial(_sweep_sessions, sessions, deps.clock, settings.session.sweep_seconds),
            partial(feed.run, settings.live.poll_seconds, settings.live.idle_poll_seconds),
            partial(feed.sweep_every, settings.live.sweep_seconds, timedelta(seconds=settings.live.retention_seconds)),
            *ops_loops,
        ],
    )
    return Console(runtime=runtime, deps=deps, stores=stores, consumers=subscribed, sessions=sessions, ops=ops)
