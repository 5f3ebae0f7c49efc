"""In-memory adapters for tests and the HTTP harness: the same folds, no database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from console.domain.alerts import AlertState, fold_alert
from console.domain.cases import CaseState, TimelineEntry, fold_case, timeline
from console.domain.facts import AlertFact, CaseFact, FactSet, TeamFact, VisitFact
from console.domain.teams import TeamState, fold_team
from console.domain.visits import VisitState, fold_visit
from console.service_layer.ports import (
    AlertConflict,
    AlertNotFound,
    BillingRefused,
    BillingUnavailable,
    NotificationUnavailable,
    SessionRecord,
)
from console.service_layer.projections import Stores
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.memory import MemoryAuditLog

__all__ = [
    "MemoryAuditLog",
    "MemoryChangeLog",
    "MemoryReadModel",
    "MemorySessionStore",
    "RecordingNotifications",
    "memory_stores",
]


def memory_stores() -> Stores:
    return Stores(
        cases=InMemoryAggregateStore[FactSet[CaseFact]](),
        visits=InMemoryAggregateStore[FactSet[VisitFact]](),
        teams=InMemoryAggregateStore[FactSet[TeamFact]](),
        alerts=InMemoryAggregateStore[FactSet[AlertFact]](),
    )


def _sets(store: object) -> list[FactSet[object]]:
    assert isinstance(store, InMemoryAggregateStore)
    return [state for state, _, _ in store.states.values()]


class MemoryReadModel:
    """`ReadModel` that folds the in-memory fact sets on every query."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def _cases(self) -> list[CaseState]:
        return [fold_case(s.key, s.recorded()) for s in _sets(self._stores.cases)]  # type: ignore[arg-type]

    async def board(self) -> list[CaseState]:
        return [c for c in self._cases() if c.on_board]

    async def waiting(self) -> list[CaseState]:
        return [c for c in self._cases() if c.waiting and c.waiting.waiting]

    async def case(self, case_id: str) -> tuple[CaseState, list[TimelineEntry]] | None:
        for s in _sets(self._stores.cases):
            if s.key == case_id:
                recorded = s.recorded()
                return fold_case(case_id, recorded), timeline(recorded)  # type: ignore[arg-type]
        return None

    async def cases(self) -> list[CaseState]:
        return self._cases()

    async def visits_on(self, day: date) -> list[VisitState]:
        visits = [fold_visit(s.recorded()) for s in _sets(self._stores.visits)]  # type: ignore[arg-type]
        return [v for v in visits if v is not None and v.day == day]

    async def teams(self) -> Mapping[str, TeamState]:
        return {s.key: fold_team(s.key, s.recorded()) for s in _sets(self._stores.teams)}  # type: ignore[arg-type]

    async def alerts(self, *, open_only: bool) -> list[AlertState]:
        found = [fold_alert(s.key, s.recorded()) for s in _sets(self._stores.alerts)]  # type: ignore[arg-type]
        return [a for a in found if a is not None and (a.open or not open_only)]

    async def alert(self, alert_id: str) -> AlertState | None:
        return next((a for a in await self.alerts(open_only=False) if a.alert_id == alert_id), None)


class MemoryChangeLog:
    """`ChangeLog` in one process's memory; two feeds given the same one act as two replicas."""

    def __init__(self) -> None:
        self.positions: dict[int, datetime] = {}
        self.lookups = 0  # `has` calls, to measure what polling costs

    async def has(self, position: int) -> bool:
        self.lookups += 1
        return position in self.positions

    async def claim(self, position: int, at: datetime) -> bool:
        if position in self.positions:
            return False
        self.positions[position] = at
        return True

    async def newest(self) -> int:
        return max(self.positions, default=0)

    async def forget(self, below: int, before: datetime) -> int:
        old = [p for p, at in self.positions.items() if p < below and at < before]
        for position in old:
            del self.positions[position]
        return len(old)


class MemorySessionStore:
    def __init__(self) -> None:
        self.records: dict[str, SessionRecord] = {}

    async def add(self, record: SessionRecord) -> None:
        self.records[record.key] = record

    async def get(self, key: str) -> SessionRecord | None:
        return self.records.get(key)

    async def remove(self, key: str) -> None:
        self.records.pop(key, None)

    async def remove_expired(self, now: datetime) -> int:
        ended = [k for k, r in self.records.items() if r.expires_at <= now]
        for key in ended:
            del self.records[key]
        return len(ended)


class RecordingNotifications:
    """A stand-in for the notification service: records acknowledgements; can be told to fail."""

    def __init__(self) -> None:
        self.acknowledged: list[tuple[str, str]] = []
        self.answer: str = "ok"  # ok, not_found, conflict, down

    async def acknowledge(self, alert_id: str, *, by: str) -> None:
        if self.answer == "not_found":
            raise AlertNotFound(alert_id)
        if self.answer == "conflict":
            raise AlertConflict(alert_id)
        if self.answer == "down":
            raise NotificationUnavailable("connection refused")
        self.acknowledged.append((alert_id, by))


class StandInBilling:
    """A stand-in for the billing service (tests): answers what it was given; can be told to fail."""

    def __init__(self) -> None:
        self.fees: dict[str, Any] = {"month": "2026-03", "persons": [], "left_out": []}
        self.stored: dict[str, dict[str, Any]] = {}  # invoice id -> billing's invoice document
        self.refusal: BillingRefused | None = None
        self.down = False
        self.imported: list[tuple[str, str, bytes]] = []

    def _answer(self) -> None:
        if self.down:
            raise BillingUnavailable("connection refused")

    async def running_fees(self, month: str | None) -> dict[str, Any]:
        self._answer()
        return self.fees

    async def invoices(self, month: str) -> list[dict[str, Any]]:
        self._answer()
        return [i for i in self.stored.values() if i["month"] == month]

    async def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        self._answer()
        return self.stored.get(invoice_id)

    async def import_invoice(self, region: str, month: str, content: bytes) -> dict[str, Any]:
        self._answer()
        self.imported.append((region, month, content))
        if self.refusal is not None:
            raise self.refusal
        return next(iter(self.stored.values()))

    async def disputes_csv(self, month: str) -> bytes:
        self._answer()
        return b"invoice_id,region_code,line_no\n"
