"""Ports: what the use cases need from the outside world. Adapters and test fakes implement them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from billing.domain.care import CareCase
from billing.domain.fees import PersonAccount, Statement
from billing.domain.invoice_csv import DEFAULT_LAYOUT, InvoiceLayout
from billing.domain.invoices import Invoice
from billing.domain.liability import CaseLiability, LiabilityRecord
from billing.domain.money import Month
from billing.domain.reports import LiabilitySummary
from billing.domain.tariffs import LiabilityPrice, Tariff, VersionedBook
from trygg_shared import auth
from trygg_shared.aggregate import AggregateStore
from trygg_shared.audit import AuditLog, AuditRecord

__all__ = [
    "Actor",
    "AuditLog",
    "AuditRecord",
    "Authenticator",
    "BillingDeps",
    "BookQueries",
    "CareQueries",
    "Clock",
    "InvoiceQueries",
    "IssueRun",
    "IssueRuns",
    "LiabilityQueries",
    "Role",
    "StatementQueries",
]


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- who is calling: the roles and what each may do, as data (the chassis, `trygg_shared.bearer`, checks them)


class Role(StrEnum):
    OFFICER = "officer"  # biståndshandläggare: statements, fee headroom, reports
    TEAM = "team"  # no access to billing
    ONCALL = "oncall"  # no access to billing
    OPS = "ops"  # tariffs, runs, reports, the audit trail


PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "read": frozenset({Role.OFFICER, Role.OPS}),  # statements, reports, tariffs, CSV exports
    "set_headroom": frozenset({Role.OFFICER}),
    "manage": frozenset({Role.OPS}),  # tariffs, prices, statement runs, the audit trail
    "import_invoice": frozenset({Role.OFFICER}),  # the region's liability invoice, checked
}

Actor = auth.Actor
Authenticator = auth.Authenticator[Actor]


class CareQueries(Protocol):
    async def cases_of_person(self, person_ref: str) -> list[tuple[CareCase, int]]:
        """The person's cases with the version each was read at."""
        ...

    async def persons_to_bill(self) -> list[str]:
        """Persons with a case whose fees may not all be billed yet."""
        ...

    async def cases_for_month(self, month: Month) -> list[CareCase]:
        """Cases with a team period or a visit in `month` (a superset is fine)."""
        ...


class LiabilityQueries(Protocol):
    async def cases_for_month(self, month: Month) -> list[LiabilityRecord]:
        """Cases with liable days or a discharge in `month`, and every case whose clock runs."""
        ...


class StatementQueries(Protocol):
    async def of_person(self, person_ref: str) -> list[Statement]: ...

    async def of_month(self, month: Month) -> list[Statement]: ...


class BookQueries(Protocol):
    async def tariffs(self) -> list[VersionedBook[Tariff]]: ...

    async def prices(self) -> list[VersionedBook[LiabilityPrice]]: ...


class InvoiceQueries(Protocol):
    async def persons_with_identity(self, identity_key: str) -> list[str]:
        """The person references whose billing subject has this identity (by its keyed digest)."""
        ...

    async def stays_of_person(self, person_ref: str) -> list[CaseLiability]: ...

    async def stays_of_episode(self, episode_id: str) -> list[CaseLiability]: ...

    async def invoices_of_month(self, month: Month) -> list[Invoice]: ...


@dataclass(frozen=True)
class CaseCommand:
    """What every command about a case starts with: the case and its person (both pseudonymous)."""

    case_id: str
    person_ref: str


@dataclass(frozen=True)
class IssueRun:
    """The monthly run for one month: claimed by one process at a time, done once."""

    month: Month
    status: str  # "running" or "done"
    owner: str
    lease_until: datetime
    started_at: datetime
    finished_at: datetime | None = None
    statements_issued: int = 0
    persons_skipped: tuple[str, ...] = ()
    regions_summarized: int = 0
    persons_failed: tuple[str, ...] = ()  # persons whose statement failed (reported, left out)
    cases_failed: tuple[str, ...] = ()  # cases the liability summary could not compute (left out)


class IssueRuns(Protocol):
    async def get(self, month: Month) -> IssueRun | None: ...

    async def claim(self, month: Month, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take the run for `month` (atomically); False when done or held by another owner."""
        ...

    async def complete(self, run: IssueRun) -> None: ...


@dataclass
class BillingDeps:
    """Everything the use cases use, wired by bootstrap."""

    liabilities: AggregateStore[LiabilityRecord]
    care: AggregateStore[CareCase]
    persons: AggregateStore[PersonAccount]
    statements: AggregateStore[Statement]
    summaries: AggregateStore[LiabilitySummary]
    tariffs: AggregateStore[VersionedBook[Tariff]]
    prices: AggregateStore[VersionedBook[LiabilityPrice]]
    care_queries: CareQueries
    liability_queries: LiabilityQueries
    statement_queries: StatementQueries
    book_queries: BookQueries
    invoices: AggregateStore[Invoice]
    invoice_queries: InvoiceQueries
    runs: IssueRuns
    audit: AuditLog
    clock: Clock
    municipality_code: str
    owner: str = "billing"
    run_lease: timedelta = field(default=timedelta(minutes=10))
    issue_day: int = 1
    issue_hour: int = 6
    invoice_layouts: Mapping[str, InvoiceLayout] = field(default_factory=lambda: {"*": DEFAULT_LAYOUT})
