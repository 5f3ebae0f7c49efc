"""Use cases run by scheduling's events: the team's actual period and its completed visits."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.care import CareCase, CompletedVisit, TeamPeriod
from billing.service_layer.ports import BillingDeps, CaseCommand
from trygg_shared.aggregate import update_aggregate


@dataclass(frozen=True)
class RecordPeriod(CaseCommand):
    period: TeamPeriod


@dataclass(frozen=True)
class RecordVisit(CaseCommand):
    visit: CompletedVisit


async def record_period(deps: BillingDeps, cmd: RecordPeriod) -> None:
    def change(case: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if case.record_period(cmd.period) else None

    await update_aggregate(deps.care, cmd.case_id, change, create=lambda: CareCase(cmd.case_id, cmd.person_ref))


async def record_visit(deps: BillingDeps, cmd: RecordVisit) -> None:
    def change(case: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if case.record_visit(cmd.visit) else None

    await update_aggregate(deps.care, cmd.case_id, change, create=lambda: CareCase(cmd.case_id, cmd.person_ref))
