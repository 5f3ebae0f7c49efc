"""Use cases of the homecoming checklist: read a case's checklist, tick or untick an item from the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduling.domain.checklist import CHECKLIST_TIMER, Checklist
from scheduling.domain.checklist_work import NoChecklist
from scheduling.domain.plan import CasePlan, Visit
from scheduling.domain.vocab import VisitKind
from scheduling.service_layer.field import CaseNotPlanned
from scheduling.service_layer.ports import Actor, SchedulingDeps
from trygg_shared.aggregate import AggregateNotFound, update_aggregate

__all__ = ["ChecklistView", "NoChecklist", "mark_item", "read_checklist"]


@dataclass(frozen=True)
class ChecklistView:
    """A case's checklist with its homecoming: when the visit is, the deadline, when the alert fires."""

    case_id: str
    period_id: str
    team_id: str
    checklist: Checklist
    homecoming: Visit | None  # the homecoming visit (the latest one not cancelled)
    alert_due_at: datetime | None  # the open-item alert's timer; None: not armed

    @property
    def deadline(self) -> datetime | None:
        return None if self.homecoming is None else self.checklist.deadline(self.homecoming.planned_start)


def view_of(plan: CasePlan) -> ChecklistView:
    if plan.period is None:
        raise CaseNotPlanned(plan.case_id)
    if plan.checklist is None:
        raise NoChecklist(plan.case_id)
    homecomings = [v for v in plan.ordered_visits() if v.kind == VisitKind.HOMECOMING and v.cancel_reason is None]
    timer = next((t for t in plan.timers.values() if t.kind == CHECKLIST_TIMER), None)
    return ChecklistView(
        plan.case_id,
        plan.period.period_id,
        plan.period.team_id,
        plan.checklist,
        homecomings[-1] if homecomings else None,
        timer.due_at if timer else None,
    )


async def read_checklist(deps: SchedulingDeps, case_id: str) -> ChecklistView:
    """A case's checklist (no personal data: item codes, the team's wording, staff ids)."""
    loaded = await deps.plans.load(case_id)
    if loaded is None:
        raise CaseNotPlanned(case_id)
    return view_of(loaded.state)


async def mark_item(deps: SchedulingDeps, actor: Actor, case_id: str, item_id: str, done: bool) -> ChecklistView:
    """Tick (`done`) or untick an item, recording who and when; a repeat changes nothing."""
    by = actor.staff_id or actor.subject
    now = deps.clock.now()

    def change(plan: CasePlan) -> tuple[ChecklistView, list[object] | None]:
        if plan.period is None:
            raise CaseNotPlanned(case_id)
        events = plan.mark_checklist(item_id, done, by, now)
        return view_of(plan), events

    try:
        return await update_aggregate(deps.plans, case_id, change)
    except AggregateNotFound:
        raise CaseNotPlanned(case_id) from None
