"""Hemtjänst's cover order as hemtjänst reads it: the windows in force, the team's hours and the handover.

The read shows the person's name, address and phone (whom hemtjänst covers, and where) and the
coded needs summary, so it is audited first, as every read of personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.domain import events as ev
from scheduling.domain.plan import CasePlan, Visit
from scheduling.domain.vocab import VisitKind, VisitStatus
from scheduling.service_layer.field import CaseNotPlanned, audit
from scheduling.service_layer.ports import Actor, SchedulingDeps


class NoCoverOrder(LookupError):
    """The case's plan has no hemtjänst cover order (the team covers all of its period, or it is on hold)."""


@dataclass(frozen=True)
class CoverOrderView:
    plan: CasePlan
    order: ev.HemtjanstCoverOrdered
    handover: Visit | None  # the joint handover visit (with hemtjänst), planned or made
    needs: ev.NeedsSummary  # the handover summary so far (final once the handover visit is completed)

    @property
    def handed_over(self) -> bool:
        return self.handover is not None and self.handover.status == VisitStatus.COMPLETED


async def read_cover_order(deps: SchedulingDeps, actor: Actor, case_id: str) -> CoverOrderView:
    """The case's cover order in force; audited (name, address, phone, needs summary)."""
    loaded = await deps.plans.load(case_id)
    if loaded is None or loaded.state.period is None:
        raise CaseNotPlanned(case_id)
    plan = loaded.state
    if plan.cover_order is None:
        raise NoCoverOrder(case_id)
    await audit(deps, actor, "read_cover_order", [case_id], ["name", "address", "phone", "needs_summary"])
    handovers = [v for v in plan.ordered_visits() if v.kind == VisitKind.HANDOVER and v.status != VisitStatus.CANCELLED]
    return CoverOrderView(plan, plan.cover_order, handovers[-1] if handovers else None, plan.needs_summary())
