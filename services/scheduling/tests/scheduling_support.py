"""Test support shipped with the package: the service on in-memory adapters (no Kafka, no Mongo)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from scheduling.adapters.memory import InMemoryAuditLog, InMemoryPlanQueries, InMemoryTeamQueries
from scheduling.bootstrap import Scheduling, bootstrap
from scheduling.config import Settings
from scheduling.domain.plan import CasePlan
from scheduling.domain.profiles import default_teams
from scheduling.domain.team import Team
from scheduling.main import http_app
from scheduling.service_layer import planning as uc
from scheduling.service_layer.teams import seed_teams
from trygg_shared.aggregate import InMemoryAggregateStore
from trygg_shared.clock import FixedClock
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.referral import (
    Address,
    DecisionGranted,
    DecisionType,
    PersonContact,
    PersonContactRegistered,
)
from trygg_shared.indexes import ensure_indexes
from trygg_shared.memory import MemoryHandledEvents as FakeHandledEvents
from trygg_shared.service import Infrastructure
from trygg_shared.settings import KafkaSettings
from trygg_shared.testing import publish_event

if TYPE_CHECKING:
    from devstack.testing import Endpoints


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

    @property
    def broker(self) -> KafkaBroker:
        """The service's broker (wrap it in FastStream's TestKafkaBroker to publish to the subscribers)."""
        return self.scheduling.runtime.infra.broker

    def events(self, case_id: str | None = None) -> list[Any]:
        return self.plans.events(case_id)

    def team_events(self, team_id: str | None = None) -> list[Any]:
        return self.teams.events(team_id)

    async def plan(self, case_id: str) -> CasePlan:
        loaded = await self.plans.load(case_id)
        assert loaded is not None
        return loaded.state


async def seeded(now: datetime | None = None) -> Harness:
    """A harness with the default teams configured."""
    h = Harness(now)
    await h.seed()
    return h


def span(start: date, length: int) -> dict[str, Any]:
    """A decision's days as referral states them: the first day, the length and the last day (inclusive)."""
    return {"start_date": start, "length_days": length, "end_date": start + timedelta(days=length - 1)}


def grant_command(
    case_id: str,
    *,
    start: date = date(2026, 11, 25),
    length: int = 14,
    team: str | None = "Team Väst",
    decision_type: str = "trygg_hemgang",
    hours: float | None = None,
    hemtjanst: bool = True,
    person_ref: str | None = None,
    decision_id: str | None = None,
    granted_at: datetime = datetime(2026, 11, 23, 9, tzinfo=UTC),
) -> uc.GrantDecision:
    """A decision granted for `length` days from `start` (by default hemtjänst ordered for evenings and nights)."""
    return uc.GrantDecision(
        case_id=case_id,
        person_ref=person_ref or f"p_{case_id}",
        decision_id=decision_id or f"d-{case_id}",
        decision_type=decision_type,
        **span(start, length),
        team=team,
        hours_granted=hours,
        hemtjanst=hemtjanst,
        granted_at=granted_at,
    )


def service_on(servers: Endpoints, database: str, clock: FixedClock) -> Scheduling:
    """The service on real servers (FerretDB in `database`, Kafka) with a clock tests move; not started."""
    settings = Settings(
        mongo={"uri": servers.mongo_uri, "database": database, "postgres_url": servers.postgres_url},
        kafka=KafkaSettings(bootstrap_servers=servers.kafka_bootstrap),
    )
    return bootstrap(settings, infra=Infrastructure.create(settings), clock=clock)


async def ready_on(servers: Endpoints, database: str, clock: FixedClock) -> Scheduling:
    """`service_on` with its indexes created and the default teams seeded (close its Mongo client after)."""
    service = service_on(servers, database, clock)
    await ensure_indexes(service.runtime.infra.db, service.runtime.all_indexes(), servers.postgres_url)
    await seed_teams(service.deps, default_teams())
    return service


REFERRAL = "urn:trygghemgang:referral"


def case_ids(case_id: str) -> dict[str, str]:
    """The ids referral's events about a test case carry: the case, its person and its decision."""
    return {"case_id": case_id, "person_ref": f"p_{case_id}", "decision_id": f"d-{case_id}"}


def granted_event(
    case_id: str,
    start: date,
    length: int,
    *,
    team: str = "Team Väst",
    hemtjanst: bool = False,
    granted_by: str = "officer:t",
    granted_at: datetime = datetime(2026, 11, 23, 9, tzinfo=UTC),
) -> DecisionGranted:
    """Referral's wire event: a Trygg hemgång decision granted for `length` days from `start`."""
    return DecisionGranted(
        **case_ids(case_id),
        decision_type=DecisionType.TRYGG_HEMGANG,
        **span(start, length),
        team=team,
        hemtjanst_evenings_nights_weekends=hemtjanst,
        granted_by=granted_by,
        granted_at=granted_at,
    )


def person(family_name: str = "Lindqvist", street: str | None = "Exempelgatan 4") -> PersonContact:
    """Whom the team visits, as referral sends it (a synthetic person; no street: no address)."""
    address = Address(street=street, postal_code="17741", city="Järfälla") if street is not None else None
    return PersonContact(given_name="Astrid", family_name=family_name, address=address, phone="+46701234567")


def contact_registered(
    case_id: str,
    family_name: str = "Lindqvist",
    street: str | None = "Exempelgatan 4",
    kind: DecisionType = DecisionType.TRYGG_HEMGANG,
    *,
    at: datetime = datetime(2026, 11, 23, 9, tzinfo=UTC),
) -> PersonContactRegistered:
    """Referral's person-contacts event for the case's decision (`person`'s name and street)."""
    return PersonContactRegistered(
        **case_ids(case_id),
        decision_type=kind,
        person=person(family_name, street),
        registered_at=at,
    )


async def publish(
    broker: KafkaBroker,
    event: IntegrationEvent,
    *,
    sequence: int,
    event_id: str | None = None,
    data: dict[str, Any] | None = None,
    source: str = REFERRAL,
) -> None:
    """Publish a contract as a service's relay does (CloudEvents, keyed by its partition key); `data` replaces
    the body (a broken one)."""
    await publish_event(broker, event, source=source, sequence=sequence, event_id=event_id, data=data)


WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS = WEEK[:5]


def team_body(
    name: str,
    phone: str,
    profile: str,
    days: tuple[str, ...],
    hours: tuple[str, str],
    *,
    works_on_holidays: bool,
    clients_per_day: int,
    new_clients_per_month: int,
    members: list[dict[str, Any]],
    **more: Any,
) -> dict[str, Any]:
    """A team as ops configures it over the API, working the same `hours` (start, end) on each of `days`."""
    start, end = hours
    return {
        "name": name,
        "phone": phone,
        "municipality_profile": profile,
        "hours": [{"weekday": d, "start": start, "end": end} for d in days],
        "works_on_holidays": works_on_holidays,
        "clients_per_day": clients_per_day,
        "new_clients_per_month": new_clients_per_month,
        "members": members,
        **more,
    }


TEAM_BODY = team_body(
    "Trygg hemgång Test",
    "+46701740610",
    "huddinge",
    ("monday",),
    ("07:00", "16:00"),
    works_on_holidays=False,
    clients_per_day=3,
    new_clients_per_month=6,
    members=[{"staff_id": "t-us1", "display_name": "US 1"}],
)


def documented_example(model: type[BaseModel]) -> dict[str, Any]:
    """The example a body documents in the OpenAPI document (`example(...)` in the models)."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    [sample] = extra["examples"]
    assert isinstance(sample, dict)
    return sample


class ApiHarness(Harness):
    """The HTTP app on the in-memory harness, with a TestClient (no lifespan: no Kafka, no Mongo)."""

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        asyncio.run(self.seed())
        self.app: FastAPI = http_app(self.scheduling, lifespan_enabled=False)
        self.client = TestClient(self.app)

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer dev-{role}"}

    @classmethod
    def with_plan(cls, case_id: str, **grant: Any) -> ApiHarness:
        """The API with one decision granted and planned (`grant_command`'s terms)."""
        h = cls()
        asyncio.run(uc.grant_decision(h.deps, grant_command(case_id, **grant)))
        return h

    def read(self, path: str, role: str = "team") -> dict[str, Any]:
        """A GET that must answer 200, as JSON."""
        response = self.client.get(path, headers=self.as_role(role))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
