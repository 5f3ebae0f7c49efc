"""Test support shipped with the package: the HTTP app on in-memory adapters (no Kafka, no Mongo)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from billing.adapters.memory import MemoryAuditLog, MemoryStores
from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.domain.care import DecisionType
from billing.main import http_app
from billing.service_layer import referral_facts as rf
from billing.service_layer.tariffs import seed_books
from trygg_shared.clock import FixedClock


class ApiHarness:
    """The billing HTTP app with in-memory adapters and seeded tariffs, and what it recorded."""

    def __init__(self, now: datetime | None = None) -> None:
        self.clock = FixedClock(now or datetime(2024, 4, 2, 8, 0, tzinfo=UTC))
        self.stores = MemoryStores()
        self.billing = bootstrap(Settings(), clock=self.clock, memory=self.stores)
        self.deps = self.billing.deps
        asyncio.run(seed_books(self.deps))
        self.app = http_app(self.billing, lifespan_enabled=False)
        self.client = TestClient(self.app)

    @property
    def audit(self) -> MemoryAuditLog:
        assert isinstance(self.deps.audit, MemoryAuditLog)
        return self.deps.audit

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer dev-{role}"}

    def grant(self, person: str, start: date, length: int, *, granted_at: datetime | None = None) -> None:
        """A granted Trygg hemgång for `person` (case `case-<person>`, decision `d-<person>`), as referral's
        event would record it."""
        decision = rf.RecordDecision(
            case_id=f"case-{person}",
            person_ref=person,
            decision_id=f"d-{person}",
            kind="granted",
            as_of=granted_at or datetime(start.year, start.month, 1, tzinfo=UTC),
            decision_type=DecisionType.TRYGG_HEMGANG,
            start_date=start,
            length_days=length,
        )
        asyncio.run(rf.record_decision(self.deps, decision))
