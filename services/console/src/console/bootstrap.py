"""The console's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from console.adapters.auth import ServerSessions, TokenAuthenticator
from console.adapters.clock import SystemClock
from console.adapters.mongo import MongoAuditLog, MongoReadModel, MongoSessionStore, MongoStores, read_model_indexes
from console.adapters.notification_client import HttpNotifications
from console.config import LOCAL_ENVIRONMENTS, Settings, local_defaults_in_use
from console.domain.figures import UnitCosts
from console.entrypoints.subscribers import Subscribers, consumers
from console.entrypoints.web import web_router
from console.service_layer.pages import ConsoleDeps
from console.service_layer.ports import AuditLog, Clock, Notifications, ReadModel, SessionStore
from console.service_layer.projections import ChangeFeed, Stores
from trygg_shared.kafka import EventConsumer
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.telemetry import current_trace_id


@dataclass
class Console:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: ConsoleDeps
    stores: Stores
    consumers: list[EventConsumer]
    sessions: ServerSessions


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
) -> Console:
    unsafe = local_defaults_in_use(settings)
    if unsafe and settings.telemetry.environment not in LOCAL_ENVIRONMENTS:
        raise RuntimeError(
            f"refusing to start in {settings.telemetry.environment!r} with local development values for: "
            + ", ".join(unsafe)
        )
    infra = infra or Infrastructure.create(settings)
    if stores is None:
        mongo = MongoStores(infra.db)
        stores = Stores(cases=mongo.cases, visits=mongo.visits, teams=mongo.teams, alerts=mongo.alerts)
    feed = ChangeFeed()
    deps = ConsoleDeps(
        read_model=read_model or MongoReadModel(infra.db),
        audit=audit or MongoAuditLog(infra.db),
        notifications=notifications
        or HttpNotifications(
            settings.notification.base_url,
            settings.notification.token.get_secret_value(),
            timeout=settings.notification.timeout_seconds,
        ),
        clock=clock or SystemClock(),
        feed=feed,
        costs=UnitCosts(settings.costs.team_hour_sek, settings.costs.short_term_stay_day_sek),
        trace_id=current_trace_id,
    )
    guards: dict[str, ProcessedEvents] = {}

    def guard(group: str) -> ProcessedEvents:
        return guards.setdefault(group, ProcessedEvents(infra.db, group))

    subscribed = consumers(
        infra.broker, Subscribers(stores, feed), guard, settings.kafka, group_prefix=settings.consumer_group
    )
    authenticator = TokenAuthenticator(settings.api_tokens)
    sessions = ServerSessions(
        session_store or MongoSessionStore(infra.db),
        authenticator,
        settings.session.secret.get_secret_value().encode(),
        timedelta(minutes=settings.session.max_age_minutes),
    )
    authenticator = TokenAuthenticator(settings.api_tokens)
    router = web_router(
        deps,
        authenticator,
        sessions,
        cookie_name=settings.session.cookie_name,
        secure_cookie=settings.session.secure_cookie,
        jaeger_url=settings.jaeger_url,
        allowed_origins=tuple(settings.session.allowed_origins),
    )

    async def sweep_sessions() -> None:
        while True:
            await sessions.sweep(deps.clock.now())
            await asyncio.sleep(settings.session.sweep_seconds)

    runtime = ServiceRuntime(
        infra=infra,
        routers=[router],
        authenticate=authenticator.authenticate,
        consumers=subscribed,
        indexes=read_model_indexes(),
        guards=list(guards.values()),
        background=[sweep_sessions],
    )
    return Console(runtime=runtime, deps=deps, stores=stores, consumers=subscribed, sessions=sessions)
