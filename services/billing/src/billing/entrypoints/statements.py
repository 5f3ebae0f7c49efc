"""`/statements`, `/persons/{person_ref}/...`: the monthly fee statements and the person's fee headroom."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from billing.domain.fees import Statement, format_kronor
from billing.entrypoints.common import (
    MONTH,
    Access,
    In,
    MonthPath,
    MonthQuery,
    Out,
    PersonRef,
    cells,
    csv_response,
    csv_route,
    found,
    month_of,
    problem,
    run_safely,
)
from billing.service_layer import reads
from billing.service_layer.ports import Actor, BillingDeps
from trygg_shared.fields import Integer
from trygg_shared.mapping import to_contract


class HeadroomIn(In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"valid_from": "2024-03", "amount_ore": 150000}]}
    )
    valid_from: str = Field(pattern=MONTH, description="First month it applies to (YYYY-MM).")
    amount_ore: Integer | None = Field(
        description="The person's fee headroom (avgiftsutrymme) per month, öre; null = not known.", ge=0, le=100_000_000
    )


class LineOut(Out):
    kind: str
    service_month: str
    case_id: str | None
    decision_id: str | None
    days: int
    minutes: int
    unit_price_ore: int
    amount_ore: int
    correction: bool
    description: str


class RecipientOut(Out):
    id_type: str
    identity_number: str
    given_name: str
    family_name: str
    street: str | None
    postal_code: str | None
    city: str | None


class StatementOut(Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "statement_id": "p_3f2a:2024-03",
                    "person_ref": "p_3f2a",
                    "month": "2024-03",
                    "issued_at": "2024-04-01T04:00:00Z",
                    "municipality_code": "2104",
                    "maxtaxa_ore": 257500,
                    "tariff_version": 1,
                    "total_ore": 92000,
                    "total": "920 kr",
                    "recipient": None,
                    "lines": [
                        {
                            "kind": "trygg_hemgang_days",
                            "service_month": "2024-03",
                            "case_id": "c1",
                            "decision_id": "d1",
                            "days": 5,
                            "minutes": 0,
                            "unit_price_ore": 18400,
                            "amount_ore": 92000,
                            "correction": False,
                            "description": "Trygg hemgång 5 dagar à 184 kr",
                        }
                    ],
                }
            ]
        }
    )
    statement_id: str
    person_ref: str
    month: str
    issued_at: datetime
    municipality_code: str | None
    maxtaxa_ore: int | None
    tariff_version: int | None
    total_ore: int
    total: str
    recipient: RecipientOut | None
    lines: list[LineOut]


class HeadroomOut(Out):
    person_ref: str
    valid_from: str
    amount_ore: int | None


def statement_out(s: Statement) -> StatementOut:
    own = s.tariffs.get(s.month) or next(iter(s.tariffs.values()), None)
    return to_contract(
        StatementOut,
        s,
        month=str(s.month),
        municipality_code=own.municipality_code if own else None,
        maxtaxa_ore=own.tariff.maxtaxa_ore if own else None,
        tariff_version=own.version if own else None,
        total=format_kronor(s.total_ore),
        lines=[LineOut.model_validate(line.published()) for line in s.lines],
    )


# The CSV export: one row per line, the statement's columns first. Cells as `common.cell` shows them.
STATEMENT_COLUMNS = ("statement_id", "person_ref", "month")
LINE_COLUMNS = tuple(name for name in LineOut.model_fields if name != "service_month")
CSV_HEADER = (*STATEMENT_COLUMNS, "service_month", *LINE_COLUMNS)


def csv_rows(found: list[Statement]) -> list[tuple[object, ...]]:
    return [
        (*cells(s, STATEMENT_COLUMNS), *cells(line, ("service_month", *LINE_COLUMNS)))
        for s in found
        for line in s.lines
    ]


def statements_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["statements"])

    @router.get("/statements", response_model=list[StatementOut], summary="Statements of a month")
    async def statements_of_month(month: MonthQuery, actor: Actor = access.reader) -> list[StatementOut]:
        found = await run_safely(lambda: reads.statements_of_month(deps, actor, month_of(month)))
        return [statement_out(s) for s in found]

    @csv_route(router, "/statements.csv", "Statements of a month as CSV, one row per line")
    async def statements_csv(month: MonthQuery, actor: Actor = access.reader) -> Response:
        found = await run_safely(lambda: reads.statements_of_month(deps, actor, month_of(month), export=True))
        return csv_response(CSV_HEADER, csv_rows(found), f"statements-{month}.csv")

    @router.get(
        "/persons/{person_ref}/statements", response_model=list[StatementOut], summary="Every statement of a person"
    )
    async def statements_of_person(person_ref: PersonRef, actor: Actor = access.reader) -> list[StatementOut]:
        found = await run_safely(lambda: reads.statements_of_person(deps, actor, person_ref))
        return [statement_out(s) for s in found]

    @router.get(
        "/persons/{person_ref}/statements/{month}",
        response_model=StatementOut,
        summary="A person's statement for a month",
        responses={404: problem("No statement for that person and month")},
    )
    async def statement(person_ref: PersonRef, month: MonthPath, actor: Actor = access.reader) -> StatementOut:
        one = await run_safely(lambda: reads.statement_of(deps, actor, person_ref, month_of(month)))
        return statement_out(found(one, "statement for that person and month"))

    return router


def headroom_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["statements"])

    @router.put(
        "/persons/{person_ref}/fee-headroom",
        response_model=HeadroomOut,
        summary="Record the person's fee headroom (avgiftsutrymme) from a month on",
        responses={409: problem("The record kept changing; retry")},
    )
    async def set_headroom(
        person_ref: PersonRef, body: Annotated[HeadroomIn, Body()], actor: Actor = access.officer
    ) -> HeadroomOut:
        valid_from = month_of(body.valid_from)
        await run_safely(lambda: reads.set_fee_headroom(deps, actor, person_ref, valid_from, body.amount_ore))
        return HeadroomOut(person_ref=person_ref, valid_from=body.valid_from, amount_ore=body.amount_ore)

    return router
