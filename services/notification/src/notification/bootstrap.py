"""The notification service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter

from notification.adapters import memory as mem
from notification.adapters import mongo
from notification.adapters.elks import FortySixElks, FortySixElksCallbacks
from notification.adapters.local import LocalProvider
from notification.adapters.signing import CallbackSigner
from notification.adapters.twilio import Twilio, TwilioCallbacks
from notification.config import Settings, local_defaults_in_use
from notification.domain.alert import Alert, Responder, Rota, Shift
from notification.domain.casefile import CaseFile
from notification.domain.contacts import TeamContact
from notification.domain.message import Message
from notification.domain.quiet_hours import QuietHours
from notification.domain.schedule import Rules
from notification.domain.templates import AlertTopic
from notification.entrypoints.api import api_router
from notification.entrypoints.callbacks import callbacks_router
from notification.entrypoints.events import (
    Group,
    own_events_consumer,
    period_consumer,
    referral_consumer,
    relative_contacts_consumer,
    team_consumer,
)
from notification.entrypoints.loops import Dispatcher, timer_loop
from notification.service_layer.alerts import nobody_on_call
from notification.service_layer.auth import Actor, Authenticator
from notification.service_layer.deps import NotificationDeps, Policy, Storage
from notification.service_layer.ports import (
    Claims,
    Clock,
    LocalSmsLog,
    ProviderCallbacks,
    Rotas,
    SmsProvider,
)
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.carry import carry
from trygg_shared.clock import SystemClock
from trygg_shared.http import Degraded
from trygg_shared.indexes import Index
from trygg_shared.kafka import EventConsumer, HandledEvents
from trygg_shared.lanes import Lanes
from trygg_shared.logging import get_logger
from trygg_shared.metrics import ServiceMetrics
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.outbox import OutboxRelay
from trygg_shared.phones import SmsNumberPolicy
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.settings import refuse_local_values
from trygg_shared.timers import DueTimeLoop
from trygg_shared.tokens import TokenAuthenticator

log = get_logger(__name__)


@dataclass
class Backend(Storage):
    """Where the service keeps its state (MongoDB in production, memory in tests), and the local
    provider's store; the use cases get the storage part (`_deps`)."""

    local_log: Any  # the local provider's store (add/find/list)


def memory_backend(clock: Clock) -> Backend:
    cases: InMemoryAggregateStore[CaseFile] = InMemoryAggregateStore()
    messages: InMemoryAggregateStore[Message] = InMemoryAggregateStore()
    alerts: InMemoryAggregateStore[Alert] = InMemoryAggregateStore()
    return Backend(
        cases=cases,
        messages=messages,
        alerts=alerts,
        case_queries=mem.MemoryCaseQueries(cases),
        message_queries=mem.MemoryMessageQueries(messages),
        alert_queries=mem.MemoryAlertQueries(alerts),
        cap=mem.MemoryDailyCap(),
        claims=mem.MemoryClaims(),
        rotas=mem.MemoryRotas(),
        teams=mem.MemoryTeamDirectory(),
        audit=mem.MemoryAuditLog(),
        local_log=mem.MemoryLocalSmsLog(),
    )


def policy_from(settings: Settings) -> Policy:
    """The policy from the settings: the settings of the same name as they are (the sender, the caps,
    the on-call language, the hemtjänst phone, the default rota, resending), the others converted."""
    tz = ZoneInfo(settings.timezone)
    return carry(
        Policy,
        settings,
        timezone=tz,
        quiet_hours=QuietHours(settings.quiet_hours_start, settings.quiet_hours_end, tz),
        schedule=Rules(
            tz,
            timedelta(seconds=settings.start_text_wait_seconds),
            settings.reminder_time,
            settings.reminder_days_before,
        ),
        liability_lead=timedelta(hours=settings.liability_alert_lead_hours),
        ack_timeout=timedelta(minutes=settings.ack_timeout_minutes),
        max_attempts=settings.max_send_attempts,
        backoff_base=timedelta(seconds=settings.retry_backoff_seconds),
        backoff_max=timedelta(seconds=settings.retry_backoff_max_seconds),
        claim_lease=timedelta(seconds=settings.claim_lease_seconds),
        sms_numbers=SmsNumberPolicy.from_settings(settings.sms_numbers),
        fallback_contact=carry(TeamContact, settings.fallback_contact, team_id=""),  # its name, phone and hours
        ack_link_base=settings.public_base_url.rstrip("/") + "/ack/",
        console_url=settings.console_url.rstrip("/"),
    )


@dataclass
class Notification:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: NotificationDeps
    backend: Backend
    dispatcher: Dispatcher
    timers: DueTimeLoop
    metrics: ServiceMetrics
    http_client: httpx.AsyncClient | None
    callbacks: ProviderCallbacks | None
    local_log: LocalSmsLog | None


def build_provider(
    settings: Settings, backend: Backend, clock: Clock, client: httpx.AsyncClient
) -> tuple[SmsProvider, ProviderCallbacks | None]:
    signer = CallbackSigner(settings.callback_secret.get_secret_value().encode())
    if settings.provider == "46elks":
        provider: SmsProvider = FortySixElks(
            client,
            base_url=settings.elks.base_url,
            username=settings.elks.username,
            password=settings.elks.password.get_secret_value(),
            signer=signer,
            public_base_url=settings.public_base_url,
        )
        return provider, FortySixElksCallbacks(signer)
    if settings.provider == "twilio":
        token = settings.twilio.auth_token.get_secret_value()
        provider = Twilio(
            client,
            base_url=settings.twilio.base_url,
            account_sid=settings.twilio.account_sid,
            auth_token=token,
            public_base_url=settings.public_base_url,
        )
        return provider, TwilioCallbacks(token)
    return LocalProvider(backend.local_log, clock), None


def _unsafe(settings: Settings) -> list[str]:
    """The local development values in use (refused outside a local environment)."""
    local_provider = ["NOTIFICATION_PROVIDER=local (keeps messages instead of sending them)"]
    return local_defaults_in_use(settings) + (local_provider if settings.provider == "local" else [])


def mongo_backend(stores: mongo.Stores, infra: Infrastructure, policy: Policy, clock: Clock) -> Backend:
    return Backend(
        cases=stores.cases,
        messages=stores.messages,
        alerts=stores.alerts,
        case_queries=mongo.MongoCaseQueries(infra.db),
        message_queries=mongo.MongoMessageQueries(infra.db, stores.messages),
        alert_queries=mongo.MongoAlertQueries(infra.db, policy.timezone),
        cap=mongo.MongoDailyCap(infra.db, clock),
        claims=mongo.MongoClaims(infra.db, clock),
        rotas=mongo.MongoRotas(infra.db),
        teams=mongo.MongoTeamDirectory(infra.db),
        audit=mongo.MongoAuditLog(infra.db),
        local_log=mongo.MongoLocalSmsLog(infra.db),
    )


@dataclass
class _Sending:
    """The provider, its callbacks (None with the local provider) and the HTTP client bootstrap made."""

    provider: SmsProvider
    callbacks: ProviderCallbacks | None
    client: httpx.AsyncClient | None


def _sending(
    settings: Settings,
    backend: Backend,
    clock: Clock,
    provider: SmsProvider | None,
    http_transport: httpx.AsyncBaseTransport | None,
) -> _Sending:
    """The configured provider; a provider given (tests) keeps the configured provider's callbacks."""
    if provider is None:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.sms_timeout_seconds), transport=http_transport, follow_redirects=False
        )
        built, callbacks = build_provider(settings, backend, clock, client)
        return _Sending(built, callbacks, client)
    if settings.provider == "local":
        return _Sending(provider, None, None)
    signer = CallbackSigner(settings.callback_secret.get_secret_value().encode())
    given: ProviderCallbacks = (
        FortySixElksCallbacks(signer)
        if settings.provider == "46elks"
        else TwilioCallbacks(settings.twilio.auth_token.get_secret_value())
    )
    return _Sending(provider, given, None)


def _deps(backend: Backend, provider: SmsProvider, clock: Clock, policy: Policy) -> NotificationDeps:
    """The use cases' dependencies: the backend's storage by field name, then the rest."""
    return carry(NotificationDeps, backend, provider=provider, clock=clock, policy=policy)


def _consumers(
    settings: Settings,
    infra: Infrastructure,
    deps: NotificationDeps,
    guard_factory: Callable[[str], HandledEvents] | None,
) -> tuple[list[EventConsumer], list[HandledEvents]]:
    """The five consumer groups and their guards."""
    group = settings.consumer_group
    groups = (group, f"{group}.contacts", f"{group}.periods", f"{group}.teams", f"{group}.own")
    guards: list[HandledEvents] = [guard_factory(g) if guard_factory else ProcessedEvents(infra.db, g) for g in groups]
    # Batches, the records of different cases at the same time, one consumer span per record.
    lanes = Lanes(tracer_provider=infra.tracer_provider)
    wired = [Group(infra.broker, g, guard, settings.kafka, lanes) for g, guard in zip(groups, guards, strict=True)]
    factories = (referral_consumer, relative_contacts_consumer, period_consumer, team_consumer, own_events_consumer)
    consumers = [factory(deps, group) for factory, group in zip(factories, wired, strict=True)]
    return consumers, guards


def _unrouted_counter(metrics: ServiceMetrics, deps: NotificationDeps) -> None:
    unrouted = metrics.counter(
        "alerts_unrouted",
        "On-call alerts raised with nobody on call, on neither the team's nor the fallback rota.",
        labels=("topic",),
        from_zero=[topic.value for topic in AlertTopic],
    )
    deps.on_unrouted_alert = lambda topic: unrouted.labels(topic=topic).inc()
    sms = metrics.counter(
        "sms",
        "SMS outcomes per provider: sent (accepted), failed (refused, given up, undelivered), delivered.",
        labels=("provider", "outcome"),
    )
    for outcome in ("sent", "failed", "delivered"):
        sms.labels(provider=deps.provider.name, outcome=outcome)
    deps.on_sms = lambda provider, outcome: sms.labels(provider=provider, outcome=outcome).inc()


def _on_call_check(deps: NotificationDeps) -> Callable[[], Awaitable[None]]:
    async def on_call_check() -> None:
        if await nobody_on_call(deps):
            raise Degraded("nobody on call")

    return on_call_check


def _seeds_fallback_rota(settings: Settings, rotas: Rotas, clock: Clock) -> Callable[[], Awaitable[None]]:
    async def seed_fallback_rota() -> None:
        await seed_dev_rota(rotas, settings.default_rota, settings.dev_fallback_rota, clock.now())

    return seed_fallback_rota


# How long a published outbox waits for its document's next save (a delivery report) to empty it.
RELAY_SETTLE_SECONDS = 5.0


def _relay(infra: Infrastructure, stores: mongo.Stores | None) -> OutboxRelay | None:
    """The outbox relay of the message and alert stores (none on memory stores). A new document's
    events, or an update's when the outbox was empty before it, are handed to it as saved. A sent
    message's outbox waits `RELAY_SETTLE_SECONDS` to be emptied: its delivery report's save,
    usually within them, empties it instead of a write of the relay's own."""
    if stores is None:
        return None
    return infra.outbox_relay(
        "notification", [stores.messages, stores.alerts], hand_over="written", settle_seconds=RELAY_SETTLE_SECONDS
    )


def _routers(
    settings: Settings,
    infra: Infrastructure,
    deps: NotificationDeps,
    authenticator: Authenticator,
    local_log: LocalSmsLog | None,
    callbacks: ProviderCallbacks | None,
) -> list[APIRouter]:
    """The API, and the provider's delivery callbacks (none with the local provider)."""
    routers = [api_router(deps, authenticator, local_log)]
    if callbacks is not None:
        limits = (infra.limiter, settings.limits.per_client_failures)
        routers.append(callbacks_router(deps, callbacks, settings.public_base_url, *limits))
    return routers


def _indexes(stores: mongo.Stores | None) -> list[Index]:
    """The indexes to create: none on memory stores."""
    if stores is None:
        return []
    return [*mongo.INDEXES, *stores.cases.indexes, *stores.messages.indexes, *stores.alerts.indexes]


def _housekeeping(backend: Backend) -> list[Callable[[], Awaitable[None]]]:
    """Background work besides dispatch and timers: the cap and claim sweeper (Mongo only)."""
    return [_sweeper(backend.cap, backend.claims)] if isinstance(backend.cap, mongo.MongoDailyCap) else []


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    backend: Backend | None = None,
    provider: SmsProvider | None = None,
    clock: Clock | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    guard_factory: Callable[[str], HandledEvents] | None = None,
) -> Notification:
    refuse_local_values(settings, _unsafe(settings))
    infra = infra or Infrastructure.create(settings)
    clock = clock or SystemClock()
    policy = policy_from(settings)
    stores: mongo.Stores | None = None
    if backend is None:
        stores = mongo.Stores(infra.db, policy.timezone, clock)
        backend = mongo_backend(stores, infra, policy, clock)
    sending = _sending(settings, backend, clock, provider, http_transport)
    client, callbacks = sending.client, sending.callbacks
    deps = _deps(backend, sending.provider, clock, policy)
    dispatcher = Dispatcher(deps, settings.dispatch_poll_seconds, concurrency=settings.dispatch_concurrency)
    deps.wake_dispatcher = dispatcher.wake
    timers = timer_loop(deps, settings.timer_poll_seconds)  # sets deps.wake_timers
    metrics = ServiceMetrics("notification")
    _unrouted_counter(metrics, deps)
    relay = _relay(infra, stores)
    consumers, guards = _consumers(settings, infra, deps, guard_factory)
    local_log: LocalSmsLog | None = backend.local_log if settings.provider == "local" else None
    authenticator = TokenAuthenticator(settings.api_tokens, Actor)
    runtime = ServiceRuntime(
        infra=infra,
        routers=_routers(settings, infra, deps, authenticator, local_log, callbacks),
        authenticate=authenticator.authenticate,
        consumers=consumers,
        relay=relay,
        indexes=_indexes(stores),
        guards=[g for g in guards if isinstance(g, ProcessedEvents)],
        on_startup=[_seeds_fallback_rota(settings, backend.rotas, clock)],
        degraded_checks={"oncall": _on_call_check(deps)},
        metrics=metrics,
        background=[dispatcher.run, timers.run, *_housekeeping(backend)],
        on_shutdown=[] if client is None else [client.aclose],  # the provider's HTTP client
    )
    return Notification(
        runtime=runtime,
        deps=deps,
        backend=backend,
        dispatcher=dispatcher,
        timers=timers,
        metrics=metrics,
        http_client=client,
        callbacks=callbacks,
        local_log=local_log,
    )


DEV_ROTA_SPAN = timedelta(days=3650)


async def seed_dev_rota(rotas: Rotas, rota_id: str, phones: list[str], now: datetime) -> bool:
    """Local development: a fallback rota with `phones` on call around the clock, when none exists.

    Never replaces a rota that exists (one put through the API stays as it is). Refused outside
    local/dev/test by `bootstrap` (NOTIFICATION_DEV_FALLBACK_ROTA). True when it was created.
    """
    if not phones or await rotas.get(rota_id) is not None:
        return False
    responders = tuple(Responder(f"dev-oncall-{i}", phone) for i, phone in enumerate(phones, start=1))
    await rotas.put(Rota(rota_id, (Shift(now - timedelta(days=1), now + DEV_ROTA_SPAN, responders),)))
    log.info("local development fallback rota created", rota=rota_id, responders=len(responders))
    return True


def _sweeper(cap: mongo.MongoDailyCap, claims: Claims) -> Callable[[], Awaitable[None]]:
    """Hourly: forget daily-cap slots and claims of past days (FerretDB v1 has no TTL index)."""

    async def run() -> None:
        while True:
            await cap.sweep()
            if isinstance(claims, mongo.MongoClaims):
                await claims.sweep()
            await asyncio.sleep(3600)

    return run
