"""`/fees`, `/persons/{person_ref}/fees`: the running month's fee lines, before its statement is issued."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from billing.domain.fees import format_kronor
from billing.domain.running import RunningFees
from billing.entrypoints.common import MONTH, Access, Out, PersonRef, month_of, run_safely
from billing.entrypoints.statements import LineOut
from billing.service_layer import running
from billing.service_layer.ports import Actor, BillingDeps

RunningMonth = Annotated[
    str | None,
    Query(
        pattern=MONTH,
        description="The month, YYYY-MM; the running month (Stockholm) when left out.",
        examples=["2024-03"],
    ),
]


class FeesOut(Out):
    person_ref: str
    month: str
    issued: bool = Field(description="The month's statement was issued: these are its lines.")
    maxtaxa_ore: int | None = Field(description="The month's maxtaxa (None: no tariff for the month).")
    headroom_ore: int | None = Field(description="The person's fee headroom (avgiftsutrymme); None when not known.")
    capped_fees_ore: int = Field(description="The month's own capped fees before the cap.")
    cap_ore: int | None = Field(description="The most the month's capped fees may come to: maxtaxa or the headroom.")
    capped_by_ore: int = Field(description="How much the cap took off the month (0 when under it).")
    total_ore: int
    total: str
    tariff_missing: bool = Field(description="No tariff for a month with fees: nothing can be composed yet.")
    lines: list[LineOut] = Field(description="The lines as the statement would have them now (corrections included).")


class MonthFeesOut(Out):
    month: str
    persons: list[FeesOut]
    left_out: list[str] = Field(
        description="Persons (pseudonymous refs) whose fees could not be composed: left out and reported."
    )


def fees_out(fees: RunningFees) -> FeesOut:
    shown = {name: getattr(fees, name) for name in FeesOut.model_fields if hasattr(fees, name)}
    return FeesOut.model_validate(
        shown
        | {
            "month": str(fees.month),
            "total": format_kronor(fees.total_ore),
            "lines": [LineOut.model_validate(line.published()) for line in fees.lines],
        }
    )


def fees_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["fees"])

    def month_or_running(month: str | None) -> str:
        return month or str(running.running_month(deps))

    @router.get("/fees", response_model=MonthFeesOut, summary="The month's fee lines per person, before the statements")
    async def fees_of_month(month: RunningMonth = None, actor: Actor = access.reader) -> MonthFeesOut:
        wanted = month_of(month_or_running(month))
        found, left_out = await run_safely(lambda: running.fees_of_month(deps, actor, wanted))
        return MonthFeesOut(month=str(wanted), persons=[fees_out(f) for f in found], left_out=left_out)

    @router.get("/persons/{person_ref}/fees", response_model=FeesOut, summary="A person's fee lines for a month")
    async def fees_of_person(
        person_ref: PersonRef, month: RunningMonth = None, actor: Actor = access.reader
    ) -> FeesOut:
        wanted = month_of(month_or_running(month))
        return fees_out(await run_safely(lambda: running.fees_of_person(deps, actor, person_ref, wanted)))

    return router
