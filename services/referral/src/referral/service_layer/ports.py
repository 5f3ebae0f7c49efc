"""Ports: what the use cases need from the outside world. Adapters and test fakes implement them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from referral.domain.case import Case
from referral.domain.identity import PersonIdentity


class StorageUnavailable(Exception):
    """The database cannot store durably right now (the caller should retry later)."""


class ConcurrencyConflict(Exception):
    """The aggregate changed since it was loaded; load it again and retry."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class Pseudonymizer(Protocol):
    """Turns an identity number into a stable pseudonymous person reference."""

    def person_ref(self, identity: PersonIdentity) -> str: ...


@dataclass(frozen=True)
class IntakeAnswer:
    """What the webhook answers; the same body again for a repeated webhook-id."""

    case_id: str
    message_id: str


@dataclass(frozen=True)
class InboundRecord:
    """A hospital message as stored on arrival, before it is applied to its case."""

    sender_id: str
    webhook_id: str
    case_id: str
    message_type: str
    body: dict[str, Any]
    answer: IntakeAnswer
    received_at: datetime
    applied: bool = False


class Inbox(Protocol):
    """Durable store of accepted hospital messages (the idempotency record of the webhook)."""

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        """Store a new record; return the stored one instead when the webhook-id is a repeat."""
        ...

    async def mark_applied(self, sender_id: str, webhook_id: str) -> None: ...

    async def unapplied(self, received_before: datetime, limit: int) -> list[InboundRecord]: ...

    async def history(self, case_id: str) -> list[InboundRecord]: ...


@dataclass(frozen=True)
class CaseQuery:
    """Which cases to list: by status, and optionally only those whose liability clock runs."""

    statuses: tuple[str, ...] = ()
    liability_running: bool = False
    order: str = "liability"  # "liability": soonest liability first; "updated": newest first
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class AuditRecord:
    """One read (or export) of personal data: who, which case, what, when. Kept for at least 5 years."""

    record_id: str
    at: datetime
    actor: str
    roles: tuple[str, ...]
    action: str
    case_ids: tuple[str, ...]
    fields: tuple[str, ...]
    trace_id: str | None = None


class AuditLog(Protocol):
    """Append-only record of reads of personal data, apart from the application logs."""

    async def append(self, record: AuditRecord) -> None: ...

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]: ...


class CaseRepository(Protocol):
    async def get(self, case_id: str) -> Case | None: ...

    async def save(self, case: Case) -> None:
        """Persist state and recorded events atomically; ConcurrencyConflict on a stale version."""
        ...

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        """Id of a case of this person discharged at or after `since`, if any."""
        ...

    async def find(self, query: CaseQuery) -> list[Case]: ...
