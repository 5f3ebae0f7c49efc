"""In-memory adapters for use-case and HTTP tests (same ports as the Mongo ones)."""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.domain.plan import CasePlan
from scheduling.domain.team import Team
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.memory import MemoryAuditLog as InMemoryAuditLog

__all__ = [
    "InMemoryAuditLog",
    "InMemoryPlanQueries",
    "InMemoryTeamQueries",
]


@dataclass
class InMemoryPlanQueries:
    store: InMemoryAggregateStore[CasePlan]

    async def active_plans(self, team_id: str) -> list[CasePlan]:
        found = []
        for case_id in list(self.store.states):
            loaded = await self.store.load(case_id)
            if loaded is not None and loaded.state.team_id == team_id and loaded.state.active:
                found.append(loaded.state)
        return found


@dataclass
class InMemoryTeamQueries:
    store: InMemoryAggregateStore[Team]

    async def all_teams(self) -> list[Team]:
        teams = []
        for team_id in list(self.store.states):
            loaded = await self.store.load(team_id)
            if loaded is not None:
                teams.append(loaded.state)
        return teams
