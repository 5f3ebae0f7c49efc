"""The referral service's one composition root: production and tests both call `bootstrap`.

It chooses the adapters (Mongo by default; any port can be passed in, e.g. the in-memory
ones), wires the use cases, routes and background loops, and returns a `ServiceRuntime`. It
has no global side effects: logging and tracing are set up by `main.create_app` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from referral.adapters.codec import CaseCodec
from referral.adapters.identity import HmacPseudonymizer
from referral.adapters.mongo import (
    CASES,
    INDEXES,
    MongoAgreementStore,
    MongoAuditLog,
    MongoCaseQueries,
    MongoConsentLedger,
    MongoInbox,
)
from referral.adapters.signatures import StandardWebhooksVerifier
from referral.config import Settings, local_defaults_in_use
from referral.domain.case import Case
from referral.domain.decision import MunicipalityProfile
from referral.domain.events import SmsCap
from referral.domain.liability import RegionalAgreement
from referral.entrypoints.agreements import agreement_router
from referral.entrypoints.audit import audit_router
from referral.entrypoints.background import (
    Loop,
    agreement_refresher,
    inbox_retention,
    inbox_sweeper,
    liability_counter,
    sip_timer,
)
from referral.entrypoints.cases import case_router
from referral.entrypoints.decisions import decision_router
from referral.entrypoints.lus_format import LUS_MESSAGE, example_bodies, read_message
from referral.entrypoints.sip import sip_router
from referral.entrypoints.webhooks import webhook_router
from referral.service_layer.agreement_format import shipped_agreements
from referral.service_layer.agreements import AgreementBook
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.liability_watch import watch_liability
from referral.service_layer.ports import (
    Actor,
    AgreementStore,
    AuditLog,
    Authenticator,
    CaseQueries,
    CaseStore,
    Clock,
    ConsentLedger,
    Inbox,
    Sender,
    SignatureVerifier,
)
from referral.service_layer.sms_limits import SmsLimits
from trygg_shared.admission import AdmissionGate, GuardedRoute
from trygg_shared.clock import SystemClock
from trygg_shared.metrics import ServiceMetrics
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.outbox import OutboxRelay
from trygg_shared.phones import SmsNumberPolicy
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.settings import refuse_local_values
from trygg_shared.telemetry import current_trace_id
from trygg_shared.tokens import TokenAuthenticator


@dataclass
class Referral:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: ReferralDeps
    verifier: SignatureVerifier
    codec: CaseCodec
    openapi_defs: dict[str, Any]
    admission: GuardedRoute | None = None  # the webhook's admission gate, put around the app by `main`


def lus_request_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = LUS_MESSAGE.json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    examples = {t: {"summary": t, "value": body} for t, body in example_bodies().items()}
    return {"schema": schema, "examples": examples}, defs


def _verifier(settings: Settings) -> SignatureVerifier:
    """The webhook signature verifier of the configured senders (each with its secrets)."""
    return StandardWebhooksVerifier(
        [
            (Sender(s.sender_id, s.region_code), [secret.get_secret_value() for secret in s.secrets])
            for s in settings.senders
        ]
    )


def _sms_limits(settings: Settings, ledger: ConsentLedger) -> SmsLimits:
    """The limits on relatives' SMS that a decision is checked against."""
    return SmsLimits(
        numbers=SmsNumberPolicy.from_settings(settings.sms),
        ledger=ledger,
        per_case=settings.sms.max_consenting_relatives,
        per_officer_per_day=settings.sms.officer_daily_consents,
        timezone=ZoneInfo(settings.sms.timezone),
        trace_id=current_trace_id,
    )


def _profile(settings: Settings) -> MunicipalityProfile:
    p = settings.profile
    return MunicipalityProfile(p.name, p.max_length_days, p.team_names(), p.team_ids())


def _api_routers(deps: ReferralDeps, authenticator: Authenticator) -> list[APIRouter]:
    """The staff's and operations' routes, one router per resource."""
    return [
        case_router(deps, authenticator),
        decision_router(deps, authenticator),
        audit_router(deps, authenticator),
        agreement_router(deps, authenticator),
        sip_router(deps, authenticator),
    ]


def _background(settings: Settings, deps: ReferralDeps) -> list[Loop]:
    """The inbox sweeper (each sender's region) and retention, and the agreements' refresher."""
    regions = {s.sender_id: s.region_code for s in settings.senders}
    return [
        inbox_sweeper(deps, regions, settings.inbox_sweep_seconds),
        inbox_retention(deps, timedelta(days=settings.inbox_retention_days)),
        agreement_refresher(deps, settings.agreements_refresh_seconds),
        liability_counter(deps, settings.liability_count_seconds),
        sip_timer(deps, settings.sip_timer_seconds),
    ]


def _sms_cap_counter(metrics: ServiceMetrics, deps: ReferralDeps) -> None:
    """Each refusal by an SMS cap counted per cap (ops' rule `TryggSmsCapHit`)."""
    hits = metrics.counter(
        "sms_cap_hits",
        "Decision changes refused because an SMS cap was hit (cap: per_case, officer_day); ops is alerted.",
        labels=("cap",),
        from_zero=[cap.value for cap in SmsCap],
    )
    deps.sms = replace(deps.sms, on_hit=lambda cap: hits.labels(cap=cap).inc())


def _metrics(deps: ReferralDeps) -> ServiceMetrics:
    """Referral's own metrics: the liability clocks, read when Prometheus scrapes, and the SMS caps' hits."""
    metrics = ServiceMetrics("referral")
    _sms_cap_counter(metrics, deps)
    running = metrics.gauge("liability_clocks_running", "Cases whose payment-liability clock runs.")
    undecided = metrics.gauge("liability_clocks_undecided", "Running liability clocks with no active decision.")
    least = metrics.gauge(
        "liability_undecided_least_seconds_left",
        "Least time until liability starts among undecided running clocks (negative: started; +Inf: none).",
    )

    async def liability_clocks() -> None:
        watch = await watch_liability(deps)
        running.set(watch.running)
        undecided.set(watch.undecided)
        least.set(watch.least_seconds_left if watch.least_seconds_left is not None else math.inf)

    metrics.on_scrape(liability_clocks)
    return metrics


def _webhooks(
    settings: Settings, infra: Infrastructure, deps: ReferralDeps, verifier: SignatureVerifier, metrics: ServiceMetrics
) -> tuple[APIRouter, dict[str, Any], GuardedRoute]:
    """The hospital webhook's route, each outcome counted, the parts of its request schema, and its
    admission gate (what it refuses counts as outcome `overloaded`, from 0)."""
    request_schema, defs = lus_request_schema()
    received = metrics.counter(
        "webhooks", "Hospital webhooks by outcome: accepted, repeated or why refused.", ["outcome"]
    )
    router = webhook_router(
        verifier, deps, request_schema, infra.limiter, settings.webhook_limits, lambda o: received.labels(o).inc()
    )
    overloaded = received.labels("overloaded")
    gate = AdmissionGate(settings.webhook_admission)
    metrics.gauge("webhooks_in_flight", "Hospital webhooks being handled now.").set_function(lambda: gate.in_flight)
    metrics.gauge("webhook_admission_limit", "Webhooks admitted at once now (adaptive).").set_function(
        lambda: gate.limit
    )
    return router, defs, GuardedRoute(gate, "POST", "/webhooks/lus", "webhooks", overloaded.inc)


def _agreement_book(
    infra: Infrastructure,
    store: AgreementStore | None,
    agreements: list[RegionalAgreement] | None,
    clock: Clock,
) -> AgreementBook:
    """The regional agreements: the stored versions (Mongo unless given) over the shipped data file,
    or over `agreements` instead of it."""
    return AgreementBook(
        store or MongoAgreementStore(infra.db), shipped_agreements() if agreements is None else agreements, clock
    )


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    store: CaseStore | None = None,
    queries: CaseQueries | None = None,
    inbox: Inbox | None = None,
    audit: AuditLog | None = None,
    agreement_store: AgreementStore | None = None,
    agreements: list[RegionalAgreement] | None = None,
    clock: Clock | None = None,
    authenticator: Authenticator | None = None,
    verifier: SignatureVerifier | None = None,
    consent_ledger: ConsentLedger | None = None,
) -> Referral:
    """Wire the service. Mongo adapters unless given (a `store` with its `queries`); `agreements`
    replaces the shipped data file."""
    refuse_local_values(settings, local_defaults_in_use(settings))
    if (store is None) != (queries is None):
        raise ValueError("pass both `store` and `queries`, or neither")  # they read the same cases
    infra = infra or Infrastructure.create(settings)
    clock = clock or SystemClock()
    book = _agreement_book(infra, agreement_store, agreements, clock)
    codec = CaseCodec(lambda: book.table)
    relay: OutboxRelay | None = None
    if store is None or queries is None:
        mongo_store: MongoAggregateStore[Case] = MongoAggregateStore(infra.db, CASES, codec)
        relay = infra.outbox_relay("referral-cases", [mongo_store], hand_over="created")  # a new case's, as saved
        store, queries = mongo_store, MongoCaseQueries(mongo_store.collection, codec)
    deps = ReferralDeps(
        inbox=inbox or MongoInbox(infra.db),
        cases=store,
        queries=queries,
        audit=audit or MongoAuditLog(infra.db),
        agreement_book=book,
        pseudonymizer=HmacPseudonymizer(settings.person_ref_key.get_secret_value().encode()),
        clock=clock,
        profile=_profile(settings),
        sms=_sms_limits(settings, consent_ledger or MongoConsentLedger(infra.db)),
        read_message=read_message,
        trace_id=current_trace_id,
    )
    verifier = verifier or _verifier(settings)
    authenticator = authenticator or TokenAuthenticator(settings.api_tokens, Actor)
    metrics = _metrics(deps)
    webhooks, defs, admission = _webhooks(settings, infra, deps, verifier, metrics)
    runtime = ServiceRuntime(
        infra=infra,
        metrics=metrics,
        routers=[webhooks, *_api_routers(deps, authenticator)],
        relay=relay,
        indexes=INDEXES,
        on_startup=[book.load],
        authenticate=authenticator.authenticate,
        background=_background(settings, deps),
    )
    return Referral(runtime=runtime, deps=deps, verifier=verifier, codec=codec, openapi_defs=defs, admission=admission)
