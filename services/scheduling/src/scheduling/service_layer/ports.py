"""Ports: what the scheduling use cases need from the outside world. Adapters and fakes implement them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from scheduling.domain.plan import CasePlan
from scheduling.domain.staffing import TravelTime
from scheduling.domain.team import Team
from trygg_shared import auth
from trygg_shared.aggregate import AggregateStore
from trygg_shared.audit import AuditLog, AuditRecord

__all__ = [
    "Actor",
    "AuditLog",
    "AuditRecord",
    "Authenticator",
    "Clock",
    "PlanQueries",
    "SchedulingDeps",
    "TeamQueries",
    "TravelProvider",
]


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- who is calling: the roles and what each may do, as data (the chassis, `trygg_shared.bearer`, checks them)


class Role(StrEnum):
    OFFICER = "officer"  # biståndshandläggare: reads plans and handover notes
    TEAM = "team"  # the team (members and team leads): the field API, sick calls
    ONCALL = "oncall"  # on-call staff: reads the day's visits and waiting lists
    OPS = "ops"  # operations: configures teams, reads the audit trail


PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "configure_teams": frozenset({Role.OPS}),
    "read_teams": frozenset({Role.OPS, Role.TEAM, Role.ONCALL, Role.OFFICER}),
    "absences": frozenset({Role.OPS, Role.TEAM}),
    "field": frozenset({Role.TEAM}),
    "checklist": frozenset({Role.TEAM}),  # tick and untick the homecoming checklist
    "read_day": frozenset({Role.TEAM, Role.ONCALL}),
    "read_plan": frozenset({Role.TEAM, Role.ONCALL, Role.OFFICER}),
    # Hemtjänst's cover order (whom, where, the needs summary): the team of the case, the officer who orders
    # hemtjänst, on-call (who answers for the hours hemtjänst covers); not ops (no personal data there).
    "read_cover_order": frozenset({Role.TEAM, Role.ONCALL, Role.OFFICER}),
    "read_audit": frozenset({Role.OPS}),
}


class Actor(auth.Actor):
    """Who calls the API: a subject (e.g. `team:maria.holm`), roles and the team ids a team token acts
    for (None: every team)."""

    @property
    def staff_id(self) -> str | None:
        """The team member behind a `team:<staff id>` subject."""
        kind, _, name = self.subject.partition(":")
        return name if kind == "team" and name else None


Authenticator = auth.Authenticator[Actor]


class PlanQueries(Protocol):
    """Reads across case plans (bounded, equality-filtered queries)."""

    async def active_plans(self, team_id: str) -> list[CasePlan]:
        """The plans of a team that still have a period running or visits to make."""
        ...


class TeamQueries(Protocol):
    async def all_teams(self) -> list[Team]: ...


class TravelProvider(Protocol):
    """The travel-time model a team uses (constant by default, straight-line with coordinates)."""

    def for_team(self, team: Team) -> TravelTime: ...


@dataclass
class SchedulingDeps:
    """Everything the use cases need, in one place (built by bootstrap)."""

    plans: AggregateStore[CasePlan]
    teams: AggregateStore[Team]
    plan_queries: PlanQueries
    team_queries: TeamQueries
    audit: AuditLog
    clock: Clock
    travel: TravelProvider
    default_team_id: str
    # Planning for one team runs one at a time in this process (who is busy when is read, then written).
    team_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, team_id: str) -> asyncio.Lock:
        return self.team_locks.setdefault(team_id, asyncio.Lock())
