"""`/invoices`: the region's liability invoice imported as CSV and checked; `/invoice-disputes.csv`: the
month's dispute list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from billing.domain.invoices import CheckedLine, Invoice, Tally
from billing.entrypoints.common import (
    CSV,
    MONTH,
    Access,
    MonthQuery,
    Out,
    cells,
    csv_response,
    csv_route,
    found,
    month_of,
    problem,
    run_safely,
)
from billing.service_layer import invoices as uc
from billing.service_layer.ports import Actor, BillingDeps
from trygg_shared.http import FieldError, ProblemError

InvoiceId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The invoice: the SHA-256 of its file.")]
RegionCode = Annotated[str, Query(pattern=r"^\d{2}$", description="The invoicing region (län code), e.g. 01.")]
InvoiceMonth = Annotated[str, Query(pattern=MONTH, description="The month the invoice charges, YYYY-MM.")]


class TallyOut(Out):
    lines: int
    days: int
    amount_ore: int


class TotalsOut(Out):
    invoiced: TallyOut
    agreed: TallyOut
    disputed: TallyOut = Field(description="The disputed lines, the days and the money in question.")
    unknown: TallyOut = Field(description="Lines with no stay of ours.")


class InvoiceLineOut(Out):
    line_no: int = Field(description="The line of the file (the header is line 1).")
    episode_id: str | None
    care_unit: str
    ready_date: date
    discharge_date: date | None
    days: int
    amount_ore: int
    status: str = Field(description="agreed, disputed or unknown.")
    person_ref: str | None
    case_id: str | None
    our_days: int
    our_amount_ore: int
    reason: str | None
    detail: str
    disputed_days: int
    disputed_amount_ore: int
    disputed_dates: list[date]
    since: date | None = Field(description="The revocation day, or the day liability starts under the agreement.")
    agreement: str | None = Field(description="The agreement (id and version) our count is under, when it matters.")


class InvoiceSummaryOut(Out):
    invoice_id: str
    region_code: str
    month: str
    imported_at: datetime
    imported_by: str
    totals: TotalsOut


class InvoiceOut(InvoiceSummaryOut):
    repeated: bool = Field(False, description="The same file was imported before: nothing changed.")
    lines: list[InvoiceLineOut]


def _tally(t: Tally) -> TallyOut:
    return TallyOut(lines=t.lines, days=t.days, amount_ore=t.amount_ore)


def summary_out(invoice: Invoice) -> InvoiceSummaryOut:
    t = invoice.totals
    return InvoiceSummaryOut(
        invoice_id=invoice.invoice_id,
        region_code=invoice.region_code,
        month=str(invoice.month),
        imported_at=invoice.imported_at,
        imported_by=invoice.imported_by,
        totals=TotalsOut(
            invoiced=_tally(t.invoiced), agreed=_tally(t.agreed), disputed=_tally(t.disputed), unknown=_tally(t.unknown)
        ),
    )


def line_out(line: CheckedLine) -> InvoiceLineOut:
    shown = {name: getattr(line, name) for name in InvoiceLineOut.model_fields}
    return InvoiceLineOut.model_validate(
        shown | {"status": line.status.value, "reason": line.reason.value if line.reason else None}
    )


def invoice_out(invoice: Invoice, repeated: bool = False) -> InvoiceOut:
    return InvoiceOut(
        **summary_out(invoice).model_dump(), repeated=repeated, lines=[line_out(line) for line in invoice.lines]
    )


DISPUTE_COLUMNS = (
    "line_no", "episode_id", "care_unit", "ready_date", "discharge_date", "days", "amount_ore", "status", "reason",
    "detail", "disputed_days", "disputed_amount_ore", "disputed_dates", "our_days", "our_amount_ore", "person_ref",
    "case_id",
)  # fmt: skip
DISPUTE_HEADER = ("invoice_id", "region_code", *DISPUTE_COLUMNS)
CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "The region's invoice file (CSV in the region's layout; README: the region's invoice).",
        "content": {CSV: {"schema": {"type": "string"}}},
    }
}


def refused(exc: uc.InvoiceRefused) -> ProblemError:
    errors = [
        FieldError(field=f"lines.{p.line_no}.{p.field}", message=f"line {p.line_no}: {p.problem}", type="invoice_line")
        for p in exc.problems[:200]
    ]
    detail = f"The file was not imported: {len(exc.problems)} problems (line numbers and fields in `errors`)."
    return ProblemError(422, "Invoice refused", detail, errors=errors)


def invoices_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["invoices"])

    @router.post(
        "/invoices",
        response_model=InvoiceOut,
        status_code=201,
        summary="Import the region's liability invoice (CSV) and check each line against our count",
        openapi_extra=CSV_BODY,
        responses={
            200: {"model": InvoiceOut, "description": "The same file was imported before: nothing changed."},
            409: problem("The same file was imported for another region or month"),
            422: problem("The file breaks the region's layout: every problem by line and field"),
        },
    )
    async def import_invoice(
        request: Request, region: RegionCode, month: InvoiceMonth, actor: Actor = access.importer
    ) -> Response:
        content = await request.body()
        try:
            imported = await run_safely(lambda: uc.import_invoice(deps, actor, region, month_of(month), content))
        except uc.InvoiceRefused as exc:
            raise refused(exc) from None
        except uc.InvoiceElsewhere as exc:
            held = f"{exc.invoice.region_code} {exc.invoice.month}"
            raise ProblemError(409, "Conflict", f"This file was imported for {held}.") from None
        body = invoice_out(imported.invoice, imported.repeated).model_dump(mode="json")
        return JSONResponse(body, status_code=200 if imported.repeated else 201)

    @router.get("/invoices", response_model=list[InvoiceSummaryOut], summary="The month's invoices with their totals")
    async def invoices_of_month(month: MonthQuery, actor: Actor = access.reader) -> list[InvoiceSummaryOut]:
        found_ = await run_safely(lambda: uc.invoices_of_month(deps, actor, month_of(month)))
        return [summary_out(i) for i in found_]

    @router.get(
        "/invoices/{invoice_id}",
        response_model=InvoiceOut,
        summary="One checked invoice: every line and the totals side by side",
        responses={404: problem("No such invoice")},
    )
    async def invoice(invoice_id: InvoiceId, actor: Actor = access.reader) -> InvoiceOut:
        one = await run_safely(lambda: uc.invoice_of(deps, actor, invoice_id))
        return invoice_out(found(one, "such invoice"))

    @csv_route(router, "/invoice-disputes.csv", "The month's dispute list: every disputed or unknown line, as CSV")
    async def disputes_csv(month: MonthQuery, actor: Actor = access.reader) -> Response:
        listed = await run_safely(lambda: uc.disputes_of_month(deps, actor, month_of(month)))
        rows = [(i.invoice_id, i.region_code, *_dispute_cells(line)) for i, line in listed]
        return csv_response(DISPUTE_HEADER, rows, f"invoice-disputes-{month}.csv")

    return router


def _dispute_cells(line: CheckedLine) -> tuple[object, ...]:
    values = list(cells(line, DISPUTE_COLUMNS))
    values[DISPUTE_COLUMNS.index("disputed_dates")] = " ".join(d.isoformat() for d in line.disputed_dates)
    return tuple(values)
