"""Ports: what the use cases need from the outside world (adapters implement them, tests fake them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notification.domain.alert import Alert, AlertState, Rota
from notification.domain.contacts import TeamContact
from notification.domain.message import DeliveryStatus, Message
from notification.domain.templates import AlertTopic
from trygg_shared.aggregate import Loaded
from trygg_shared.audit import AuditLog, AuditRecord

__all__ = [
    "Accepted",
    "AlertQueries",
    "AuditLog",
    "AuditRecord",
    "CallbackRejected",
    "CaseQueries",
    "Claims",
    "Clock",
    "DailyCap",
    "DeliveryReport",
    "Found",
    "InboundSms",
    "LocalSmsLog",
    "LookupFailed",
    "LookupOutcome",
    "MessageQueries",
    "NotFound",
    "NumberPolicy",
    "OutgoingSms",
    "ProviderCallbacks",
    "Rejected",
    "Rotas",
    "SendOutcome",
    "SmsProvider",
    "StoredSms",
    "TeamDirectory",
    "Unavailable",
    "Wakeup",
]


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- the SMS provider ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingSms:
    """One SMS as handed to a provider. `to` and `text` are personal data: never log them."""

    message_id: str  # ours: the provider adapter puts it into the delivery-report URL
    to: str
    sender: str
    text: str


@dataclass(frozen=True)
class Accepted:
    provider_id: str
    status: DeliveryStatus


@dataclass(frozen=True)
class Rejected:
    """Permanent: the provider refused this message (4xx). Never retried."""

    reason: str


@dataclass(frozen=True)
class Unavailable:
    """Transient: timeout, connection error, 5xx. `ambiguous`: the provider may have taken it."""

    reason: str
    ambiguous: bool


SendOutcome = Accepted | Rejected | Unavailable


@dataclass(frozen=True)
class Found:
    provider_id: str
    status: DeliveryStatus


@dataclass(frozen=True)
class NotFound:
    pass


@dataclass(frozen=True)
class LookupFailed:
    reason: str


LookupOutcome = Found | NotFound | LookupFailed


class SmsProvider(Protocol):
    """One SMS gateway (46elks, Twilio, the local one), all behind this port."""

    name: str
    # Whether `lookup` can tell "the provider has it" from "it does not": without it, an intent
    # found in `sending` after a crash cannot be reconciled (see the README's guarantee).
    supports_lookup: bool

    async def send(self, sms: OutgoingSms) -> SendOutcome: ...

    async def lookup(self, sms: OutgoingSms, since: datetime) -> LookupOutcome:
        """Did the provider take this message (same recipient, sender and text) since `since`?"""
        ...


# --- delivery reports and replies, as the provider's adapter reads them ------------------------


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str  # ours, from the signed callback URL
    provider_id: str
    status: DeliveryStatus


@dataclass(frozen=True)
class InboundSms:
    """A reply to an on-call SMS. Personal data: the sender's phone."""

    from_phone: str
    text: str


class CallbackRejected(Exception):
    """A callback that is unsigned, wrongly signed or malformed (answered 401/400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ProviderCallbacks(Protocol):
    """Verifies and reads one provider's callbacks (signature checks live in its adapter)."""

    provider: str

    def delivery_report(self, url: str, headers: dict[str, str], form: dict[str, str]) -> DeliveryReport: ...

    def inbound_sms(self, url: str, headers: dict[str, str], form: dict[str, str]) -> InboundSms: ...


# --- queries on the service's own collections ---------------------------------------------------


class MessageQueries(Protocol):
    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of messages a dispatcher should take: queued and due, or `sending` with a lapsed claim."""
        ...

    async def due_messages(self, now: datetime, limit: int) -> list[Loaded[Message]]:
        """The same messages, read whole with their versions (the dispatcher claims them without reading again)."""
        ...

    def saved_here(self, message_id: str) -> Loaded[Message] | None:
        """The message as this process saved it last, if lately (may be stale; given once): a
        write against it is a compare-and-set, a decision not to write needs the stored one."""
        ...

    async def queued_for_case(self, case_id: str) -> list[Message]: ...

    async def queued_for_alert(self, alert_id: str) -> list[str]: ...

    async def get(self, message_id: str) -> Message | None: ...

    async def for_case(self, case_id: str, limit: int) -> list[Message]: ...


class CaseQueries(Protocol):
    async def due_watches(self, now: datetime) -> list[str]:
        """Ids of cases whose liability watch is armed and due."""
        ...

    async def next_watch_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        """When the earliest armed liability watch is due (of the cases not in `excluding`)."""
        ...

    async def active_periods_of(self, person_ref: str) -> list[str]:
        """Ids of cases of this person with a Trygg hemgång period running."""
        ...


class AlertQueries(Protocol):
    async def escalation_due(self, now: datetime) -> list[str]: ...

    async def notify_pending(self) -> list[str]: ...

    async def by_ack_code(self, code: str) -> str | None: ...

    async def open_for_case(self, case_id: str, topic: AlertTopic) -> list[str]:
        """Ids of the case's open alerts on `topic`."""
        ...

    async def unrouted(self) -> int:
        """How many open alerts were raised with nobody on call."""
        ...

    async def unrouted_teams(self) -> dict[str, str | None]:
        """The open alerts raised with nobody on call (and nobody told since): id -> their team."""
        ...

    async def next_escalation_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        """The earliest due time of an open alert's escalation (of the alerts not in `excluding`)."""
        ...

    async def list(self, *, state: AlertState | None, team_id: str | None, limit: int) -> list[Alert]: ...


class DailyCap(Protocol):
    async def reserve(self, key: str, message_id: str, cap: int, *, first_attempt: bool = False) -> bool:
        """Count `message_id` against `key` (a recipient's day); False when the cap is reached.

        Idempotent: reserving the same message again answers True without counting it twice.
        `first_attempt`: the caller knows this message has never reserved (its first send
        attempt), so the store need not look for a slot it holds.
        """
        ...


class Claims(Protocol):
    """Exactly-once claims: `take(key)` answers True to one caller only, ever (an insert of a unique id).

    FerretDB 1.24 on PostgreSQL does not apply conditional updates atomically (two writers can
    both match the same version), but it does refuse a second insert of the same `_id`.
    """

    async def take(self, key: str, **facts: str) -> bool: ...

    async def facts(self, key: str) -> dict[str, str] | None:
        """What the winner recorded with its claim (None when nobody holds it)."""
        ...

    async def release(self, key: str) -> None: ...


class Rotas(Protocol):
    async def get(self, team_id: str) -> Rota | None: ...

    async def put(self, rota: Rota) -> None: ...


class TeamDirectory(Protocol):
    async def get(self, team_id: str) -> TeamContact | None: ...

    async def by_name(self, name: str) -> TeamContact | None: ...

    async def put(self, contact: TeamContact, version: int) -> bool:
        """Store the team's contact unless a newer version is stored; True when stored."""
        ...


class NumberPolicy(Protocol):
    """Which numbers may get an SMS (`trygg_shared.phones.SmsNumberPolicy`)."""

    def refusal(self, number: str) -> str | None:
        """None when the number may get an SMS, else why not (never the number itself)."""
        ...


@dataclass(frozen=True)
class StoredSms:
    """A message the local provider kept instead of sending (for `make run`)."""

    provider_id: str
    message_id: str
    to: str
    sender: str
    text: str
    created_at: datetime


class LocalSmsLog(Protocol):
    async def list(self, limit: int) -> Sequence[StoredSms]: ...


class Wakeup(Protocol):
    def __call__(self) -> None:
        """Tell the dispatcher there is work (it also polls)."""
        ...
