"""Ports: what the use cases and the edges need from the outside world, as Protocols.

Adapters (`referral.adapters`) implement them; bootstrap chooses which. Cases are stored
through the shared aggregate-store port (`CaseStore`): state and recorded events together,
optimistic concurrency, one retry policy (`trygg_shared.aggregate.update_aggregate`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from referral.domain.case import Case
from referral.domain.identity import PersonIdentity
from referral.domain.liability import RegionalAgreement
from referral.domain.messages import HospitalMessage
from trygg_shared import auth
from trygg_shared.aggregate import AggregateStore, ConcurrencyConflict, StorageUnavailable
from trygg_shared.audit import AuditLog, AuditRecord

__all__ = [
    "PERMISSIONS",
    "Actor",
    "AgreementChange",
    "AgreementStore",
    "AuditLog",
    "AuditRecord",
    "Authenticator",
    "CaseQueries",
    "CaseQuery",
    "CaseStore",
    "Clock",
    "ConcurrencyConflict",
    "CurrentTraceId",
    "InboundRecord",
    "Inbox",
    "IntakeAnswer",
    "InvalidSignature",
    "MessageReader",
    "Pseudonymizer",
    "ReceivedMessage",
    "Role",
    "Sender",
    "SignatureVerifier",
    "StorageUnavailable",
]

CaseStore = AggregateStore[Case]


class Clock(Protocol):
    def now(self) -> datetime: ...


class Pseudonymizer(Protocol):
    """Turns an identity number into a stable pseudonymous person reference."""

    def person_ref(self, identity: PersonIdentity) -> str: ...


# --- who is calling ---------------------------------------------------------------------------


class Role(StrEnum):
    OFFICER = "officer"  # biståndshandläggare: opens cases, decides
    TEAM = "team"  # the Trygg hemgång team: reads cases
    ONCALL = "oncall"  # on-call staff: reads cases
    OPS = "ops"  # operations: the audit trail and the agreements; no personal data


# What each role may do: routes ask for a permission, the chassis (`trygg_shared.bearer`) checks the roles.
PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "open_case": frozenset({Role.OFFICER}),
    "read_cases": frozenset({Role.OFFICER, Role.TEAM, Role.ONCALL}),
    "decide": frozenset({Role.OFFICER}),
    "read_audit": frozenset({Role.OPS}),
    "record_sip": frozenset({Role.OFFICER}),
    "agreements": frozenset({Role.OPS}),
}

# The authenticated caller (subject, e.g. `officer:anna.svensson`; roles; the team ids a team token reads
# cases of, None: every team) and who a bearer token belongs to.
Actor = auth.Actor
Authenticator = auth.Authenticator[Actor]


@dataclass(frozen=True)
class Sender:
    """A sending hospital system, identified by its signing secret."""

    sender_id: str
    region_code: str | None


class InvalidSignature(Exception):
    """Missing or wrong signature, unknown sender, or a timestamp outside ±5 minutes."""


class SignatureVerifier(Protocol):
    """Which sender signed a webhook body (raises `InvalidSignature` when none did)."""

    def identify(self, body: bytes, headers: Mapping[str, str]) -> Sender: ...


# --- the hospital inbox ----------------------------------------------------------------------


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

    @property
    def key(self) -> str:
        """The record's reference in logs and in the sweeper's backoff (no personal data)."""
        return f"{self.sender_id}/{self.webhook_id}"


class Inbox(Protocol):
    """Durable store of accepted hospital messages (the idempotency record of the webhook).

    Applied records are removed after a retention (`sweep`); what the case needs of them (the
    message, when it came, the answer given) is kept in the case itself.
    """

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        """Store a new record; return the stored one instead when the webhook-id is a repeat."""
        ...

    async def mark_applied(self, sender_id: str, webhook_id: str, answer: IntakeAnswer | None = None) -> None:
        """Record that the message is in its case (with the answer to give, if it changed)."""
        ...

    async def unapplied(
        self, received_before: datetime, limit: int, excluding: Sequence[str] = ()
    ) -> list[InboundRecord]:
        """The oldest records not yet applied, received before `received_before`, but those whose
        `key` is in `excluding` (records the sweeper parked after a failure)."""
        ...

    async def history(self, case_id: str) -> list[InboundRecord]: ...

    async def sweep(self, retention: timedelta, now: datetime) -> int:
        """Remove applied records received longer than `retention` ago; returns how many."""
        ...


# --- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseQuery:
    """Which cases to list: by status, and optionally only those whose liability clock runs."""

    statuses: tuple[str, ...] = ()
    liability_running: bool = False
    order: str = "liability"  # "liability": soonest liability first; "updated": newest first
    limit: int = 50
    offset: int = 0
    # Only cases whose stored team is one of these (team ids and their names); None: every case.
    # Cases saved before the team was stored are returned too, for the use case to check.
    teams: frozenset[str] | None = None
    # Only cases still waiting for a SIP invitation whose lapse is not told yet (the SIP timer's).
    sip_pending: bool = False


class CaseQueries(Protocol):
    """Reads across cases (the store itself only loads one case by id)."""

    async def find(self, query: CaseQuery) -> list[Case]: ...

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        """Id of a case of this person discharged at or after `since`, if any."""
        ...


# --- audit ------------------------------------------------------------------------------------


# --- SMS limits -------------------------------------------------------------------------------


class PhonePolicy(Protocol):
    """The allow-list of numbers that may get an SMS (countries, number types)."""

    def refusal(self, number: str) -> str | None:
        """None when the number may get an SMS, else why not (never the number itself)."""
        ...

    def normalised(self, number: str) -> str | None:
        """The number in E.164 (`070-123 45 67` is `+46701234567`), None when it is not a valid number."""
        ...


class ConsentLedger(Protocol):
    """Consents to SMS recorded per officer and local day (one entry per case and relative)."""

    async def add(self, officer_day: str, keys: Sequence[str], at: datetime) -> int:
        """Record the entries (an entry recorded before counts once) and answer the officer-day's total."""
        ...

    async def remove(self, keys: Sequence[str]) -> None:
        """Take back entries of a change that was refused."""
        ...


# --- agreements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementChange:
    """Who added a version of an agreement, and when."""

    agreement: RegionalAgreement
    added_by: str
    added_at: datetime


class AgreementStore(Protocol):
    """Versions of the payment-liability agreements; versions are only ever added."""

    async def all(self) -> list[AgreementChange]: ...

    async def add(self, change: AgreementChange) -> bool:
        """Store a new version; False when that (agreement id, version) exists already."""
        ...


# --- the edges' part in use cases -------------------------------------------------------------

CurrentTraceId = Callable[[], str | None]
"""The id of the trace a use case runs in (for its audit records), or None: given by the composition
root, so that the use cases do no tracing of their own."""


class ReceivedMessage(Protocol):
    """A hospital message as its sender wrote it, validated at the edge (the LUS format)."""

    @property
    def message_type(self) -> str: ...

    @property
    def episode_id(self) -> str: ...

    def as_stored(self) -> dict[str, Any]:
        """The message as the inbox keeps it (JSON-compatible), for `MessageReader` to read back."""
        ...

    def to_domain(self, message_id: str) -> HospitalMessage:
        """The domain's message, straight from the validated form (no round trip through `as_stored`)."""
        ...


class MessageReader(Protocol):
    """Reads a stored message back into the domain's `HospitalMessage` (the format's anti-corruption layer)."""

    def __call__(self, webhook_id: str, body: Mapping[str, Any]) -> HospitalMessage: ...
