"""Use cases of the team's phones: the day's visits, start, complete, cancel, reschedule; reads are audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from scheduling.domain.events import SelfRating
from scheduling.domain.plan import CasePlan, PlanContext, Visit, VisitNotes
from scheduling.domain.vocab import CancelReason
from scheduling.service_layer.planning import change_planned
from scheduling.service_layer.ports import Actor, AuditRecord, SchedulingDeps
from trygg_shared.aggregate import AggregateNotFound, update_aggregate

R = TypeVar("R")


class CaseNotPlanned(LookupError):
    """No planned period for that case."""


@dataclass(frozen=True)
class DayVisit:
    """One visit on a member's day, with what the member needs to find and help the person."""

    plan: CasePlan
    visit: Visit


async def audit(
    deps: SchedulingDeps, actor: Actor, action: str, case_ids: Sequence[str], fields: Sequence[str]
) -> None:
    """Write the audit record before personal data is returned."""
    if not case_ids:
        return
    shown = tuple(dict.fromkeys(case_ids))
    await deps.audit.append(AuditRecord.by(actor, deps.clock.now(), action, case_ids=shown, fields=tuple(fields)))


async def visits_for_day(
    deps: SchedulingDeps, actor: Actor, day: date, *, staff_id: str | None, team_id: str | None
) -> list[DayVisit]:
    """A member's (or a whole team's) visits on a day, in time order; audited (names, addresses)."""
    teams = await deps.team_queries.all_teams()
    if team_id is not None:
        teams = [t for t in teams if t.team_id == team_id]
    elif staff_id is not None:
        teams = [t for t in teams if t.member(staff_id) is not None]
    found: list[DayVisit] = []
    for team in teams:
        for plan in await deps.plan_queries.active_plans(team.team_id):
            for visit in plan.ordered_visits():
                if visit.day == day and (staff_id is None or visit.staff_id == staff_id):
                    found.append(DayVisit(plan, visit))
    found.sort(key=lambda dv: (dv.visit.planned_start, dv.visit.visit_id))
    await audit(deps, actor, "read_day_visits", [dv.plan.case_id for dv in found], ["name", "address", "phone"])
    return found


async def read_plan(deps: SchedulingDeps, actor: Actor, case_id: str) -> CasePlan:
    """A case's plan with its visits and notes; audited (name, address, phone, visit notes)."""
    loaded = await deps.plans.load(case_id)
    if loaded is None or loaded.state.period is None:
        raise CaseNotPlanned(case_id)
    await audit(deps, actor, "read_plan", [case_id], ["name", "address", "phone", "visit_notes", "self_ratings"])
    return loaded.state


def _planned(plan: CasePlan | None, case_id: str) -> CasePlan:
    if plan is None or plan.period is None:
        raise CaseNotPlanned(case_id)
    return plan


async def _member(deps: SchedulingDeps, actor: Actor) -> str | None:
    """The caller's staff id when a team has them as a member; None for a token that names no member
    (a team lead's, a shared tablet's: `dev-team` is `team:dev`)."""
    staff_id = actor.staff_id
    if staff_id is None:
        return None
    teams = await deps.team_queries.all_teams()
    return staff_id if any(t.member(staff_id) is not None for t in teams) else None


def _made_by(plan: CasePlan, visit_id: str, member: str | None, actor: Actor) -> str:
    """Who made the visit: the member who records it; from a token naming no member, the member who
    started it, else the member it was planned for (not the token's subject, which the continuity
    figures would count as one more stranger making every visit); else the caller."""
    visit = plan.visit(visit_id)
    return member or visit.done_by or visit.staff_id or actor.staff_id or actor.subject


async def start_visit(deps: SchedulingDeps, actor: Actor, case_id: str, visit_id: str, at: datetime | None) -> Visit:
    member = await _member(deps, actor)
    started = at or deps.clock.now()
    return await _change_visit(
        deps,
        case_id,
        visit_id,
        lambda plan: plan.start_visit(visit_id, _made_by(plan, visit_id, member, actor), started),
    )


async def complete_visit(
    deps: SchedulingDeps,
    actor: Actor,
    case_id: str,
    visit_id: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    notes: VisitNotes | None,
    rating: SelfRating | None,
) -> Visit:
    member = await _member(deps, actor)
    now = deps.clock.now()
    ended = ended_at or now

    def complete(plan: CasePlan) -> list[object] | None:
        by = _made_by(plan, visit_id, member, actor)
        return plan.complete_visit(visit_id, by, started_at, ended, notes, rating, now)

    return await _change_visit(deps, case_id, visit_id, complete)


async def cancel_visit(deps: SchedulingDeps, actor: Actor, case_id: str, visit_id: str, reason: CancelReason) -> Visit:
    by = actor.staff_id or actor.subject
    now = deps.clock.now()
    return await _change_visit(deps, case_id, visit_id, lambda plan: plan.cancel_visit(visit_id, reason, by, now))


async def _change_visit(
    deps: SchedulingDeps, case_id: str, visit_id: str, act: Callable[[CasePlan], list[object] | None]
) -> Visit:
    """One change to a visit of a planned case (`act` returns its events; None: nothing changed)."""

    def change(plan: CasePlan) -> tuple[Visit, list[object] | None]:
        _planned(plan, case_id)
        events = act(plan)
        return plan.visit(visit_id), events

    return await _update(deps, case_id, change)


async def reschedule_visit(
    deps: SchedulingDeps,
    case_id: str,
    visit_id: str,
    start: datetime,
    minutes: int | None,
    staff_id: str | None,
) -> Visit:
    def apply(plan: CasePlan, ctx: PlanContext) -> list[object] | None:
        return plan.reschedule_visit(visit_id, start, minutes, staff_id, ctx)

    plan = await change_planned(deps, case_id, apply)
    if plan is None or plan.period is None:
        raise CaseNotPlanned(case_id)
    return plan.visit(visit_id)


async def set_home_location(deps: SchedulingDeps, case_id: str, lat: float, lon: float) -> None:
    """Coordinates of the person's home (for straight-line travel times)."""

    def change(plan: CasePlan) -> tuple[None, list[object] | None]:
        _planned(plan, case_id)
        if plan.coordinates == (lat, lon):
            return None, None
        plan.coordinates = (lat, lon)
        return None, []

    await _update(deps, case_id, change)


async def _update(deps: SchedulingDeps, case_id: str, change: Callable[[CasePlan], tuple[R, list[object] | None]]) -> R:
    try:
        return await update_aggregate(deps.plans, case_id, change)
    except AggregateNotFound:
        raise CaseNotPlanned(case_id) from None
