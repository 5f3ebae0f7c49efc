"""The homecoming checklist in the field API: a case's checklist, an item ticked or unticked.

No personal data (item codes, the team's wording, staff ids and times): reads are not audited.
Team tokens act only for their teams' cases (as every field route).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path
from pydantic import Field, StrictBool

from scheduling.entrypoints.common import Id, In, Out, api_router, example
from scheduling.entrypoints.errors import domain_errors, for_case_team, problems
from scheduling.service_layer import checklist as cuc
from scheduling.service_layer.ports import PERMISSIONS, Actor, Authenticator, SchedulingDeps
from trygg_shared.bearer import require
from trygg_shared.mapping import to_contract

_Route = TypeVar("_Route", bound=Callable[..., Any])
ItemId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$", description="The item's code.")]


class ChecklistItemOut(Out):
    item_id: str
    label: str
    done: bool
    done_by: str | None = Field(description="Staff id (or token subject) of who ticked it, while ticked.")
    done_at: datetime | None


class ChecklistMarkOut(Out):
    item_id: str
    done: bool = Field(description="True: ticked; false: unticked.")
    by: str
    at: datetime


class ChecklistOut(Out):
    case_id: str
    period_id: str
    team_id: str
    items: list[ChecklistItemOut] = Field(
        description="In the team's order (the team's list when the case was planned)."
    )
    complete: bool
    alert_hours: int = Field(
        description="An item open this many hours before the homecoming visit alerts the team lead."
    )
    homecoming_visit_id: str | None
    homecoming_at: datetime | None = Field(description="Planned start of the homecoming visit.")
    deadline: datetime | None = Field(description="The homecoming minus `alert_hours`.")
    alert_due_at: datetime | None = Field(
        description="When the open-item alert fires (the deadline, or halfway to the visit when planned after "
        "it); null: not armed (complete, alerted already, or no homecoming to come)."
    )
    alerted_at: datetime | None = Field(description="When the open-item alert was raised (once per checklist).")
    marks: list[ChecklistMarkOut] = Field(description="Every tick and untick: who and when, oldest first.")


class MarkIn(In):
    model_config = example({"done": True})

    done: StrictBool = Field(description="True ticks the item, false unticks it.")


def checklist_out(view: cuc.ChecklistView) -> ChecklistOut:
    """The view and its checklist (items, marks, the alert) by field name; the homecoming by its id and time."""
    visit = view.homecoming
    return to_contract(
        ChecklistOut,
        view,
        view.checklist,
        homecoming_visit_id=visit.visit_id if visit else None,
        homecoming_at=visit.planned_start if visit else None,
    )


def _route(method: Callable[..., Any], path: str, summary: str) -> Callable[[_Route], _Route]:
    """A checklist route answered with the checklist (404: no such case, checklist or item)."""
    decorate: Callable[[_Route], _Route] = method(
        path, response_model=ChecklistOut, responses=problems(404), summary=summary
    )
    return decorate


async def _answer(
    deps: SchedulingDeps, actor: Actor, case_id: str, act: Callable[[], Awaitable[cuc.ChecklistView]]
) -> ChecklistOut:
    """The checklist after `act`, for a case of a team the caller acts for."""
    with domain_errors():
        await for_case_team(deps, actor, case_id)
        return checklist_out(await act())


def checklist_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    router = api_router("checklist")
    read_plan, tick = require(authenticator, PERMISSIONS["read_plan"]), require(authenticator, PERMISSIONS["checklist"])
    summary = "A case's homecoming checklist: items, who ticked them, the deadline before the homecoming visit"

    @_route(router.get, "/cases/{case_id}/checklist", summary)
    async def get_checklist(case_id: Id, actor: Actor = read_plan) -> ChecklistOut:
        return await _answer(deps, actor, case_id, lambda: cuc.read_checklist(deps, case_id))

    summary = "Tick or untick an item of the homecoming checklist (who and when are recorded)"

    @_route(router.put, "/cases/{case_id}/checklist/items/{item_id}", summary)
    async def mark(case_id: Id, item_id: ItemId, body: MarkIn, actor: Actor = tick) -> ChecklistOut:
        return await _answer(deps, actor, case_id, lambda: cuc.mark_item(deps, actor, case_id, item_id, body.done))

    return router
