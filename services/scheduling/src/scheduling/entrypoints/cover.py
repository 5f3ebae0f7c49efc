"""`GET /cases/{case_id}/cover-order`: hemtjänst's cover order in force, with each window's reason.

Each window says from, to and why (the cause: morning, evening, night, weekend, another day off, or
a public holiday with its Swedish name), with the team's hours the windows were cut from, whom and
where hemtjänst covers, the joint handover visit and the handover summary (coded needs). Audited.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import Field

from scheduling.domain import events as ev
from scheduling.domain.calendar import DayHours
from scheduling.domain.vocab import PeriodStatus, VisitStatus
from scheduling.entrypoints.common import Out, api_router, case_read
from scheduling.entrypoints.field_models import PersonOut, person_out
from scheduling.entrypoints.team_models import HoursIn, hours_out
from scheduling.service_layer import cover as cuc
from scheduling.service_layer.ports import PERMISSIONS, Authenticator, SchedulingDeps
from trygg_shared.bearer import require
from trygg_shared.mapping import to_contract


class HandoverOut(Out):
    visit_id: str | None = Field(description="The joint handover visit with hemtjänst.")
    planned_start: datetime | None = Field(description="When the handover visit is planned.")
    status: VisitStatus | None
    handed_over_at: datetime | None = Field(description="When the handover visit ended (None: not yet).")
    needs: ev.NeedsSummary = Field(description="The handover summary (kartläggning), coded; final at the handover.")


class CoverOrderOut(Out):
    case_id: str
    person_ref: str
    person: PersonOut | None = Field(description="Whom hemtjänst covers, and where (personal data: audited).")
    team_id: str
    period_status: PeriodStatus
    start_date: date
    end_date: date
    order_id: str
    valid_from: datetime = Field(description="This order replaces earlier ones from this time on.")
    ordered_at: datetime
    decision_orders_hemtjanst: bool = Field(description="The decision already orders hemtjänst for these times.")
    team_hours: list[HoursIn] = Field(description="The team's hours the windows were cut from (local time).")
    team_works_holidays: bool
    windows: list[ev.CoverWindow] = Field(
        description="Windows hemtjänst covers, in time order: from (`start`), to (`end`, exclusive), the coarse "
        "`reason` and the `cause`: morning (07:00 until the team starts), evening (the team's end until 22:00), "
        "night (22:00-07:00), weekend, day_off (another weekday the team does not work), holiday (`holiday`: its "
        "Swedish name)."
    )
    handover: HandoverOut


def cover_order_out(view: cuc.CoverOrderView) -> CoverOrderOut:
    """The order, its period and the case by field name (the order's windows, the period's team and start)."""
    plan, order, visit = view.plan, view.order, view.handover
    period = plan.period
    assert period is not None
    return to_contract(
        CoverOrderOut,
        order,
        period,
        plan,
        person=person_out(plan),
        period_status=period.status,
        end_date=period.ended_on or period.end_date,
        ordered_at=order.at,
        team_hours=hours_out({h.weekday: DayHours(h.start, h.end) for h in order.team_hours}),
        handover=HandoverOut(
            visit_id=visit.visit_id if visit else None,
            planned_start=visit.planned_start if visit else None,
            status=visit.status if visit else None,
            handed_over_at=visit.ended_at if visit and view.handed_over else None,
            needs=view.needs,
        ),
    )


def cover_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    router = api_router("cover")

    case_read(
        router,
        deps,
        "/cases/{case_id}/cover-order",
        CoverOrderOut,
        require(authenticator, PERMISSIONS["read_cover_order"]),
        cuc.read_cover_order,
        cover_order_out,
        summary="Hemtjänst's cover order in force: each window with why, the team's hours, the handover; audited",
    )
    return router
