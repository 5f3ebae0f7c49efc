"""A team as the console shows it: its configuration, its waiting list and its capacity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from console.domain.facts import (
    DayReplanned,
    Recorded,
    TeamCapacityExceeded,
    TeamConfigured,
    TeamFact,
    WaitingListChanged,
)
from console.domain.text import N_


@dataclass(frozen=True)
class Member:
    staff_id: str
    display_name: str | None
    active: bool

    @property
    def label(self) -> str:
        return self.display_name or self.staff_id


@dataclass(frozen=True)
class WaitingCase:
    case_id: str
    position: int | None
    waiting_since: datetime
    requested_start_date: date | None


@dataclass
class TeamState:
    team_id: str
    name: str | None = None
    phone: str | None = None
    clients_per_day: int | None = None
    new_clients_per_month: int | None = None
    members: tuple[Member, ...] = ()
    config_version: int = 0
    waiting: dict[str, WaitingCase] = field(default_factory=dict)
    capacity_exceeded: list[TeamCapacityExceeded] = field(default_factory=list)
    replans: list[DayReplanned] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.team_id

    def waiting_list(self) -> list[WaitingCase]:
        """First come, first planned."""
        return sorted(self.waiting.values(), key=lambda w: (w.waiting_since, w.case_id))

    def member_label(self, staff_id: str | None) -> str:
        if staff_id is None:
            return N_("Unstaffed")
        for m in self.members:
            if m.staff_id == staff_id:
                return m.label
        return staff_id


def fold_team(team_id: str, recorded: Iterable[Recorded[TeamFact]]) -> TeamState:
    """The team's state from its facts; the configuration with the highest version wins."""
    state = TeamState(team_id)
    for r in sorted(recorded, key=lambda r: r.order):
        f = r.fact
        if isinstance(f, TeamConfigured):
            if f.version >= state.config_version:
                state.name, state.phone = f.name, f.phone
                state.clients_per_day, state.new_clients_per_month = f.clients_per_day, f.new_clients_per_month
                state.members = tuple(Member(m.staff_id, m.display_name, m.active) for m in f.members)
                state.config_version = f.version
        elif isinstance(f, WaitingListChanged):
            if f.change == "added":
                state.waiting[f.case_id] = WaitingCase(f.case_id, f.position, f.waiting_since, f.requested_start_date)
            else:
                state.waiting.pop(f.case_id, None)
        elif isinstance(f, TeamCapacityExceeded):
            state.capacity_exceeded.append(f)
        elif isinstance(f, DayReplanned):
            state.replans.append(f)
    return state
