"""Test support of the referral service: the app wired by `bootstrap` with in-memory adapters.

Not part of the production package. `conftest.py` puts this folder on `sys.path`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from referral.adapters.codec import to_wire
from referral.adapters.memory import (
    InMemoryAgreementStore,
    InMemoryAuditLog,
    InMemoryCaseQueries,
    InMemoryConsentLedger,
    InMemoryInbox,
)
from referral.bootstrap import Referral, bootstrap
from referral.config import MunicipalityProfileSettings, Settings, SmsSettings, TeamSettings
from referral.domain.case import Case
from referral.domain.liability import AgreementTable, RegionalAgreement
from referral.entrypoints.webhooks import WebhookLimits
from referral.main import http_app
from referral.service_layer.agreement_format import shipped_agreements
from referral.service_layer.ports import Role, StorageUnavailable
from trygg_shared import clock
from trygg_shared.aggregate import InMemoryAggregateStore, Saved
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.tokens import ApiToken, local_dev_tokens

SHIPPED = shipped_agreements()
STOCKHOLM_2024: RegionalAgreement = next(a for a in SHIPPED if a.agreement_id == "region-stockholm-2024")
NATIONAL: RegionalAgreement = next(a for a in SHIPPED if a.agreement_id == "national-default")
AGREEMENTS = AgreementTable(SHIPPED)


class FixedClock(clock.FixedClock):
    """The chassis' fixed clock, at 2026-11-23 10:00 UTC unless told otherwise."""

    def __init__(self, moment: datetime | None = None) -> None:
        super().__init__(moment or datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@dataclass
class CaseStore(InMemoryAggregateStore[Case]):
    """The in-memory case store, which can fail its next save as a database that blinked."""

    fail_next_save: bool = False

    async def save(
        self,
        aggregate_id: str,
        expected_version: int,
        state: Case,
        new_events: Sequence[object],
        *,
        last_sequence: int = 0,
    ) -> Saved:
        if self.fail_next_save:
            self.fail_next_save = False
            raise StorageUnavailable("offline")
        return await super().save(aggregate_id, expected_version, state, new_events, last_sequence=last_sequence)


def wire(events: Sequence[object]) -> list[IntegrationEvent]:
    """The wire contracts of domain events, as the Mongo store's codec writes them to the outbox."""
    return [w for e in events for w in to_wire(e)]


class ApiHarness:
    """The referral HTTP app with in-memory adapters (no Kafka, no Mongo), and what it recorded."""

    def __init__(
        self,
        *,
        teams: Sequence[str | TeamSettings] = ("Team Väst",),
        max_length_days: int = 14,
        sms: SmsSettings | None = None,
        tokens: Sequence[ApiToken[Role]] = (),
        webhook_limits: WebhookLimits | None = None,
    ) -> None:
        self.clock = FixedClock()
        self.consents = InMemoryConsentLedger()
        self.store = CaseStore()
        self.inbox = InMemoryInbox()
        self.audit = InMemoryAuditLog()
        self.agreement_store = InMemoryAgreementStore()
        settings = Settings(
            profile=MunicipalityProfileSettings(name="test", max_length_days=max_length_days, teams=list(teams)),
            sms=sms or SmsSettings(),  # type: ignore[call-arg]
            api_tokens=[*local_dev_tokens(Role), *tokens],
            webhook_limits=webhook_limits or WebhookLimits(),
        )
        self.referral: Referral = bootstrap(
            settings,
            store=self.store,
            queries=InMemoryCaseQueries(self.store, lambda: self.referral.deps.agreements),
            inbox=self.inbox,
            audit=self.audit,
            agreement_store=self.agreement_store,
            clock=self.clock,
            consent_ledger=self.consents,
        )
        asyncio.run(self.referral.deps.agreement_book.load())  # what the runtime does at start
        self.app = http_app(self.referral, lifespan_enabled=False)
        self.client = TestClient(self.app)

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer dev-{role}"}

    @property
    def events(self) -> list[Any]:
        """Every wire event the saved cases produced so far, in order."""
        return wire(self.store.events())
