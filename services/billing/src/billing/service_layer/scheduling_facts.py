"""Use cases run by scheduling's events: the team's actual period and its completed visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from billing.domain.care import CareCase, CompletedVisit, TeamPeriod
from billing.service_layer.ports import BillingDeps
from trygg_shared.aggregate import update_aggregate


@dataclass(frozen=True)
class RecordPeriod:
    case_id: str
    person_ref: str
    period_id: str
    decision_id: str | None
    start_date: date
    planned_end: date
    ended_on: date | None
    hours_granted: float | None
    as_of: datetime


@dataclass(frozen=True)
class RecordVisit:
    case_id: str
    person_ref: str
    visit_id: str
    period_id: str
    kind: str
    day: date
    minutes: int


async def record_period(deps: BillingDeps, cmd: RecordPeriod) -> None:
    period = TeamPeriod(
        cmd.period_id, cmd.decision_id, cmd.start_date, cmd.planned_end, cmd.ended_on, cmd.hours_granted, cmd.as_of
    )

    def change(case: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if case.record_period(period) else None

    await update_aggregate(deps.care, cmd.case_id, change, create=lambda: CareCase(cmd.case_id, cmd.person_ref))


async def record_visit(deps: BillingDeps, cmd: RecordVisit) -> None:
    visit = CompletedVisit(cmd.visit_id, cmd.period_id, cmd.kind, cmd.day, cmd.minutes)

    def change(case: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if case.record_visit(visit) else None

    await update_aggregate(deps.care, cmd.case_id, change, create=lambda: CareCase(cmd.case_id, cmd.person_ref))
