"""In-memory adapters for use-case and HTTP tests: the same ports, on `InMemoryAggregateStore`s."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from billing.domain.care import CareCase
from billing.domain.fees import PersonAccount, Statement
from billing.domain.invoice_csv import identity_key
from billing.domain.invoices import Invoice
from billing.domain.liability import CaseLiability, LiabilityRecord
from billing.domain.money import Month
from billing.domain.reports import LiabilitySummary
from billing.domain.tariffs import LiabilityPrice, Tariff, VersionedBook
from billing.service_layer.ports import IssueRun
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.memory import MemoryAuditLog

__all__ = [
    "MemoryAuditLog",
    "MemoryBookQueries",
    "MemoryCareQueries",
    "MemoryInvoiceQueries",
    "MemoryIssueRuns",
    "MemoryLiabilityQueries",
    "MemoryStatementQueries",
    "MemoryStores",
]


@dataclass
class MemoryStores:
    liabilities: InMemoryAggregateStore[LiabilityRecord] = field(default_factory=InMemoryAggregateStore)
    care: InMemoryAggregateStore[CareCase] = field(default_factory=InMemoryAggregateStore)
    persons: InMemoryAggregateStore[PersonAccount] = field(default_factory=InMemoryAggregateStore)
    statements: InMemoryAggregateStore[Statement] = field(default_factory=InMemoryAggregateStore)
    summaries: InMemoryAggregateStore[LiabilitySummary] = field(default_factory=InMemoryAggregateStore)
    tariffs: InMemoryAggregateStore[VersionedBook[Tariff]] = field(default_factory=InMemoryAggregateStore)
    prices: InMemoryAggregateStore[VersionedBook[LiabilityPrice]] = field(default_factory=InMemoryAggregateStore)
    invoices: InMemoryAggregateStore[Invoice] = field(default_factory=InMemoryAggregateStore)


def _states(store: InMemoryAggregateStore[Any]) -> list[Any]:
    import copy

    return [copy.deepcopy(state) for state, _version, _last in store.states.values()]


class MemoryCareQueries:
    def __init__(self, stores: MemoryStores) -> None:
        self._store = stores.care

    async def cases_of_person(self, person_ref: str) -> list[tuple[CareCase, int]]:
        import copy

        return [
            (copy.deepcopy(state), version)
            for state, version, _ in self._store.states.values()
            if state.person_ref == person_ref
        ]

    async def persons_to_bill(self) -> list[str]:
        return sorted({c.person_ref for c in _states(self._store) if c.billing_open})

    async def cases_for_month(self, month: Month) -> list[CareCase]:
        return _states(self._store)


class MemoryLiabilityQueries:
    def __init__(self, stores: MemoryStores) -> None:
        self._store = stores.liabilities

    async def cases_for_month(self, month: Month) -> list[LiabilityRecord]:
        return _states(self._store)


class MemoryStatementQueries:
    def __init__(self, stores: MemoryStores) -> None:
        self._store = stores.statements

    async def of_person(self, person_ref: str) -> list[Statement]:
        return [s for s in _states(self._store) if s.person_ref == person_ref]

    async def of_month(self, month: Month) -> list[Statement]:
        return [s for s in _states(self._store) if s.month == month]


class MemoryBookQueries:
    def __init__(self, stores: MemoryStores) -> None:
        self._stores = stores

    async def tariffs(self) -> list[VersionedBook[Tariff]]:
        return _states(self._stores.tariffs)

    async def prices(self) -> list[VersionedBook[LiabilityPrice]]:
        return _states(self._stores.prices)


class MemoryInvoiceQueries:
    def __init__(self, stores: MemoryStores) -> None:
        self._stores = stores

    async def persons_with_identity(self, key: str) -> list[str]:
        persons: list[PersonAccount] = _states(self._stores.persons)
        return [p.person_ref for p in persons if p.recipient and identity_key(p.recipient.identity_number) == key]

    async def stays_of_person(self, person_ref: str) -> list[CaseLiability]:
        return [r.case for r in _states(self._stores.liabilities) if r.case.person_ref == person_ref]

    async def stays_of_episode(self, episode_id: str) -> list[CaseLiability]:
        return [r.case for r in _states(self._stores.liabilities) if episode_id in r.case.episode_ids]

    async def invoices_of_month(self, month: Month) -> list[Invoice]:
        return [i for i in _states(self._stores.invoices) if i.month == month]


class MemoryIssueRuns:
    def __init__(self) -> None:
        self.runs: dict[Month, IssueRun] = {}

    async def get(self, month: Month) -> IssueRun | None:
        return self.runs.get(month)

    async def claim(self, month: Month, owner: str, now: datetime, lease: timedelta) -> bool:
        run = self.runs.get(month)
        if run is None:
            self.runs[month] = IssueRun(month, "running", owner, now + lease, now)
            return True
        if run.status == "done" or (run.owner != owner and run.lease_until > now):
            return False
        self.runs[month] = replace(run, owner=owner, lease_until=now + lease)
        return True

    async def complete(self, run: IssueRun) -> None:
        held = self.runs.get(run.month)
        if held is not None and held.owner == run.owner:
            self.runs[run.month] = run
