"""The billing service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from billing.adapters.auth import TokenAuthenticator, local_dev_tokens
from billing.adapters.clock import SystemClock
from billing.adapters.memory import (
    MemoryAuditLog,
    MemoryBookQueries,
    MemoryCareQueries,
    MemoryHandledEvents,
    MemoryIssueRuns,
    MemoryLiabilityQueries,
    MemoryStatementQueries,
    MemoryStores,
)
from billing.adapters.mongo import (
    INDEXES,
    MongoAuditLog,
    MongoBookQueries,
    MongoCareQueries,
    MongoIssueRuns,
    MongoLiabilityQueries,
    MongoStatementQueries,
    Stores,
)
from billing.config import Settings
from billing.entrypoints.api import billing_router
from billing.entrypoints.events import referral_consumer, scheduling_consumer, subjects_consumer
from billing.service_layer.ports import BillingDeps, Clock
from billing.service_layer.statements import due_month, run_due_month
from billing.service_layer.tariffs import seed_books
from trygg_shared.kafka import HandledEvents
from trygg_shared.logging import get_logger
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.outbox import OutboxRelay, RelayLease
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.telemetry import traced_work

log = get_logger(__name__)

LOCAL_ENVIRONMENTS = frozenset({"local", "dev", "test"})


@dataclass
class Billing:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: BillingDeps


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    clock: Clock | None = None,
    memory: MemoryStores | None = None,
) -> Billing:
    """Wire the service. With `memory`, the stores and queries are in memory (HTTP and use-case tests)."""
    dev_hashes = {t.token_sha256 for t in local_dev_tokens()}
    if settings.telemetry.environment not in LOCAL_ENVIRONMENTS and any(
        t.token_sha256 in dev_hashes for t in settings.api_tokens
    ):
        raise RuntimeError(
            f"refusing to start in {settings.telemetry.environment!r} with the local development BILLING_API_TOKENS"
        )
    infra = infra or Infrastructure.create(settings)
    clock = clock or SystemClock()
    common = {
        "clock": clock,
        "municipality_code": settings.municipality_code,
        "owner": _owner(),
        "run_lease": timedelta(seconds=settings.issue_lease_seconds),
        "issue_day": settings.issue_day,
        "issue_hour": settings.issue_hour,
    }
    relay = None
    if memory is not None:
        deps = BillingDeps(
            liabilities=memory.liabilities,
            care=memory.care,
            persons=memory.persons,
            statements=memory.statements,
            summaries=memory.summaries,
            tariffs=memory.tariffs,
            prices=memory.prices,
            care_queries=MemoryCareQueries(memory),
            liability_queries=MemoryLiabilityQueries(memory),
            statement_queries=MemoryStatementQueries(memory),
            book_queries=MemoryBookQueries(memory),
            runs=MemoryIssueRuns(),
            audit=MemoryAuditLog(),
            **common,  # type: ignore[arg-type]
        )
    else:
        stores = Stores(infra.db)
        deps = BillingDeps(
            liabilities=stores.liabilities,
            care=stores.care,
            persons=stores.persons,
            statements=stores.statements,
            summaries=stores.summaries,
            tariffs=stores.tariffs,
            prices=stores.prices,
            care_queries=MongoCareQueries(stores),
            liability_queries=MongoLiabilityQueries(stores),
            statement_queries=MongoStatementQueries(stores),
            book_queries=MongoBookQueries(stores),
            runs=MongoIssueRuns(infra.db),
            audit=MongoAuditLog(infra.db),
            **common,  # type: ignore[arg-type]
        )
        relay = OutboxRelay(
            [s.collection for s in stores.publishing],
            infra.publisher.publish,
            poll_interval=settings.outbox.poll_interval_seconds,
            batch_size=settings.outbox.batch_size,
            lease=RelayLease(infra.db["relay_leases"], "billing", ttl_seconds=settings.outbox.lease_seconds),
            full_scan_seconds=settings.outbox.full_scan_seconds,
        )
        for store in stores.publishing:
            store.on_saved = relay.nudge

    group = settings.consumer_group
    groups = (group, f"{group}-subjects", f"{group}-scheduling")
    guards = [ProcessedEvents(infra.db, g) for g in groups] if memory is None else []
    handled: list[HandledEvents] = list(guards) if memory is None else [MemoryHandledEvents() for _ in groups]
    consumers = [
        referral_consumer(infra.broker, deps, handled[0], settings.kafka, groups[0]),
        subjects_consumer(infra.broker, deps, handled[1], settings.kafka, groups[1]),
        scheduling_consumer(infra.broker, deps, handled[2], settings.kafka, groups[2]),
    ]

    async def issuing_timer() -> None:
        """The persisted monthly timer: the due month's run is claimed in the database, done once."""
        while True:
            run = await deps.runs.get(due_month(deps.clock.now(), deps.issue_day, deps.issue_hour))
            if run is None or run.status != "done":
                with traced_work("billing.issue_month"):
                    outcome = await run_due_month(deps)
                if outcome is not None:
                    log.info(
                        "monthly statements issued",
                        month=str(outcome.month),
                        statements=outcome.statements_issued,
                        skipped=len(outcome.persons_skipped),
                        failed=len(outcome.persons_failed) + len(outcome.cases_failed),
                        regions=outcome.regions_summarized,
                    )
            await asyncio.sleep(settings.issue_check_seconds)

    async def seed() -> None:
        await seed_books(deps)

    authenticator = TokenAuthenticator(settings.api_tokens)
    runtime = ServiceRuntime(
        infra=infra,
        routers=[billing_router(deps, authenticator)],
        authenticate=authenticator.authenticate,
        consumers=consumers,
        relay=relay,
        indexes=INDEXES,
        guards=guards,
        on_startup=[seed],
        background=[issuing_timer],
    )
    return Billing(runtime=runtime, deps=deps)
