"""The referral service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from referral.adapters.auth import TokenAuthenticator
from referral.adapters.clock import SystemClock
from referral.adapters.identity import HmacPseudonymizer
from referral.adapters.mongo import MongoAuditLog, MongoCaseRepository, MongoInbox
from referral.adapters.signatures import SignatureVerifier
from referral.config import LOCAL_ENVIRONMENTS, Settings, local_defaults_in_use
from referral.domain.decision import MunicipalityProfile
from referral.domain.liability import REGION_STOCKHOLM_2024, AgreementTable
from referral.entrypoints.officer_api import officer_router
from referral.entrypoints.webhooks import webhook_router
from referral.lus_format import LUS_MESSAGE, example_bodies
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.intake import Sender, apply_pending
from referral.service_layer.ports import AuditLog, CaseRepository, Clock, Inbox
from trygg_shared.outbox import OutboxRelay, RelayLease
from trygg_shared.service import Infrastructure, ServiceRuntime


def default_agreements() -> AgreementTable:
    """Agreements known to this deployment; the national default applies elsewhere."""
    return AgreementTable([REGION_STOCKHOLM_2024])


@dataclass
class Referral:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: ReferralDeps
    verifier: SignatureVerifier
    openapi_defs: dict[str, Any]


def lus_request_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = LUS_MESSAGE.json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    examples = {t: {"summary": t, "value": body} for t, body in example_bodies().items()}
    return {"schema": schema, "examples": examples}, defs


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    inbox: Inbox | None = None,
    cases: CaseRepository | None = None,
    audit: AuditLog | None = None,
    clock: Clock | None = None,
    agreements: AgreementTable | None = None,
) -> Referral:
    unsafe = local_defaults_in_use(settings)
    if unsafe and settings.telemetry.environment not in LOCAL_ENVIRONMENTS:
        raise RuntimeError(
            f"refusing to start in {settings.telemetry.environment!r} with local development values for: "
            + ", ".join(unsafe)
        )
    infra = infra or Infrastructure.create(settings)
    agreements = agreements or default_agreements()
    mongo_cases = MongoCaseRepository(infra.db, agreements)
    mongo_inbox = MongoInbox(infra.db)
    mongo_audit = MongoAuditLog(infra.db)
    clock = clock or SystemClock()
    pseudonymizer = HmacPseudonymizer(settings.person_ref_key.get_secret_value().encode())
    relay = OutboxRelay(
        [mongo_cases.collection],
        infra.publisher.publish,
        poll_interval=settings.outbox.poll_interval_seconds,
        batch_size=settings.outbox.batch_size,
        lease=RelayLease(infra.db["relay_leases"], "referral-cases", ttl_seconds=settings.outbox.lease_seconds),
        full_scan_seconds=settings.outbox.full_scan_seconds,
    )
    mongo_cases.on_saved = relay.nudge  # publish a saved case's events at once, by _id
    deps = ReferralDeps(
        inbox=inbox or mongo_inbox,
        cases=cases or mongo_cases,
        audit=audit or mongo_audit,
        agreements=agreements,
        pseudonymizer=pseudonymizer,
        clock=clock,
        profile=MunicipalityProfile(
            settings.profile.name, settings.profile.max_length_days, tuple(settings.profile.teams)
        ),
    )
    senders = [
        (Sender(s.sender_id, s.region_code), [secret.get_secret_value() for secret in s.secrets])
        for s in settings.senders
    ]
    verifier = SignatureVerifier(senders)
    regions = {s.sender_id: s.region_code for s in settings.senders}

    async def sweep_inbox() -> None:
        while True:
            await asyncio.sleep(settings.inbox_sweep_seconds)
            await apply_pending(deps, regions, older_than=timedelta(seconds=settings.inbox_sweep_seconds))

    request_schema, defs = lus_request_schema()
    runtime = ServiceRuntime(
        infra=infra,
        routers=[
            webhook_router(verifier, deps, request_schema),
            officer_router(deps, TokenAuthenticator(settings.api_tokens)),
        ],
        relay=relay,
        on_startup=[mongo_cases.ensure_indexes, mongo_inbox.ensure_indexes, mongo_audit.ensure_indexes],
        background=[sweep_inbox],
    )
    return Referral(runtime=runtime, deps=deps, verifier=verifier, openapi_defs=defs)
