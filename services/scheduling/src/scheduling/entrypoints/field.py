"""The field API (the team's phones): the day's visits, a case's plan, and what happens at a visit.

Reads that show personal data (names, addresses, visit notes) are audited by the use cases.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Response

from scheduling.domain.events import SelfRating
from scheduling.domain.plan import Visit
from scheduling.domain.vocab import CancelReason
from scheduling.entrypoints.common import LOCAL_ZONE, Day, Id, StaffId, api_router, case_read
from scheduling.entrypoints.errors import domain_errors, for_case, for_team, problems
from scheduling.entrypoints.field_models import (
    CancelIn,
    CompleteIn,
    DayVisitOut,
    LocationIn,
    PlanOut,
    RescheduleIn,
    StartIn,
    VisitOut,
    person_out,
    plan_out,
    visit_out,
)
from scheduling.service_layer import field as fuc
from scheduling.service_layer.ports import PERMISSIONS, Actor, Authenticator, SchedulingDeps
from trygg_shared.auth import may_act_for_team
from trygg_shared.bearer import require
from trygg_shared.fields import Text
from trygg_shared.http import ProblemError

_Route = TypeVar("_Route", bound=Callable[..., Any])


def reading_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """The day's visits of a member or a team, and a case's whole plan."""
    router = api_router("field")
    read_day, read_plan = (
        require(authenticator, PERMISSIONS["read_day"]),
        require(authenticator, PERMISSIONS["read_plan"]),
    )

    @router.get(
        "/visits",
        response_model=list[DayVisitOut],
        summary="My visits for a day (or a member's, or the whole team's); audited",
    )
    async def day_visits(
        actor: Actor = read_day,
        day: Annotated[Day | None, Query(description="The day (default: today).")] = None,
        staff_id: Annotated[StaffId | None, Query(description="A member (default: the caller's own).")] = None,
        team_id: Annotated[Text | None, Query(max_length=100, description="All visits of one team.")] = None,
    ) -> list[DayVisitOut]:
        who = staff_id or (None if team_id else actor.staff_id)
        if who is None and team_id is None:
            raise ProblemError(
                422, "Unprocessable content", "Give staff_id or team_id (your token names no team member)."
            )
        if team_id is not None:
            for_team(actor, team_id)
        with domain_errors():
            today = deps.clock.now().astimezone(LOCAL_ZONE).date()
            found = await fuc.visits_for_day(deps, actor, day or today, staff_id=who, team_id=team_id)
        found = [dv for dv in found if may_act_for_team(actor.teams, dv.plan.team_id)]  # a member of two teams
        return [visit_out(DayVisitOut, dv.plan, dv.visit, person=person_out(dv.plan)) for dv in found]

    case_read(
        router,
        deps,
        "/cases/{case_id}/plan",
        PlanOut,
        read_plan,
        fuc.read_plan,
        plan_out,
        summary="A case's period, visits, notes and self-ratings; audited",
    )

    return router


async def _visit_out(deps: SchedulingDeps, case_id: str, visit: Visit) -> VisitOut:
    loaded = await deps.plans.load(case_id)
    if loaded is None:
        raise fuc.CaseNotPlanned(case_id)
    return visit_out(VisitOut, loaded.state, visit)


async def _on_visit(
    deps: SchedulingDeps, actor: Actor, case_id: str, change: Callable[[], Awaitable[Visit]]
) -> VisitOut:
    """One change to a visit of a case the caller acts for, answered with the visit as it is now."""

    async def act() -> VisitOut:
        return await _visit_out(deps, case_id, await change())

    return await for_case(deps, actor, case_id, act)


def _visit_action(router: APIRouter, action: str, summary: str) -> Callable[[_Route], _Route]:
    """`POST /cases/{case_id}/visits/{visit_id}/<action>`, answered with the visit."""
    path = f"/cases/{{case_id}}/visits/{{visit_id}}/{action}"
    return router.post(path, response_model=VisitOut, responses=problems(404, 409), summary=summary)


def visit_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """What happens at a visit (started, completed, declined, moved) and the home's coordinates."""
    router = api_router("field")
    field_role = require(authenticator, PERMISSIONS["field"])

    @_visit_action(router, "start", "Start a visit")
    async def start(case_id: Id, visit_id: Id, body: StartIn, actor: Actor = field_role) -> VisitOut:
        return await _on_visit(
            deps, actor, case_id, lambda: fuc.start_visit(deps, actor, case_id, visit_id, body.started_at)
        )

    @_visit_action(
        router,
        "complete",
        "Complete a visit with actual times, structured notes and (first/last visit) the self-rating",
    )
    async def complete(case_id: Id, visit_id: Id, body: CompleteIn, actor: Actor = field_role) -> VisitOut:
        rating = SelfRating(**body.self_rating.model_dump()) if body.self_rating else None
        notes = body.notes.notes() if body.notes else None
        started, ended = body.started_at, body.ended_at
        return await _on_visit(
            deps,
            actor,
            case_id,
            lambda: fuc.complete_visit(deps, actor, case_id, visit_id, started, ended, notes, rating),
        )

    @_visit_action(router, "cancel", "Cancel a visit (the person declined)")
    async def cancel(case_id: Id, visit_id: Id, body: CancelIn, actor: Actor = field_role) -> VisitOut:
        reason = CancelReason(body.reason)
        return await _on_visit(deps, actor, case_id, lambda: fuc.cancel_visit(deps, actor, case_id, visit_id, reason))

    @_visit_action(router, "reschedule", "Move a visit (and optionally change its length or member)")
    async def reschedule(case_id: Id, visit_id: Id, body: RescheduleIn, actor: Actor = field_role) -> VisitOut:
        planned, minutes, staff_id = body.planned_start, body.duration_minutes, body.staff_id
        return await _on_visit(
            deps, actor, case_id, lambda: fuc.reschedule_visit(deps, case_id, visit_id, planned, minutes, staff_id)
        )

    @router.put(
        "/cases/{case_id}/home-location",
        status_code=204,
        response_class=Response,
        responses=problems(404),
        summary="Coordinates of the person's home (straight-line travel times)",
    )
    async def home_location(case_id: Id, body: LocationIn, actor: Actor = field_role) -> Response:
        await for_case(deps, actor, case_id, lambda: fuc.set_home_location(deps, case_id, body.lat, body.lon))
        return Response(status_code=204)

    return router
