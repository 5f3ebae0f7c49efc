"""Test support shipped with the package: a fixed clock, a scriptable provider, the app on memory adapters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from notification.bootstrap import Notification, bootstrap, memory_backend
from notification.config import Settings
from notification.domain.alert import Responder, Rota, Shift
from notification.domain.message import DeliveryStatus
from notification.main import http_app
from notification.service_layer import relatives as rel
from notification.service_layer.ports import (
    Accepted,
    Found,
    LookupOutcome,
    NotFound,
    OutgoingSms,
    SendOutcome,
)
from trygg_shared.clock import FixedClock
from trygg_shared.contracts import referral as r
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.envelope import KafkaRecord
from trygg_shared.memory import MemoryHandledEvents as MemoryGuard
from trygg_shared.testing import event_record, publish_record


class Crash(Exception):
    """Raised by the fake provider to simulate the process dying right after the provider took a message."""


@dataclass
class FakeProvider:
    """A provider that keeps what it was given. `script` answers the next sends (default: accepted).

    An outcome of `Crash` means: the provider took the message, then our process "died" before
    recording it (the exception propagates out of the dispatcher).
    """

    name: str = "fake"
    supports_lookup: bool = True
    sent: list[OutgoingSms] = field(default_factory=list)
    script: list[SendOutcome | type[Crash]] = field(default_factory=list)
    lookups: int = 0

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        outcome = self.script.pop(0) if self.script else None
        if outcome is Crash:
            self.sent.append(sms)
            raise Crash(sms.message_id)
        if outcome is None or isinstance(outcome, Accepted):
            self.sent.append(sms)
            return outcome or Accepted("fake_" + uuid.uuid4().hex[:12], DeliveryStatus.ACCEPTED)
        assert not isinstance(outcome, type)
        return outcome

    async def lookup(self, sms: OutgoingSms, since: datetime) -> LookupOutcome:
        self.lookups += 1
        for i, s in enumerate(self.sent):
            if s.to == sms.to and s.text == sms.text and s.sender == sms.sender:
                return Found(f"fake_found_{i}", DeliveryStatus.ACCEPTED)
        return NotFound()

    def texts_to(self, phone: str) -> list[str]:
        return [s.text for s in self.sent if s.to == phone]


def make_settings(**overrides: Any) -> Settings:
    # The start text goes at once unless a test sets its wait (60 s in production: `test_relatives_schedule`).
    values: dict[str, Any] = {
        "retry_backoff_seconds": 5,
        "claim_lease_seconds": 60,
        "ack_timeout_minutes": 15,
        "start_text_wait_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Harness:
    """The service on memory adapters with a fixed clock and a fake provider (no Kafka, no Mongo)."""

    settings: Settings
    clock: FixedClock
    provider: FakeProvider
    notification: Notification

    @classmethod
    def create(
        cls,
        *,
        now: datetime | None = None,
        provider: FakeProvider | None = None,
        settings: Settings | None = None,
        share_backend_with: Harness | None = None,
    ) -> Harness:
        clock = (
            share_backend_with.clock
            if share_backend_with
            else FixedClock(now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        )
        settings = settings or make_settings()
        default = FakeProvider(name=settings.provider if settings.provider != "local" else "fake")
        provider = provider or (share_backend_with.provider if share_backend_with else default)
        backend = share_backend_with.notification.backend if share_backend_with else memory_backend(clock)
        notification = bootstrap(
            settings, backend=backend, provider=provider, clock=clock, guard_factory=lambda _group: MemoryGuard()
        )
        return cls(settings, clock, provider, notification)

    @property
    def deps(self) -> Any:
        return self.notification.deps

    def client(self) -> TestClient:
        return TestClient(http_app(self.notification, lifespan_enabled=False))

    def events(self) -> list[Any]:
        """Domain events saved by every store, in order (the outbox's content)."""
        b = self.notification.backend
        return [*b.messages.events(), *b.alerts.events()]  # type: ignore[attr-defined]

    def events_of(self, kind: type) -> list[Any]:
        return [e for e in self.events() if isinstance(e, kind)]


async def end_period(deps: Any, case_id: str, ended_on: date, *, cause: str = "period-ended:per-1") -> int:
    """Scheduling ended the case's period the ordinary way (relatives are told of an end)."""
    return await rel.record_period_end(
        deps, case_id, "p", ended_on=ended_on, tell_relatives=True, deceased=False, cause=cause
    )


def as_role(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{role}"}


# --- who is on call (for the alert tests) ---------------------------------------------------------

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANNA = Responder("anna", "+46700000001")
BO = Responder("bo", "+46700000002")


async def with_rota(h: Harness, rota_id: str = "default", *responders: Responder) -> None:
    """Rota `rota_id`: `responders` (Anna and Bo when none are named) on call from a day before T0 to a week after."""
    on_call = responders or (ANNA, BO)
    await h.deps.rotas.put(Rota(rota_id, (Shift(T0 - timedelta(days=1), T0 + timedelta(days=7), on_call),)))


# --- scheduling's events about a visit ------------------------------------------------------------


def of_visit(case_id: str, visit_id: str = "v1") -> dict[str, str]:
    """What names the visit in scheduling's events: the case, its person, period and team, and the visit."""
    return {"case_id": case_id, "person_ref": "p_1", "period_id": "per1", "team_id": "team-vast", "visit_id": visit_id}


# --- referral's events as they arrive on Kafka (for the subscriber tests) -------------------------

EVENT_TIME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RELATIVE_PHONES = {"rel1": "+46701112233", "rel2": "+46709998877"}


def record(
    event: IntegrationEvent, *, event_id: str | None = None, sequence: int | None = None, source: str = "urn:test"
) -> KafkaRecord:
    """The event in its CloudEvents envelope, as a relay publishes it (at `EVENT_TIME`)."""
    return event_record(event, source=source, sequence=sequence, event_id=event_id, time=EVENT_TIME)


publish = publish_record  # (broker, topic, record)


def granted(case_id: str, decision_id: str | None = None) -> r.DecisionGranted:
    """A decision as referral publishes it on the case-events topic: no relatives there."""
    return r.DecisionGranted(
        case_id=case_id,
        person_ref="p_1",
        decision_id=decision_id or "d_" + case_id[:8],
        decision_type=r.DecisionType.TRYGG_HEMGANG,
        start_date=date(2026, 11, 25),
        length_days=14,
        team="Team Väst",
        granted_by="officer:anna",
        granted_at=EVENT_TIME,
    )


def contacts(
    case_id: str, *relative_ids: str, withdrawn: tuple[str, ...] = (), decision_id: str | None = None
) -> r.RelativeContactsChanged:
    """Referral's relative-contacts event: the full list of relatives with consent."""
    return r.RelativeContactsChanged(
        case_id=case_id,
        person_ref="p_1",
        decision_id=decision_id or "d_" + case_id[:8],
        relatives=tuple(
            r.RelativeContact(
                relative_id=rid,
                phone=RELATIVE_PHONES[rid],
                consent_recorded_by="officer:anna",
                consent_recorded_at=EVENT_TIME,
            )
            for rid in relative_ids
        ),
        consent_withdrawn_relative_ids=withdrawn,
        changed_by="officer:anna",
        changed_at=EVENT_TIME,
    )
