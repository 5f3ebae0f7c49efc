"""`/reports/...`: payment liability per case and region, and what the service cost, as JSON and CSV."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from billing.domain.reports import CostReport, LiabilityReport
from billing.entrypoints.common import (
    REPORT_CSV_RESPONSE,
    Access,
    MonthQuery,
    Out,
    RegionQuery,
    cell,
    cells,
    csv_response,
    csv_route,
    month_of,
    run_safely,
)
from billing.service_layer import reads
from billing.service_layer.ports import Actor, BillingDeps


class LiabilityRowOut(Out):
    case_id: str
    person_ref: str
    region_code: str
    liability_starts_at: datetime | None
    discharged_at: datetime | None
    days: int
    amount_ore: int
    home_in_time: bool
    running: bool


class RegionTotalsOut(Out):
    region_code: str
    cases_liable: int
    liability_days: int
    amount_ore: int
    cases_home_in_time: int


def _left_out(rows: str) -> Any:
    return Field(
        default_factory=list,
        description="Cases (pseudonymous case ids) the report could not compute (a record that breaks a rule): "
        f"left out of the {rows} and totals, and reported (logged and counted in `trygg_batch_record_failures_total`).",
    )


class LiabilityReportOut(Out):
    month: str
    regions: list[RegionTotalsOut]
    cases: list[LiabilityRowOut]
    left_out: list[str] = _left_out("cases")


class PeriodCostOut(Out):
    case_id: str
    person_ref: str
    period_id: str
    start_date: date
    last_day: date
    ended: bool
    days: int
    visits: int
    visit_minutes: int
    hour_cost_ore: int | None
    hour_cost_source: str | None
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None


class CostReportOut(Out):
    month: str
    days: int
    visits: int
    visit_minutes: int
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None
    periods: list[PeriodCostOut]
    left_out: list[str] = _left_out("periods")


# The CSV exports: the month asked for, then one row per case (liability) or period (cost).
LIABILITY_COLUMNS = (
    "region_code",
    "case_id",
    "person_ref",
    "liability_starts_at",
    "discharged_at",
    "days",
    "amount_ore",
    "home_in_time",
    "running",
)
COST_COLUMNS = tuple(PeriodCostOut.model_fields)


def liability_out(report: LiabilityReport) -> LiabilityReportOut:
    return LiabilityReportOut(
        month=str(report.month),
        regions=[RegionTotalsOut.model_validate(r) for r in report.regions],
        cases=[LiabilityRowOut.model_validate(r) for r in report.rows],
        left_out=list(report.left_out),
    )


def cost_out(report: CostReport) -> CostReportOut:
    shown = {name: cell(getattr(report, name)) for name in CostReportOut.model_fields}
    return CostReportOut.model_validate(shown, from_attributes=True)


def reports_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["reports"])

    @router.get(
        "/reports/liability",
        response_model=LiabilityReportOut,
        summary="Payment liability of a month, per case and region",
    )
    async def liability(
        month: MonthQuery, region: RegionQuery = None, actor: Actor = access.reader
    ) -> LiabilityReportOut:
        return liability_out(await run_safely(lambda: reads.liability_report_of(deps, actor, month_of(month), region)))

    @csv_route(router, "/reports/liability.csv", "The liability report as CSV, one row per case", REPORT_CSV_RESPONSE)
    async def liability_csv(month: MonthQuery, region: RegionQuery = None, actor: Actor = access.reader) -> Response:
        report = await run_safely(lambda: reads.liability_report_of(deps, actor, month_of(month), region, export=True))
        rows = [(month, *cells(r, LIABILITY_COLUMNS)) for r in report.rows]
        return csv_response(("month", *LIABILITY_COLUMNS), rows, f"liability-{month}.csv", report.left_out)

    @router.get(
        "/reports/cost",
        response_model=CostReportOut,
        summary="What the service cost in a month, beside short-term stay and hospital days",
    )
    async def cost(month: MonthQuery, actor: Actor = access.reader) -> CostReportOut:
        return cost_out(await run_safely(lambda: reads.cost_report_of(deps, actor, month_of(month))))

    @csv_route(router, "/reports/cost.csv", "The cost report as CSV, one row per period", REPORT_CSV_RESPONSE)
    async def cost_csv(month: MonthQuery, actor: Actor = access.reader) -> Response:
        report = await run_safely(lambda: reads.cost_report_of(deps, actor, month_of(month), export=True))
        rows = [(month, *cells(p, COST_COLUMNS)) for p in report.periods]
        return csv_response(("month", *COST_COLUMNS), rows, f"cost-{month}.csv", report.left_out)

    return router
