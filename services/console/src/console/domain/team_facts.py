"""What scheduling told the console of its teams (facts; see `console.domain.facts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    display_name: str | None
    active: bool


@dataclass(frozen=True)
class TeamConfigured:
    team_id: str
    name: str
    phone: str
    clients_per_day: int
    new_clients_per_month: int
    members: tuple[StaffMember, ...]
    version: int
    configured_at: datetime


@dataclass(frozen=True)
class WaitingListChanged:
    """A case joined, was planned from, or left a team's waiting list (also a case fact)."""

    team_id: str
    case_id: str
    person_ref: str
    change: str  # added, planned, removed
    position: int | None
    waiting_since: datetime
    requested_start_date: date | None
    changed_at: datetime


@dataclass(frozen=True)
class TeamCapacityExceeded:
    team_id: str
    case_id: str
    person_ref: str
    limit: str
    capacity: int
    on_date: date
    waiting_count: int
    occurred_at: datetime


@dataclass(frozen=True)
class DayReplanned:
    team_id: str
    day: date
    absent_staff_id: str
    visits_reassigned: int
    visits_unstaffed: int
    replanned_at: datetime
