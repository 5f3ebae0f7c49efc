"""The scheduling service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from scheduling.adapters.codec import CasePlanCodec, TeamCodec
from scheduling.adapters.mongo import (
    INDEXES,
    PLANS,
    TEAMS,
    MongoAuditLog,
    MongoPlanQueries,
    MongoTeamQueries,
    TimerScanner,
)
from scheduling.adapters.travel import TravelModels
from scheduling.config import Settings, local_defaults_in_use
from scheduling.domain.plan import CasePlan
from scheduling.domain.profiles import default_teams
from scheduling.domain.team import Team
from scheduling.entrypoints.http import scheduling_router
from scheduling.entrypoints.subscribers import capacity_consumer, person_contacts_consumer, referral_consumer
from scheduling.service_layer.planning import fire_timers
from scheduling.service_layer.ports import Actor, AuditLog, Clock, PlanQueries, SchedulingDeps, TeamQueries
from scheduling.service_layer.teams import seed_teams
from trygg_shared.aggregate import AggregateStore
from trygg_shared.clock import SystemClock
from trygg_shared.kafka import HandledEvents
from trygg_shared.logging import get_logger
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.outbox import OutboxRelay
from trygg_shared.service import Infrastructure, ServiceRuntime, consumer_groups, swept
from trygg_shared.settings import refuse_local_values
from trygg_shared.tokens import TokenAuthenticator

log = get_logger(__name__)


@dataclass
class Scheduling:
    """What bootstrap wires: the runtime to start, and the pieces tests reach for."""

    runtime: ServiceRuntime
    deps: SchedulingDeps
    scanner: TimerScanner
    relay: OutboxRelay


def _scanner(
    settings: Settings, infra: Infrastructure, deps: SchedulingDeps, mongo_plans: MongoAggregateStore[CasePlan]
) -> TimerScanner:
    """The timer scanner; a plan saved with a timer due before its next look wakes it (within 1 s)."""
    scanner = TimerScanner(
        infra.db,
        partial(fire_timers, deps),
        deps.clock,
        lease=timedelta(seconds=settings.timer_lease_seconds),
        poll_seconds=settings.timer_poll_seconds,
    )
    mongo_plans.on_written = lambda _case_id, fields: scanner.loop.saved(fields.get("next_due_at"))
    return scanner


async def _seed(settings: Settings, deps: SchedulingDeps) -> None:
    if settings.seed_default_teams:
        created = await seed_teams(deps, default_teams())
        if created:
            log.info("default teams created", teams=created)


# The consumer groups (suffixes of `SCHEDULING_CONSUMER_GROUP`) and their consumers.
CONSUMERS = (("", referral_consumer), ("-person-contacts", person_contacts_consumer), ("-capacity", capacity_consumer))


def bootstrap(
    settings: Settings,
    *,
    infra: Infrastructure | None = None,
    plans: AggregateStore[CasePlan] | None = None,
    teams: AggregateStore[Team] | None = None,
    plan_queries: PlanQueries | None = None,
    team_queries: TeamQueries | None = None,
    audit: AuditLog | None = None,
    clock: Clock | None = None,
    guards: Callable[[str], HandledEvents] | None = None,
) -> Scheduling:
    refuse_local_values(settings, local_defaults_in_use(settings))
    infra = infra or Infrastructure.create(settings)
    clock = clock or SystemClock()
    plan_codec, team_codec = CasePlanCodec(clock), TeamCodec()
    mongo_plans = MongoAggregateStore(infra.db, PLANS, plan_codec)
    mongo_teams = MongoAggregateStore(infra.db, TEAMS, team_codec)
    relay = infra.outbox_relay("scheduling", [mongo_plans, mongo_teams])  # a save publishes its events at once
    deps = SchedulingDeps(
        plans=plans or mongo_plans,
        teams=teams or mongo_teams,
        plan_queries=plan_queries or MongoPlanQueries(infra.db, plan_codec),
        team_queries=team_queries or MongoTeamQueries(infra.db, team_codec),
        audit=audit or MongoAuditLog(infra.db),
        clock=clock,
        travel=TravelModels(settings.travel_model, settings.travel_speed_kmh),
        default_team_id=settings.default_team_id,
    )
    scanner = _scanner(settings, infra, deps, mongo_plans)
    consumers, handled = consumer_groups(infra, deps, settings.consumer_group, CONSUMERS, guards)
    authenticator = TokenAuthenticator(settings.api_tokens, Actor)
    runtime = ServiceRuntime(
        infra=infra,
        routers=[scheduling_router(deps, authenticator)],
        authenticate=authenticator.authenticate,
        consumers=consumers,
        relay=relay,
        indexes=[*INDEXES, *mongo_plans.indexes, *mongo_teams.indexes],
        guards=swept(handled),
        on_startup=[partial(_seed, settings, deps)],
        background=[scanner.run],
    )
    return Scheduling(runtime=runtime, deps=deps, scanner=scanner, relay=relay)
