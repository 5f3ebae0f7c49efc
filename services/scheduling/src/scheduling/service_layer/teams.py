"""Use cases of team leads and `ops`: configure teams, record absences, re-plan a day after a sick call."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from scheduling.domain.plan import CasePlan, PlanContext, team_roster
from scheduling.domain.staffing import Roster
from scheduling.domain.team import Absence, AbsenceKind, Team, TeamConfig
from scheduling.domain.vocab import VisitStatus
from scheduling.service_layer.planning import load_team, release_place
from scheduling.service_layer.ports import SchedulingDeps
from trygg_shared.aggregate import ConcurrencyConflict, update_aggregate
from trygg_shared.logging import get_logger

log = get_logger(__name__)


async def configure_team(deps: SchedulingDeps, team_id: str, config: TeamConfig) -> Team:
    """Create or replace a team's configuration (absences and bookings are kept)."""
    now = deps.clock.now()
    created = False

    def create() -> Team:
        nonlocal created
        created = True
        return Team(team_id=team_id, config=config, version=0)

    def change(team: Team) -> tuple[Team, list[object]]:
        return team, team.configure(config, now)

    team = await update_aggregate(deps.teams, team_id, change, create=create)
    if not created:
        await release_place(deps, team_id, None)  # more capacity may admit waiting cases
    return team


async def seed_teams(deps: SchedulingDeps, configs: Mapping[str, TeamConfig]) -> list[str]:
    """Create the default teams that do not exist yet (never overwrite a configured team)."""
    created: list[str] = []
    for team_id, config in configs.items():
        if await deps.teams.load(team_id) is not None:
            continue
        now = deps.clock.now()
        team = Team(team_id=team_id, config=config, version=0)
        events = team.configure(config, now)
        try:
            await deps.teams.save(team_id, 0, team, events)
        except ConcurrencyConflict:
            continue  # another replica seeded it first
        created.append(team_id)
    return created


async def list_teams(deps: SchedulingDeps) -> list[Team]:
    return sorted(await deps.team_queries.all_teams(), key=lambda t: t.team_id)


async def get_team(deps: SchedulingDeps, team_id: str) -> Team:
    return await load_team(deps, team_id)


async def record_absence(
    deps: SchedulingDeps, team_id: str, staff_id: str, first_day: date, last_day: date, kind: AbsenceKind
) -> Team:
    absence = Absence(first_day, last_day, kind)

    def change(team: Team) -> tuple[Team, list[object] | None]:
        before = team.member(staff_id)
        after = team.record_absence(staff_id, absence)
        return team, None if before == after else []

    return await update_aggregate(deps.teams, team_id, change)


@dataclass
class _Attempt:
    start: Roster
    roster: Roster
    counts: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Replan:
    day: date
    staff_id: str
    reassigned: int
    unstaffed: int
    continuity_kept: int
    elapsed_ms: float


async def report_sick(deps: SchedulingDeps, team_id: str, staff_id: str, day: date) -> Replan:
    """A member is sick on `day`: record it and give their visits that day to others."""
    began = time.perf_counter()
    await record_absence(deps, team_id, staff_id, day, day, AbsenceKind.SICK)
    moved = unstaffed = kept = 0
    async with deps.lock(team_id):
        team = await load_team(deps, team_id)
        plans = await deps.plan_queries.active_plans(team_id)
        roster = team_roster(plans)
        travel = deps.travel.for_team(team)
        affected = [
            p.case_id
            for p in plans
            if any(
                v.day == day and v.staff_id == staff_id and v.status == VisitStatus.SCHEDULED for v in p.visits.values()
            )
        ]
        for case_id in affected:
            outcome = _Attempt(roster, roster)

            def change(plan: CasePlan, outcome: _Attempt = outcome) -> tuple[None, list[object] | None]:
                attempt = outcome.start.copy()  # a retried attempt starts from the same roster
                ctx = PlanContext(team, attempt, travel, deps.clock.now())
                events, m, u, k = plan.restaff_day(day, staff_id, ctx, attempt)
                outcome.roster, outcome.counts = attempt, (m, u, k)
                return None, events if events else None

            await update_aggregate(deps.plans, case_id, change)
            roster = outcome.roster
            moved, unstaffed, kept = (a + b for a, b in zip((moved, unstaffed, kept), outcome.counts, strict=True))
    elapsed = (time.perf_counter() - began) * 1000
    now = deps.clock.now()

    def replanned(t: Team) -> tuple[None, list[object]]:
        return None, [t.replanned(day, staff_id, moved, unstaffed, kept, now)]

    await update_aggregate(deps.teams, team_id, replanned)
    log.info(
        "day re-planned after a sick call", team_id=team_id, reassigned=moved, unstaffed=unstaffed, ms=round(elapsed)
    )
    return Replan(day, staff_id, moved, unstaffed, kept, elapsed)
