"""In-memory adapters of the referral ports, with the same semantics as the Mongo ones.

Cases use the shared `trygg_shared.aggregate.InMemoryAggregateStore` (versions, conflicts,
copies between load and save); these cover the rest: the inbox, queries across cases, the
audit log and the agreements. `bootstrap` accepts them in place of the Mongo adapters, which
is how use-case and HTTP tests run without servers. `available = False` makes an adapter
answer as a database that is down.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from referral.adapters.mongo import AUDIT_SHAPE
from referral.domain.case import Case
from referral.domain.liability import AgreementTable
from referral.service_layer.ports import (
    AgreementChange,
    CaseQuery,
    InboundRecord,
    IntakeAnswer,
    StorageUnavailable,
)
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.memory import MemoryAuditLog

# The audit log in memory, kept as the Mongo adapter keeps it (one record per case of a list read).
InMemoryAuditLog = partial(MemoryAuditLog, AUDIT_SHAPE)


class InMemoryInbox:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], InboundRecord] = {}
        self.available = True

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        if not self.available:
            raise StorageUnavailable("offline")
        key = (record.sender_id, record.webhook_id)
        if key in self.records:
            return self.records[key]
        self.records[key] = record
        return None

    async def mark_applied(self, sender_id: str, webhook_id: str, answer: IntakeAnswer | None = None) -> None:
        record = self.records[(sender_id, webhook_id)]
        self.records[(sender_id, webhook_id)] = replace(record, applied=True, answer=answer or record.answer)

    async def unapplied(
        self, received_before: datetime, limit: int, excluding: Sequence[str] = ()
    ) -> list[InboundRecord]:
        pending = [
            r
            for r in self.records.values()
            if not r.applied and r.received_at < received_before and r.key not in excluding
        ]
        return sorted(pending, key=lambda r: r.received_at)[:limit]

    async def history(self, case_id: str) -> list[InboundRecord]:
        return sorted((r for r in self.records.values() if r.case_id == case_id), key=lambda r: r.received_at)

    async def sweep(self, retention: timedelta, now: datetime) -> int:
        old = [k for k, r in self.records.items() if r.applied and r.received_at < now - retention]
        for key in old:
            del self.records[key]
        return len(old)


class InMemoryCaseQueries:
    """Queries across the cases of an `InMemoryAggregateStore`."""

    def __init__(self, store: InMemoryAggregateStore[Case], agreements: Callable[[], AgreementTable]) -> None:
        self._store = store
        self._agreements = agreements

    def _cases(self) -> list[Case]:
        return [copy.deepcopy(state) for state, _, _ in self._store.states.values()]

    async def find(self, query: CaseQuery) -> list[Case]:
        found = []
        for case in self._cases():
            facts = case.facts(self._agreements())
            if query.statuses and facts.status.value not in query.statuses:
                continue
            running = facts.ready is not None and facts.ready.ended_at is None
            if query.liability_running and not running:
                continue
            if query.teams is not None and case.stored_team() not in query.teams:
                continue
            if query.sip_pending and case.sip_due_at(self._agreements()) is None:
                continue
            found.append((facts.ready.clock.liability_starts_at if running and facts.ready else None, case))
        found.sort(key=lambda pair: (pair[0] is None, pair[0] or datetime.max.replace(tzinfo=UTC), pair[1].case_id))
        return [c for _, c in found[query.offset : query.offset + query.limit]]

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        found = []
        for case in self._cases():
            discharge = case.facts(self._agreements()).discharge
            mine = case.case_id != exclude_case_id and case.person_ref == person_ref
            if mine and discharge is not None and discharge.discharged_at >= since:
                found.append((discharge.discharged_at, case.case_id))
        return max(found)[1] if found else None


class InMemoryAgreementStore:
    def __init__(self) -> None:
        self.changes: dict[tuple[str, int], AgreementChange] = {}

    async def all(self) -> list[AgreementChange]:
        return list(self.changes.values())

    async def add(self, change: AgreementChange) -> bool:
        key = (change.agreement.region_code, change.agreement.version)
        if key in self.changes:
            return False
        self.changes[key] = change
        return True


class InMemoryConsentLedger:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}  # key -> officer_day
        self.available = True

    async def add(self, officer_day: str, keys: Sequence[str], at: datetime) -> int:
        if not self.available:
            raise StorageUnavailable("offline")
        for key in keys:
            self.entries.setdefault(key, officer_day)
        return sum(1 for day in self.entries.values() if day == officer_day)

    async def remove(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.entries.pop(key, None)
