"""Test support shipped with the package: the service on in-memory adapters (no Kafka, no Mongo)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from scheduling.adapters.memory import InMemoryAuditLog, InMemoryPlanQueries, InMemoryTeamQueries
from scheduling.bootstrap import Scheduling, bootstrap
from scheduling.config import Settings
from scheduling.domain.plan import CasePlan
from scheduling.domain.profiles import default_teams
from scheduling.domain.team import Team
from scheduling.main import http_app
from scheduling.service_layer.teams import seed_teams
from trygg_shared.aggregate import InMemoryAggregateStore


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


class FakeHandledEvents:
    """The consumer guard in memory (repeats by id, positions per aggregate)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.positions: dict[tuple[str, str], int] = {}

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def mark(self, event_id: str, event_type: str) -> bool:
        new = event_id not in self.ids
        self.ids.add(event_id)
        return new

    async def position(self, stream: str, subject: str) -> int:
        return self.positions.get((stream, subject), 0)

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        self.positions[(stream, subject)] = max(self.positions.get((stream, subject), 0), sequence)


class Harness:
    """The scheduling service wired with in-memory stores, seeded with the default teams."""

    def __init__(self, now: datetime | None = None, *, settings: Settings | None = None) -> None:
        self.clock = FixedClock(now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        self.plans: InMemoryAggregateStore[CasePlan] = InMemoryAggregateStore()
        self.teams: InMemoryAggregateStore[Team] = InMemoryAggregateStore()
        self.audit = InMemoryAuditLog()
        self.guards: dict[str, FakeHandledEvents] = {}
        self.scheduling: Scheduling = bootstrap(
            settings or Settings(),
            plans=self.plans,
            teams=self.teams,
            plan_queries=InMemoryPlanQueries(self.plans),
            team_queries=InMemoryTeamQueries(self.teams),
            audit=self.audit,
            clock=self.clock,
            guards=lambda group: self.guards.setdefault(group, FakeHandledEvents()),
        )
        self.deps = self.scheduling.deps

    async def seed(self) -> None:
        await seed_teams(self.deps, default_teams())

    def events(self, case_id: str | None = None) -> list[Any]:
        return self.plans.events(case_id)

    def team_events(self, team_id: str | None = None) -> list[Any]:
        return self.teams.events(team_id)

    async def plan(self, case_id: str) -> CasePlan:
        loaded = await self.plans.load(case_id)
        assert loaded is not None
        return loaded.state


class ApiHarness(Harness):
    """The HTTP app on the in-memory harness, with a TestClient (no lifespan: no Kafka, no Mongo)."""

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        asyncio.run(self.seed())
        self.app: FastAPI = http_app(self.scheduling, lifespan_enabled=False)
        self.client = TestClient(self.app)

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer dev-{role}"}
