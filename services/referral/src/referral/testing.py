"""Test support shipped with the package: the HTTP app on in-memory adapters (no Kafka, no Mongo)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from referral.adapters.memory import InMemoryAuditLog, InMemoryCaseRepository, InMemoryInbox
from referral.bootstrap import bootstrap, default_agreements
from referral.config import MunicipalityProfileSettings, Settings
from referral.main import http_app


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class ApiHarness:
    """The referral HTTP app with in-memory adapters (no Kafka, no Mongo), and what it recorded."""

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
        agreements = default_agreements()
        self.inbox = InMemoryInbox()
        self.cases = InMemoryCaseRepository(agreements)
        self.audit = InMemoryAuditLog()
        settings = Settings(profile=MunicipalityProfileSettings(name="test", max_length_days=14, teams=["Team Väst"]))
        self.referral = bootstrap(
            settings, inbox=self.inbox, cases=self.cases, audit=self.audit, clock=self.clock, agreements=agreements
        )
        self.app = http_app(self.referral, lifespan_enabled=False)
        self.client = TestClient(self.app)

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer dev-{role}"}

    @property
    def events(self) -> list[Any]:
        return self.cases.published
