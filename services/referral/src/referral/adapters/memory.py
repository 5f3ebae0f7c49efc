"""In-memory adapters implementing the same ports as the Mongo ones (use-case tests, demos)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from referral.domain.case import Case
from referral.domain.liability import AgreementTable
from referral.service_layer.ports import AuditRecord, CaseQuery, ConcurrencyConflict, InboundRecord, StorageUnavailable
from trygg_shared.contracts.base import IntegrationEvent


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

    async def mark_applied(self, sender_id: str, webhook_id: str) -> None:
        record = self.records[(sender_id, webhook_id)]
        self.records[(sender_id, webhook_id)] = InboundRecord(**{**record.__dict__, "applied": True})

    async def unapplied(self, received_before: datetime, limit: int) -> list[InboundRecord]:
        pending = [r for r in self.records.values() if not r.applied and r.received_at < received_before]
        return sorted(pending, key=lambda r: r.received_at)[:limit]

    async def history(self, case_id: str) -> list[InboundRecord]:
        return sorted((r for r in self.records.values() if r.case_id == case_id), key=lambda r: r.received_at)


class InMemoryCaseRepository:
    """Stores copies, checks versions, and keeps every published event in `published`."""

    def __init__(self, agreements: AgreementTable) -> None:
        self._cases: dict[str, Case] = {}
        self._agreements = agreements
        self.published: list[IntegrationEvent] = []
        self.fail_next_save = False

    async def get(self, case_id: str) -> Case | None:
        case = self._cases.get(case_id)
        return copy.deepcopy(case) if case is not None else None

    async def save(self, case: Case) -> None:
        if self.fail_next_save:
            self.fail_next_save = False
            raise StorageUnavailable("offline")
        stored = self._cases.get(case.case_id)
        if (stored.version if stored else 0) != case.version:
            raise ConcurrencyConflict(case.case_id)
        self.published.extend(case.events)
        case.events.clear()
        case.version += 1
        self._cases[case.case_id] = copy.deepcopy(case)

    async def find(self, query: CaseQuery) -> list[Case]:
        found = []
        for case in self._cases.values():
            facts = case.facts(self._agreements)
            if query.statuses and facts.status.value not in query.statuses:
                continue
            running = facts.ready is not None and facts.ready.ended_at is None
            if query.liability_running and not running:
                continue
            found.append((facts.ready.clock.liability_starts_at if running and facts.ready else None, case))
        found.sort(key=lambda pair: (pair[0] is None, pair[0] or datetime.max.replace(tzinfo=UTC), pair[1].case_id))
        return [copy.deepcopy(c) for _, c in found[query.offset : query.offset + query.limit]]

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        for case in self._cases.values():
            facts = case.facts(self._agreements)
            if (
                case.case_id != exclude_case_id
                and case.person_ref == person_ref
                and facts.discharge is not None
                and facts.discharge.discharged_at >= since
            ):
                return case.case_id
        return None


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.available = True

    async def append(self, record: AuditRecord) -> None:
        if not self.available:
            raise StorageUnavailable("offline")
        self.records.append(record)

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]:
        return [r for r in reversed(self.records) if case_id in r.case_ids][:limit]
