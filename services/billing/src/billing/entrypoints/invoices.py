"""`/invoices`: the region's liability invoice imported as CSV and checked; `/invoice-disputes.csv`: the
month's dispute list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from billing.domain.invoices import CheckedLine, Invoice, InvoiceTotals
from billing.entrypoints import common
from billing.entrypoints.common import CSV, MONTH, Access, MonthQuery, Out, found, month_of, problem, run_safely
from billing.service_layer import invoices as uc
from billing.service_layer.ports import Actor, BillingDeps
from trygg_shared.http import FieldError, ProblemError

InvoiceId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The invoice: the SHA-256 of its file.")]
RegionCode = Annotated[str, Query(pattern=r"^\d{2}$", description="The invoicing region (län code), e.g. 01.")]
InvoiceMonth = Annotated[str, Query(pattern=MONTH, description="The month the invoice charges, YYYY-MM.")]


class InvoiceSummaryOut(Out):
    invoice_id: str = Field(description="The SHA-256 of the imported file.")
    region_code: str
    month: str
    imported_at: datetime
    imported_by: str
    totals: InvoiceTotals = Field(
        description="Side by side: invoiced; agreed; disputed (the lines, and the days and money in question); "
        "unknown (no stay of ours)."
    )


class InvoiceOut(InvoiceSummaryOut):
    repeated: bool = Field(False, description="The same file was imported before: nothing changed.")
    lines: list[CheckedLine] = Field(
        description="Every line: agreed, disputed (reason, the days and dates in question) or unknown."
    )


Shown = TypeVar("Shown", bound=InvoiceSummaryOut)


def shown_as(out: type[Shown], invoice: Invoice, **more: object) -> Shown:
    """The invoice as `out` shows it (its summary, or the whole invoice)."""
    shown = {name: getattr(invoice, name) for name in out.model_fields if hasattr(invoice, name)}
    return out.model_validate(shown | {"month": str(invoice.month), **more})


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


ONE_INVOICE: dict[str, Any] = {
    "response_model": InvoiceOut,
    "summary": "One checked invoice: every line and the totals side by side",
    "responses": {404: problem("No such invoice")},
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
        body = shown_as(InvoiceOut, imported.invoice, repeated=imported.repeated).model_dump(mode="json")
        return JSONResponse(body, status_code=200 if imported.repeated else 201)

    @router.get("/invoices", response_model=list[InvoiceSummaryOut], summary="The month's invoices with their totals")
    async def invoices_of_month(month: MonthQuery, actor: Actor = access.reader) -> list[InvoiceSummaryOut]:
        found_ = await run_safely(lambda: uc.invoices_of_month(deps, actor, month_of(month)))
        return [shown_as(InvoiceSummaryOut, i) for i in found_]

    @router.get("/invoices/{invoice_id}", **ONE_INVOICE)
    async def invoice(invoice_id: InvoiceId, actor: Actor = access.reader) -> InvoiceOut:
        one = await run_safely(lambda: uc.invoice_of(deps, actor, invoice_id))
        return shown_as(InvoiceOut, found(one, "such invoice"))

    @common.csv_route(
        router, "/invoice-disputes.csv", "The month's dispute list: every disputed or unknown line, as CSV"
    )
    async def disputes_csv(month: MonthQuery, actor: Actor = access.reader) -> Response:
        listed = await run_safely(lambda: uc.disputes_of_month(deps, actor, month_of(month)))
        rows = [(i.invoice_id, i.region_code, *_dispute_cells(line)) for i, line in listed]
        return common.csv_response(DISPUTE_HEADER, rows, f"invoice-disputes-{month}.csv")

    return router


def _dispute_cells(line: CheckedLine) -> tuple[object, ...]:
    values = list(common.cells(line, DISPUTE_COLUMNS))
    values[DISPUTE_COLUMNS.index("disputed_dates")] = " ".join(d.isoformat() for d in line.disputed_dates)
    return tuple(values)
