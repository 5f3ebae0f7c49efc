"""What the console's use cases need from the outside world (adapters implement these)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from console.domain.access import Actor
from console.domain.alerts import AlertState
from console.domain.cases import CaseState
from console.domain.teams import TeamState
from console.domain.timeline import TimelineEntry
from console.domain.visits import VisitState
from trygg_shared import auth
from trygg_shared.audit import AuditLog, AuditRecord

__all__ = [
    "AlertConflict",
    "AlertNotFound",
    "AuditLog",
    "AuditRecord",
    "Authenticator",
    "ChangeLog",
    "Clock",
    "DayCapacity",
    "NotificationUnavailable",
    "Notifications",
    "ReadModel",
    "SessionRecord",
    "SessionStore",
    "Sessions",
    "TodayView",
]


class Clock(Protocol):
    def now(self) -> datetime: ...


class ChangeLog(Protocol):
    """The read model's change positions, one shared log for every replica (the console's database).

    A position is claimed by one atomic unique insert (`claim`), never by a counter update: on
    FerretDB v1 an update is read-modify-write, and two replicas would both write the same number.
    `service_layer.changes.ChangeFeed` keeps the positions gapless and finds the newest by `has`.
    """

    async def has(self, position: int) -> bool:
        """Whether `position` is recorded (an equality lookup by key)."""
        ...

    async def claim(self, position: int, at: datetime) -> bool:
        """Record `position` (True), or False when another writer holds it already."""
        ...

    async def newest(self) -> int:
        """The highest position recorded, 0 when none (reads every entry: only at start or when lost)."""
        ...

    async def forget(self, below: int, before: datetime) -> int:
        """Delete the positions under `below` recorded before `before` (no TTL index in FerretDB v1)."""
        ...


class ReadModel(Protocol):
    """Queries over the console's read model (the folds of recorded facts)."""

    async def board(self) -> list[CaseState]:
        """Cases on the Cases board: planning, ready for discharge, ready notice revoked."""
        ...

    async def waiting(self) -> list[CaseState]:
        """Cases on a team's waiting list."""
        ...

    async def case(self, case_id: str) -> tuple[CaseState, list[TimelineEntry]] | None: ...

    async def cases(self) -> list[CaseState]:
        """Every case (the figures are computed over them)."""
        ...

    async def visits_on(self, day: date) -> list[VisitState]:
        """Every team's visits planned on one local day."""
        ...

    async def teams(self) -> Mapping[str, TeamState]: ...

    async def alerts(self, *, open_only: bool) -> list[AlertState]: ...

    async def alert(self, alert_id: str) -> AlertState | None: ...


class AlertNotFound(LookupError):
    """The notification service does not know the alert."""


class AlertConflict(Exception):
    """The alert cannot be acknowledged in its state (e.g. resolved)."""


class NotificationUnavailable(Exception):
    """The notification service did not answer (or answered with a server error)."""


class BillingUnavailable(Exception):
    """The billing service did not answer (or answered with a server error)."""


@dataclass(frozen=True)
class InvoiceProblem:
    """One problem billing found in an invoice file: the line (0: the file), the field, what is wrong
    (billing's English text; never a value from the file)."""

    line: int
    field: str
    text: str


class BillingRefused(Exception):
    """Billing refused the request for good: 422 (an invoice file that breaks the layout, with each
    problem) or 409 (the same file imported for another region or month)."""

    def __init__(self, status: int, problems: Sequence[InvoiceProblem] = ()) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.problems = status, tuple(problems)


class Billing(Protocol):
    """The billing service's API for officers: the running month's fees, the region's invoices.

    Answers are billing's JSON documents as they are (documented in billing's OpenAPI)."""

    async def running_fees(self, month: str | None) -> dict[str, Any]: ...

    async def invoices(self, month: str) -> list[dict[str, Any]]: ...

    async def invoice(self, invoice_id: str) -> dict[str, Any] | None: ...

    async def import_invoice(self, region: str, month: str, content: bytes) -> dict[str, Any]: ...

    async def disputes_csv(self, month: str) -> bytes: ...


class Notifications(Protocol):
    """The notification service's on-call API."""

    async def acknowledge(self, alert_id: str, *, by: str) -> None:
        """Acknowledge an alert on behalf of `by`; raises the errors above."""
        ...


@dataclass(frozen=True)
class DayCapacity:
    team_id: str
    day: date
    clients: int
    capacity: int | None


@dataclass(frozen=True)
class TodayView:
    day: date
    teams: Mapping[str, TeamState]
    visits: Sequence[VisitState]
    names: Mapping[str, str]  # case id -> the person's name, where a decision gave it
    capacity: Sequence[DayCapacity]


# The actor a role token belongs to, or None (the chassis' port, `trygg_shared.auth`).
Authenticator = auth.Authenticator[Actor]


@dataclass(frozen=True)
class SessionRecord:
    """A signed-in browser, kept on the server: the key of its cookie (never the cookie itself), the
    token it signed in with (by hash: a token removed from the configuration ends its sessions), and
    when it ends."""

    key: str
    token_sha256: str
    created_at: datetime
    expires_at: datetime


class SessionStore(Protocol):
    """Server-side sessions (the console's own database): a cookie is only as good as its record."""

    async def add(self, record: SessionRecord) -> None: ...

    async def get(self, key: str) -> SessionRecord | None: ...

    async def remove(self, key: str) -> None: ...

    async def remove_expired(self, now: datetime) -> int:
        """Delete the sessions that ended before `now` (no TTL index in FerretDB v1: a sweep does it)."""
        ...


class Sessions(Protocol):
    max_age: timedelta

    async def start(self, token: str, now: datetime) -> tuple[str, Actor] | None:
        """Sign in with a role token: the new session's cookie value and its actor, or None for a bad token."""
        ...

    async def read(self, cookie: str, now: datetime) -> Actor | None:
        """The actor of a live session whose token is still configured, or None."""
        ...

    async def end(self, cookie: str) -> None:
        """Sign out: the session's record is removed, so the cookie no longer works anywhere."""
        ...
