"""Use cases run by the referral service's events: plan, change, hold, end the period.

Each use case is a short script of idempotent steps (load, call the domain, save through
`update_aggregate`), so a redelivered event finishes what a crashed attempt began. Steps that
touch two aggregates (the team's capacity and the case's plan) always run both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from scheduling.domain.plan import (
    CasePlan,
    DecisionChange,
    DecisionTerms,
    PersonContact,
    PlanContext,
    team_roster,
)
from scheduling.domain.team import CapacityVerdict, Team
from scheduling.domain.vocab import EndReason, PeriodKind
from scheduling.service_layer.ports import SchedulingDeps
from trygg_shared.aggregate import AggregateNotFound, ConcurrencyConflict, StorageUnavailable, update_aggregate
from trygg_shared.batch import Failures
from trygg_shared.carry import carry
from trygg_shared.logging import get_logger

log = get_logger(__name__)

TRYGG_HEMGANG = "trygg_hemgang"
HEMGANGSBESLUT = "hemgangsbeslut"
PLANNED_TYPES = frozenset({TRYGG_HEMGANG, HEMGANGSBESLUT})


PlanChange = Callable[[CasePlan], list[object] | None]
ContextChange = Callable[[CasePlan, PlanContext], list[object] | None]


class UnknownTeam(LookupError):
    """No team with that id."""


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseCommand:
    """What every command about a case starts with: the case and its person (both pseudonymous)."""

    case_id: str
    person_ref: str


@dataclass(frozen=True)
class GrantDecision(CaseCommand):
    decision_id: str
    decision_type: str
    start_date: date | None
    length_days: int | None
    end_date: date | None
    team: str | None
    hours_granted: float | None
    hemtjanst: bool
    granted_at: datetime


@dataclass(frozen=True)
class ChangeDecision(CaseCommand):
    change: DecisionChange


@dataclass(frozen=True)
class EndDecision(CaseCommand):
    decision_id: str
    end_date: date
    reason: EndReason


# --- helpers ----------------------------------------------------------------------------------


def _new_plan(case_id: str, person_ref: str) -> CasePlan:
    return CasePlan(case_id=case_id, person_ref=person_ref)


async def load_team(deps: SchedulingDeps, team_id: str) -> Team:
    loaded = await deps.teams.load(team_id)
    if loaded is None:
        raise UnknownTeam(team_id)
    return loaded.state


async def resolve_team(deps: SchedulingDeps, name: str | None) -> Team:
    """The decision's team: by id, else by name (case-insensitive), else the default team."""
    teams = await deps.team_queries.all_teams()
    if name:
        wanted = name.strip().casefold()
        for team in teams:
            if team.team_id.casefold() == wanted or team.config.name.casefold() == wanted:
                return team
        log.warning("decision names an unknown team; the default team plans it", default_team=deps.default_team_id)
    return await load_team(deps, deps.default_team_id)


async def context(deps: SchedulingDeps, team: Team, *, excluding: str | None = None) -> PlanContext:
    """The team, who is busy when (its other active plans), travel time and now."""
    plans = await deps.plan_queries.active_plans(team.team_id)
    return PlanContext(team, team_roster(plans, excluding=excluding), deps.travel.for_team(team), deps.clock.now())


async def with_plan(deps: SchedulingDeps, case_id: str, person_ref: str, apply: PlanChange) -> CasePlan:
    """Load-or-create the case plan, let `apply(plan)` change it, save (retried on conflicts)."""

    def change(plan: CasePlan) -> tuple[CasePlan, list[object] | None]:
        events = apply(plan)
        return plan, events

    return await update_aggregate(deps.plans, case_id, change, create=lambda: _new_plan(case_id, person_ref))


async def change_planned(deps: SchedulingDeps, case_id: str, apply: ContextChange) -> CasePlan | None:
    """Change an existing plan within its team's context (the team's planning lock held)."""
    loaded = await deps.plans.load(case_id)
    if loaded is None or loaded.state.team_id is None:
        return None
    team_id = loaded.state.team_id
    async with deps.lock(team_id):
        team = await load_team(deps, team_id)
        ctx = await context(deps, team, excluding=case_id)

        def change(plan: CasePlan) -> tuple[CasePlan, list[object] | None]:
            events = apply(plan, ctx)
            return plan, events

        return await update_aggregate(deps.plans, case_id, change)


# --- use cases ----------------------------------------------------------------------------------


async def record_ready(
    deps: SchedulingDeps, case_id: str, person_ref: str, ready_at: datetime, planned_discharge_at: datetime | None
) -> None:
    """A ready notice: remember the planned discharge; a plan on hold resumes, the homecoming follows."""
    planned = await change_planned(
        deps, case_id, lambda plan, ctx: plan.record_ready(ready_at, planned_discharge_at, ctx)
    )
    if planned is None:
        await with_plan(deps, case_id, person_ref, lambda plan: plan.record_ready(ready_at, planned_discharge_at, None))


async def record_revoked(deps: SchedulingDeps, case_id: str, person_ref: str) -> None:
    now = deps.clock.now()
    await with_plan(deps, case_id, person_ref, lambda plan: plan.record_revoked(now))


async def record_discharged(
    deps: SchedulingDeps, case_id: str, person_ref: str, at: datetime, destination: str | None
) -> None:
    going_home = destination in (None, "home", "other")
    deceased = destination == "deceased"
    planned = await change_planned(
        deps, case_id, lambda plan, ctx: plan.record_discharged(at, going_home, deceased, ctx)
    )
    if planned is None:
        await with_plan(deps, case_id, person_ref, lambda plan: plan.record_discharged(at, going_home, deceased, None))
    if deceased:
        await _leave_waiting_list(deps, case_id)


async def record_case_opened(deps: SchedulingDeps, case_id: str, person_ref: str, at_home: bool) -> None:
    def apply(plan: CasePlan) -> list[object]:
        if at_home:
            plan.record_opened_at_home()
        return []

    await with_plan(deps, case_id, person_ref, apply)


async def record_contact(
    deps: SchedulingDeps, case_id: str, person_ref: str, decision_type: str, contact: PersonContact
) -> None:
    """The person's name, address and phone for the team (before or after the grant: kept either way).

    Only for the decisions the team carries out: the details of someone granted only hemtjänst or
    a short-term stay have no purpose here and are not stored."""
    if decision_type not in PLANNED_TYPES:
        log.info("contact details not kept: decision type not planned by the team", decision_type=decision_type)
        return

    def apply(plan: CasePlan) -> list[object]:
        plan.record_contact(contact)
        return []

    await with_plan(deps, case_id, person_ref, apply)


async def record_readmission(deps: SchedulingDeps, earlier_case_id: str) -> None:
    """The person is back in hospital: the earlier case's period ends, history kept."""

    def apply(plan: CasePlan, ctx: PlanContext) -> list[object]:
        return plan.readmitted(ctx.now, ctx.team.calendar.local_date(ctx.now))

    await change_planned(deps, earlier_case_id, apply)
    await _leave_waiting_list(deps, earlier_case_id)


async def grant_decision(deps: SchedulingDeps, cmd: GrantDecision) -> None:
    """A granted Trygg hemgång decision (or hemgångsbeslut): book a place and plan, or wait."""
    if cmd.decision_type not in PLANNED_TYPES:
        log.info("decision type not planned by the team", decision_type=cmd.decision_type)
        return
    team = await resolve_team(deps, cmd.team)
    kind = PeriodKind.HOURS_POT if cmd.decision_type == HEMGANGSBESLUT else PeriodKind.DAYS
    terms = carry(DecisionTerms, cmd, kind=kind, terms_at=cmd.granted_at)

    def remember(plan: CasePlan) -> list[object]:
        plan.record_decision(terms)
        return []

    plan = await with_plan(deps, cmd.case_id, cmd.person_ref, remember)
    if plan.decision is None or plan.decision.decision_id != cmd.decision_id:
        return  # ended already (an old event replayed), or superseded by a newer decision
    if cmd.decision_id in plan.ended_decisions:
        return  # ended here already (closed while waiting, or planned and ended): a repeat
    if plan.period is None or plan.period.decision_id != cmd.decision_id:
        today = team.calendar.local_date(deps.clock.now())
        first, last = plan.period_days(team, today)

        def admit(t: Team) -> tuple[CapacityVerdict, list[object]]:
            # Other waiting cases admitted on the way are planned by `plan_admitted` below.
            verdict, _others, events = t.admit(cmd.case_id, cmd.person_ref, first, last, today, deps.clock.now())
            return verdict, events

        verdict = await update_aggregate(deps.teams, team.team_id, admit)
        if verdict == CapacityVerdict.WAITING:
            now = deps.clock.now()
            await with_plan(deps, cmd.case_id, cmd.person_ref, lambda p: p.mark_waiting(now))
        await plan_admitted(deps, team.team_id, own=cmd.case_id)
    await _catch_up(deps, cmd.case_id, cmd.person_ref, cmd.decision_id)


async def _catch_up(deps: SchedulingDeps, case_id: str, person_ref: str, decision_id: str) -> None:
    """Apply what overtook the grant (its changes, then its end) as they would have come in order.

    Each step is the use case the event itself runs, so the end state is the one of in-order
    delivery; each is idempotent, so a grant redelivered after a crash finishes the catch-up.
    """
    loaded = await deps.plans.load(case_id)
    if loaded is None:
        return
    plan = loaded.state
    changes = plan.early_changes_of(decision_id)
    for change in changes:
        await change_decision(deps, ChangeDecision(case_id, person_ref, change))
    if changes:
        await with_plan(deps, case_id, person_ref, lambda p: p.forget_early_changes(decision_id))
    end = plan.pending_end(decision_id)
    if end is not None:
        await end_decision(deps, EndDecision(case_id, person_ref, decision_id, end.end_date, end.reason))


async def plan_admitted(deps: SchedulingDeps, team_id: str, *, own: str | None = None) -> None:
    """Plan every case that holds a place in the team but has no period yet (converges after a crash).

    One case that cannot be planned (a bug, a plan that breaks a rule) never keeps the others
    from theirs: it is reported (logged by case id and error type, counted in
    `trygg_batch_record_failures_total{batch="plan_admitted"}`) and tried again the next time
    the team's places change. A store that is down, or a plan that kept changing, stops it (the
    event is redelivered); so does a failure of the case the event itself is about (`own`: the
    event is retried, then dead-lettered with the reason).
    """
    team = await load_team(deps, team_id)
    failures = Failures("plan_admitted")
    for booking in list(team.bookings.values()):
        if booking.case_id == own:
            await _plan_admitted_case(deps, team_id, booking.case_id, booking.first_day)
            continue
        with failures.isolate(booking.case_id, reraise=(StorageUnavailable, ConcurrencyConflict)):
            await _plan_admitted_case(deps, team_id, booking.case_id, booking.first_day)


async def _plan_admitted_case(deps: SchedulingDeps, team_id: str, case_id: str, first_day: date) -> None:
    loaded = await deps.plans.load(case_id)
    if loaded is None:
        return
    plan = loaded.state
    if plan.decision is None or plan.decision.decision_id in plan.ended_decisions:
        return
    if plan.period is not None and plan.period.decision_id == plan.decision.decision_id:
        return
    await plan_case(deps, team_id, case_id, first_day)


async def plan_case(deps: SchedulingDeps, team_id: str, case_id: str, first_day: date | None = None) -> CasePlan:
    async with deps.lock(team_id):
        team = await load_team(deps, team_id)
        ctx = await context(deps, team, excluding=case_id)

        def change(plan: CasePlan) -> tuple[CasePlan, list[object] | None]:
            events = plan.plan(ctx, first_day=first_day)
            return plan, events if events else None

        return await update_aggregate(deps.plans, case_id, change)


async def change_decision(deps: SchedulingDeps, cmd: ChangeDecision) -> None:
    loaded = await deps.plans.load(cmd.case_id)
    if loaded is None or loaded.state.decision is None or loaded.state.decision.decision_id != cmd.change.decision_id:
        # The change overtook its grant (relay or replay out of order): kept for the grant.
        log.info("decision change before its grant; kept for it", case_id=cmd.case_id)
        await with_plan(deps, cmd.case_id, cmd.person_ref, lambda p: p.remember_change(cmd.change))
        return
    terms = loaded.state.decision.changed_by(cmd.change)
    if loaded.state.period is None:
        plan = await with_plan(deps, cmd.case_id, cmd.person_ref, lambda p: [] if p.record_decision(terms) else None)
        team = await resolve_team(deps, terms.team)
        first, last = plan.period_days(team, team.calendar.local_date(deps.clock.now()))

        def rewait(t: Team) -> tuple[None, list[object] | None]:
            if not any(w.case_id == cmd.case_id for w in t.waiting):
                return None, None
            t.rebook(cmd.case_id, first, last)  # a waiting case keeps its place with the new dates
            return None, []

        await update_aggregate(deps.teams, team.team_id, rewait)
        return
    changed = await change_planned(deps, cmd.case_id, lambda p, ctx: p.change_terms(terms, ctx))
    if changed is not None and changed.period is not None:
        period = changed.period

        def rebook(t: Team) -> tuple[None, list[object]]:
            t.rebook(cmd.case_id, period.start_date, period.end_date)
            return None, []

        await update_aggregate(deps.teams, period.team_id, rebook)


async def end_decision(deps: SchedulingDeps, cmd: EndDecision) -> None:
    """End (or shorten) the period; a waiting decision is closed; an end before its grant is kept."""

    def apply(plan: CasePlan, ctx: PlanContext) -> list[object] | None:
        return plan.end_decision(cmd.decision_id, cmd.end_date, cmd.reason, ctx)

    planned = await change_planned(deps, cmd.case_id, apply)
    if planned is None:
        await with_plan(
            deps,
            cmd.case_id,
            cmd.person_ref,
            lambda plan: plan.end_decision(cmd.decision_id, cmd.end_date, cmd.reason, None),
        )
    await _leave_waiting_list(deps, cmd.case_id)


async def _leave_waiting_list(deps: SchedulingDeps, case_id: str) -> None:
    """A case that ended while waiting leaves the list (no-op for cases not waiting)."""
    now = deps.clock.now()

    def leave(t: Team) -> tuple[None, list[object] | None]:
        events = t.leave_waiting_list(case_id, now)
        return None, events if events else None

    failures = Failures("leave_waiting_list")  # one team that fails never keeps the others
    for team in await deps.team_queries.all_teams():
        if any(w.case_id == case_id for w in team.waiting):
            with failures.isolate(team.team_id, reraise=(StorageUnavailable, ConcurrencyConflict)):
                await update_aggregate(deps.teams, team.team_id, leave)
                await plan_admitted(deps, team.team_id)


async def release_place(deps: SchedulingDeps, team_id: str, case_id: str | None) -> None:
    """A period ended: free its place in the team and plan the oldest waiting cases that now fit.

    `case_id` None: nothing to free, only admit waiting cases that fit now (capacity was raised).
    """
    now = deps.clock.now()
    try:
        team = await load_team(deps, team_id)
    except UnknownTeam:
        log.warning("period ended in a team that no longer exists", team_id=team_id)
        return
    today = team.calendar.local_date(now)

    def release(t: Team) -> tuple[list[str], list[object] | None]:
        if case_id is None or (case_id not in t.bookings and not any(w.case_id == case_id for w in t.waiting)):
            admitted, events = t.admit_waiting(today, now)
            return admitted, events if events else None
        admitted, events = t.release(case_id, today, now)
        return admitted, events

    try:
        await update_aggregate(deps.teams, team_id, release)
    except AggregateNotFound:
        return
    await plan_admitted(deps, team_id)


async def fire_timers(deps: SchedulingDeps, case_id: str) -> int:
    """Fire the case's due timers (exactly once: the save is conditional on the plan's version)."""
    now = deps.clock.now()

    def fire(plan: CasePlan) -> tuple[int, list[object] | None]:
        events = plan.fire_due(now)
        return (len(events) if events else 0), events

    try:
        return await update_aggregate(deps.plans, case_id, fire)
    except AggregateNotFound:
        return 0
