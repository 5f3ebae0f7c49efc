"""The billing service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from pymongo.asynchronous.database import AsyncDatabase

from billing.adapters.memory import (
    MemoryBookQueries,
    MemoryCareQueries,
    MemoryInvoiceQueries,
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
    MongoInvoiceQueries,
    MongoIssueRuns,
    MongoLiabilityQueries,
    MongoStatementQueries,
    Stores,
)
from billing.config import Settings, invoice_layouts
from billing.entrypoints.api import billing_router
from billing.entrypoints.events import referral_consumer, scheduling_consumer, subjects_consumer
from billing.service_layer.ports import (
    Actor,
    AuditLog,
    BillingDeps,
    BookQueries,
    CareQueries,
    Clock,
    InvoiceQueries,
    IssueRuns,
    LiabilityQueries,
    Role,
    StatementQueries,
)
from billing.service_layer.statements import due_month, run_due_month
from billing.service_layer.tariffs import seed_books
from trygg_shared.carry import carry
from trygg_shared.clock import SystemClock
from trygg_shared.logging import get_logger
from trygg_shared.memory import MemoryAuditLog, MemoryHandledEvents
from trygg_shared.mongo import Document
from trygg_shared.service import Infrastructure, ServiceRuntime, consumer_groups, swept
from trygg_shared.settings import refuse_local_values
from trygg_shared.telemetry import traced_work
from trygg_shared.tokens import TokenAuthenticator, local_dev_tokens, uses_dev_tokens

log = get_logger(__name__)


@dataclass
class Billing:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: BillingDeps


@dataclass(frozen=True)
class _Adapters:
    """The queries, the monthly run's claim and the audit log: in memory or in Mongo (named as in `BillingDeps`)."""

    care_queries: CareQueries
    liability_queries: LiabilityQueries
    statement_queries: StatementQueries
    book_queries: BookQueries
    invoice_queries: InvoiceQueries
    runs: IssueRuns
    audit: AuditLog


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _unsafe(settings: Settings) -> list[str]:
    """The local development values in use (refused outside a local environment)."""
    return ["BILLING_API_TOKENS"] if uses_dev_tokens(settings.api_tokens, local_dev_tokens(Role)) else []


def _memory_adapters(memory: MemoryStores) -> _Adapters:
    return _Adapters(
        MemoryCareQueries(memory),
        MemoryLiabilityQueries(memory),
        MemoryStatementQueries(memory),
        MemoryBookQueries(memory),
        MemoryInvoiceQueries(memory),
        MemoryIssueRuns(),
        MemoryAuditLog(),
    )


def mongo_deps(
    settings: Settings, clock: Clock, stores: Stores, db: AsyncDatabase[Document], owner: str | None = None
) -> BillingDeps:
    """The use cases' dependencies on the Mongo stores and adapters (bootstrap's; the store tests')."""
    adapters = _Adapters(
        MongoCareQueries(stores),
        MongoLiabilityQueries(stores),
        MongoStatementQueries(stores),
        MongoBookQueries(stores),
        MongoInvoiceQueries(stores),
        MongoIssueRuns(db),
        MongoAuditLog(db),
    )
    return _deps(settings, clock, stores, adapters, owner)


def _deps(
    settings: Settings, clock: Clock, stores: MemoryStores | Stores, adapters: _Adapters, owner: str | None = None
) -> BillingDeps:
    """The adapters and the stores' repositories by name, with the settings the use cases read (the
    municipality, the issue day and hour by name)."""
    return carry(
        BillingDeps,
        adapters,
        stores,
        settings,
        clock=clock,
        owner=owner or _owner(),
        run_lease=timedelta(seconds=settings.issue_lease_seconds),
        invoice_layouts=invoice_layouts(settings),
    )


def _issuing_timer(deps: BillingDeps, check_seconds: float) -> Callable[[], Awaitable[None]]:
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
            await asyncio.sleep(check_seconds)

    return issuing_timer


# The consumer groups (suffixes of `BILLING_CONSUMER_GROUP`) and their consumers.
CONSUMERS = (("", referral_consumer), ("-subjects", subjects_consumer), ("-scheduling", scheduling_consumer))


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    clock: Clock | None = None,
    memory: MemoryStores | None = None,
) -> Billing:
    """Wire the service. With `memory`, the stores and queries are in memory (HTTP and use-case tests)."""
    refuse_local_values(settings, _unsafe(settings))
    infra = infra or Infrastructure.create(settings)
    clock = clock or SystemClock()
    relay = None
    if memory is not None:
        deps = _deps(settings, clock, memory, _memory_adapters(memory))
    else:
        stores = Stores(infra.db)
        deps = mongo_deps(settings, clock, stores, infra.db)
        relay = infra.outbox_relay("billing", stores.publishing)
    in_memory = (lambda _group: MemoryHandledEvents()) if memory is not None else None
    consumers, guards = consumer_groups(infra, deps, settings.consumer_group, CONSUMERS, in_memory)
    authenticator = TokenAuthenticator(settings.api_tokens, Actor)
    runtime = ServiceRuntime(
        infra=infra,
        routers=[billing_router(deps, authenticator)],
        authenticate=authenticator.authenticate,
        consumers=consumers,
        relay=relay,
        indexes=INDEXES,
        guards=swept(guards),
        on_startup=[partial(seed_books, deps)],
        background=[_issuing_timer(deps, settings.issue_check_seconds)],
    )
    return Billing(runtime=runtime, deps=deps)
