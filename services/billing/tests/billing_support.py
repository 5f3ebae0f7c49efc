"""Test support shipped with the package: the HTTP app on in-memory adapters (no Kafka, no Mongo)."""

from __future__ import annotations

import asyncio
import uuid
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
from trygg_shared.contracts import referral as ref


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


# --- referral's events as billing consumes them ------------------------------------------------


def granted(
    case_id: str,
    person_ref: str,
    start: date,
    length: int,
    *,
    decision_id: str | None = None,
    kind: ref.DecisionType = ref.DecisionType.TRYGG_HEMGANG,
    at: datetime | None = None,
) -> ref.DecisionGranted:
    return ref.DecisionGranted(
        case_id=case_id,
        person_ref=person_ref,
        decision_id=decision_id or f"d-{uuid.uuid4().hex[:8]}",
        decision_type=kind,
        start_date=start,
        length_days=length,
        team="Team Väst",
        relatives=(ref.Relative(relative_id="r1", name="Karin Lindqvist", phone="+46709998877", consent=True),),
        granted_by="officer:anna",
        granted_at=at or datetime(2024, 3, 1, 9, tzinfo=UTC),
    )


HOFORS_ADDRESS = ref.Address(street="Exempelgatan 4", postal_code="81330", city="Hofors", municipality_code="2104")


def subject(
    case_id: str, person_ref: str, *, address: ref.Address | None = HOFORS_ADDRESS
) -> ref.BillingSubjectRegistered:
    """Referral's event naming whom the fees are billed to (a synthetic person)."""
    return ref.BillingSubjectRegistered(
        case_id=case_id,
        person_ref=person_ref,
        id_type="personnummer",
        identity_number="194010092387",
        given_name="Astrid",
        family_name="Lindqvist",
        address=address,
    )
