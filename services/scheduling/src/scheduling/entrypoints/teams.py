"""`/teams`: the team's configuration (ops), absences and sick calls, the waiting list and capacity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field, model_validator

from scheduling.domain.team import AbsenceKind, Team
from scheduling.entrypoints.common import Day, Id, In, Out, StaffId, api_router, example
from scheduling.entrypoints.errors import domain_errors, for_team, problems
from scheduling.entrypoints.team_models import MemberOut, TeamIn, TeamOut, team_out
from scheduling.service_layer import teams as tuc
from scheduling.service_layer.ports import PERMISSIONS, Actor, Authenticator, SchedulingDeps
from trygg_shared.bearer import require
from trygg_shared.http import ProblemError
from trygg_shared.mapping import to_contract


class AbsenceIn(In):
    model_config = example(
        {"staff_id": "hofors-us2", "first_day": "2026-12-01", "last_day": "2026-12-05", "kind": "leave"}
    )
    staff_id: StaffId
    first_day: Day
    last_day: Day
    kind: AbsenceKind = AbsenceKind.LEAVE

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        if self.last_day < self.first_day or (self.last_day - self.first_day) > timedelta(days=366):
            raise ValueError("an absence ends on or after its first day, within a year")
        return self


class SickCallIn(In):
    model_config = example({"staff_id": "hofors-us2"})
    staff_id: StaffId
    day: Day | None = Field(None, description="The day (default: today, in the team's time zone).")


class ReplanOut(Out):
    model_config = example(
        {
            "day": "2026-11-26",
            "staff_id": "hofors-us2",
            "reassigned": 3,
            "unstaffed": 0,
            "continuity_kept": 2,
            "elapsed_ms": 41.5,
        }
    )
    day: date
    staff_id: str
    reassigned: int
    unstaffed: int
    continuity_kept: int
    elapsed_ms: float = Field(description="How long the re-plan took, in milliseconds.")


class WaitingOut(Out):
    model_config = example(
        {
            "position": 1,
            "case_id": "c-1",
            "person_ref": "p_9f2c",
            "since": "2026-11-23T10:00:00Z",
            "first_day": "2026-11-25",
            "last_day": "2026-12-08",
        }
    )
    position: int
    case_id: str
    person_ref: str
    since: datetime
    first_day: date
    last_day: date


class CapacityDayOut(Out):
    model_config = example({"day": "2026-11-25", "booked": 3, "capacity": 4, "team_works": True})
    day: date
    booked: int
    capacity: int
    team_works: bool


def team_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """Read and configure teams."""
    router = api_router("teams")
    read_teams, configure = (
        require(authenticator, PERMISSIONS["read_teams"]),
        require(authenticator, PERMISSIONS["configure_teams"]),
    )

    @router.get("/teams", response_model=list[TeamOut], summary="List the teams")
    async def list_teams(actor: Actor = read_teams) -> list[TeamOut]:
        with domain_errors():
            return [team_out(t) for t in await tuc.list_teams(deps)]

    @router.get("/teams/{team_id}", response_model=TeamOut, responses=problems(404), summary="Read a team")
    async def get_team(team_id: Id, actor: Actor = read_teams) -> TeamOut:
        with domain_errors():
            return team_out(await tuc.get_team(deps, team_id))

    @router.put(
        "/teams/{team_id}",
        response_model=TeamOut,
        responses=problems(409),
        summary="Create or replace a team's configuration (members' absences are kept)",
    )
    async def put_team(team_id: Id, body: TeamIn, actor: Actor = configure) -> TeamOut:
        with domain_errors():
            return team_out(await tuc.configure_team(deps, team_id, body.config()))

    return router


def absence_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """A member away: an absence ahead of time, or a sick call that re-staffs the day."""
    router = api_router("teams")
    absences = require(authenticator, PERMISSIONS["absences"])

    @router.post(
        "/teams/{team_id}/absences",
        status_code=201,
        response_model=MemberOut,
        responses=problems(404, 409),
        summary="Record a member's absence (sick, leave) for a date range",
    )
    async def add_absence(team_id: Id, body: AbsenceIn, actor: Actor = absences) -> MemberOut:
        for_team(actor, team_id)
        with domain_errors():
            team = await tuc.record_absence(deps, team_id, body.staff_id, body.first_day, body.last_day, body.kind)
        return next(m for m in team_out(team).members if m.staff_id == body.staff_id)

    @router.post(
        "/teams/{team_id}/sick-calls",
        response_model=ReplanOut,
        responses=problems(404, 409),
        summary="A member is sick today: re-staff their visits, keeping continuity where possible",
    )
    async def sick_call(team_id: Id, body: SickCallIn, actor: Actor = absences) -> ReplanOut:
        for_team(actor, team_id)
        with domain_errors():
            team = await tuc.get_team(deps, team_id)
            if team.member(body.staff_id) is None:
                raise ProblemError(409, "Conflict", "No such member in this team.")
            day = body.day or team.calendar.local_date(deps.clock.now())
            result = await tuc.report_sick(deps, team_id, body.staff_id, day)
        return to_contract(ReplanOut, result, elapsed_ms=round(result.elapsed_ms, 2))

    return router


def _waiting_out(team: Team) -> list[WaitingOut]:
    return [to_contract(WaitingOut, w, position=i) for i, w in enumerate(team.waiting, start=1)]


def _capacity_out(team: Team, first: date, days: int) -> list[CapacityDayOut]:
    return [
        CapacityDayOut(
            day=d, booked=team.occupancy(d), capacity=team.config.clients_per_day, team_works=team.calendar.works(d)
        )
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def load_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """The team's load: cases waiting for a place, places booked per day."""
    router = api_router("teams")
    read_day = require(authenticator, PERMISSIONS["read_day"])

    @router.get(
        "/teams/{team_id}/waiting-list",
        response_model=list[WaitingOut],
        responses=problems(404),
        summary="Cases waiting for a place, oldest first (pseudonymous)",
    )
    async def waiting_list(team_id: Id, actor: Actor = read_day) -> list[WaitingOut]:
        for_team(actor, team_id)
        with domain_errors():
            return _waiting_out(await tuc.get_team(deps, team_id))

    @router.get(
        "/teams/{team_id}/capacity",
        response_model=list[CapacityDayOut],
        responses=problems(404),
        summary="Places booked per day against the team's capacity",
    )
    async def capacity(
        team_id: Id,
        actor: Actor = read_day,
        start: Annotated[Day | None, Query(alias="from", description="First day (default: today).")] = None,
        days: Annotated[int, Query(ge=1, le=92)] = 14,
    ) -> list[CapacityDayOut]:
        for_team(actor, team_id)
        with domain_errors():
            team = await tuc.get_team(deps, team_id)
        return _capacity_out(team, start or team.calendar.local_date(deps.clock.now()), days)

    return router
