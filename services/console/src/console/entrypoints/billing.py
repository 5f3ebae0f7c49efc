"""`/fees` (the running month's fees) and `/invoices` (the region's liability invoices: upload, the checked
invoice with its totals, the month's dispute list): officers' pages over the billing service's API."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from console.domain.access import Actor, Page
from console.domain.text import N_
from console.entrypoints.i18n import DASH, number
from console.entrypoints.i18n import gettext as _
from console.entrypoints.site import API_ERRORS, Site, bearer, html_answers, html_page, signed_in_form
from console.service_layer import billing as uc
from console.service_layer import pages
from console.service_layer.ports import BillingRefused, BillingUnavailable, InvoiceProblem
from trygg_shared.http import ProblemError

MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-2099
PageMonth = Annotated[str | None, Query(pattern=MONTH, description="The month, YYYY-MM.")]
InvoiceId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The invoice (its file's SHA-256).")]
REGION = r"^\d{2}$"
MAX_INVOICE_BYTES = 1_000_000  # the console's body limit is 1 MiB: the file and the form around it
BILLING_DOWN = html_answers({502: "Billing did not answer."})


# What billing says of a bad invoice file (its English text), and the fields, translated by value.
INVOICE_PROBLEMS = (
    N_("not text in the region's encoding"),
    N_("holds a NUL character"),
    N_("not readable as CSV (an unclosed quote?)"),
    N_("the file is empty"),
    N_("the invoice has no lines"),
    N_("not a valid personnummer or samordningsnummer"),
    N_("neither an identity number nor an episode id"),
    N_("longer than 100 characters"),
    N_("missing or longer than 200 characters"),
    N_("not a date (YYYY-MM-DD, 2000-2099)"),
    N_("before the ready date"),
    N_("not a whole number of days (0-999)"),
    N_("not an amount in kronor (at most two decimals)"),
)
INVOICE_FIELDS = {
    "identity_number": N_("identity number"),
    "episode_id": N_("episode id"),
    "care_unit": N_("care unit"),
    "ready_date": N_("ready date"),
    "discharge_date": N_("discharge date"),
    "days": N_("days"),
    "amount": N_("amount"),
    "header": N_("header"),
    "line": N_("line"),
    "file": N_("file"),
}


def problem_text(problem: InvoiceProblem) -> str:
    """One problem as the page says it, in the user's language (an unforeseen text of billing's as it came)."""
    field = _(INVOICE_FIELDS.get(problem.field, problem.field))
    if problem.line == 0:
        return _("The file: %(problem)s") % {"problem": _(problem.text)}
    return _("Line %(line)s, %(field)s: %(problem)s") % {
        "line": problem.line,
        "field": field,
        "problem": _(problem.text),
    }


UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["region", "month", "file"],
                    "properties": {
                        "region": {"type": "string", "pattern": REGION, "description": "The region (län code)."},
                        "month": {"type": "string", "pattern": MONTH, "description": "The invoice's month."},
                        "file": {"type": "string", "format": "binary", "description": "The invoice (CSV)."},
                    },
                }
            }
        },
    }
}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class _Down(Exception):
    pass


class _Missing(Exception):
    pass


def _last_month(today: date) -> str:
    return f"{today.year - (today.month == 1)}-{12 if today.month == 1 else today.month - 1:02d}"


def kronor(ore: int | None) -> str:
    """Öre as kronor in the language's format (sv: `2 575 kr`, `-12,5 kr`; en: `2,575 kr`)."""
    return DASH if ore is None else f"{number(ore / 100, 2)} kr"


async def _show(
    site: Site, request: Request, page: Page, load: Callable[[Actor], Awaitable[Any]], template: str, **extra: Any
) -> Response:
    """`site.show`, and 502 when billing did not answer, 404 for an invoice it does not have."""

    async def guarded(actor: Actor) -> Any:
        try:
            return await load(actor)
        except BillingUnavailable:
            raise _Down from None
        except pages.NotFound:
            raise _Missing from None

    try:
        return await site.show(request, page, guarded, template, kronor=kronor, **extra)
    except _Down:
        actor = await site.session_actor(request)
        message = _("The billing service did not answer; nothing is shown. Try again in a moment.")
        return site.error(request, actor, 502, _("Billing did not answer"), message)
    except _Missing:
        actor = await site.session_actor(request)
        return site.error(request, actor, 404, _("Not found"), _("There is no such invoice."))


def fees_router(site: Site) -> APIRouter:
    router = APIRouter()

    @html_page(router, "/fees", "The running month's fees per person, before the statements", BILLING_DOWN)
    async def fees_page(request: Request, month: PageMonth = None) -> Response:
        return await _show(site, request, Page.FEES, lambda a: uc.fees_page(site.deps, a, month), "fees.html")

    return router


def invoices_router(site: Site) -> APIRouter:
    router = APIRouter()
    deps = site.deps

    @html_page(router, "/invoices", "The region's liability invoices of a month, and the upload form", BILLING_DOWN)
    async def invoices_page(request: Request, month: PageMonth = None) -> Response:
        shown = month or _last_month(site.now().date())
        return await _show(
            site, request, Page.INVOICES, lambda a: uc.invoices_page(deps, a, shown), "invoices.html", month=shown
        )

    @html_page(
        router,
        "/invoices/{invoice_id}",
        "One checked invoice: the totals side by side and every line",
        {**BILLING_DOWN, **html_answers({404: "No such invoice."})},
    )
    async def invoice_page(request: Request, invoice_id: InvoiceId) -> Response:
        return await _show(site, request, Page.INVOICES, lambda a: uc.invoice_page(deps, a, invoice_id), "invoice.html")

    return router


def invoice_upload_router(site: Site) -> APIRouter:
    router = APIRouter()
    deps = site.deps

    @signed_in_form(
        router,
        "/invoices",
        "Import the region's liability invoice (CSV, through the billing service)",
        "Imported",
        {
            403: "The role may not import invoices.",
            409: "The same file was imported for another region or month.",
            413: "The file is too large.",
            422: "The file breaks the region's layout: each line's problems.",
            502: "Billing did not answer.",
        },
        openapi_extra=UPLOAD_FORM,
    )
    @site.same_site_only
    async def import_invoice(request: Request) -> Response:
        # The form is read after the session (a caller who is not signed in learns nothing), and checked
        # here, so that whatever is wrong with it is answered as a page (422), never as JSON.
        actor = await site.session_actor(request)
        if actor is None:
            return site.to_login(request)
        if not actor.may_see(Page.INVOICES):
            return site.forbidden(request, actor)
        try:
            form = await request.form()
        except HTTPException:  # not a readable form
            form = FormData()
        region, month, file = _text(form.get("region")), _text(form.get("month")), form.get("file")
        if not re.fullmatch(REGION, region) or not re.fullmatch(MONTH, month) or not isinstance(file, UploadFile):
            shown = month if re.fullmatch(MONTH, month) else _last_month(site.now().date())
            return await _upload_again(site, request, actor, shown, 422, _("Region, month and file are needed."))
        content = await file.read(MAX_INVOICE_BYTES + 1)
        if len(content) > MAX_INVOICE_BYTES:
            return await _upload_again(site, request, actor, month, 413, _("The file is too large (at most 1 MB)."))
        try:
            imported = await uc.import_invoice(deps, actor, region, month, content)
        except BillingRefused as exc:
            if exc.status == 409:
                title = _("This file was imported before for another region or month.")
                return await _upload_again(site, request, actor, month, 409, title)
            problems = [problem_text(p) for p in exc.problems]
            title = _("The file does not follow the region's layout; nothing was imported.")
            return await _upload_again(site, request, actor, month, 422, title, problems)
        except BillingUnavailable:
            message = _("The billing service did not answer; nothing was imported. Try again.")
            return await _upload_again(site, request, actor, month, 502, message)
        return RedirectResponse(f"/invoices/{imported['invoice_id']}", status_code=303)

    return router


DISPUTES_CSV: dict[str, Any] = {
    "response_class": Response,
    "summary": "The month's dispute list as CSV",
    "responses": {
        200: {"content": {"text/csv": {}}, "description": "The month's dispute list (billing's CSV)."},
        502: {"description": "Billing did not answer."},
        **API_ERRORS,
    },
}


def disputes_router(site: Site) -> APIRouter:
    router = APIRouter()
    deps = site.deps

    @router.get("/invoice-disputes.csv", **DISPUTES_CSV)
    async def disputes_csv(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        month: Annotated[str | None, Query(pattern=MONTH, description="The month, YYYY-MM (required).")] = None,
    ) -> Response:
        actor = await site.api_actor(request, credentials, Page.INVOICES)
        if month is None:
            raise ProblemError(422, "Unprocessable Content", "The month (YYYY-MM) is required.")
        try:
            content = await uc.disputes_csv(deps, actor, month)
        except BillingUnavailable:
            return Response("Billing did not answer.", status_code=502, media_type="text/plain")  # data: English
        headers = {"Content-Disposition": f'attachment; filename="invoice-disputes-{month}.csv"'}
        return Response(content, media_type="text/csv; charset=utf-8", headers=headers)

    return router


async def _upload_again(
    site: Site, request: Request, actor: Actor, month: str, status: int, title: str, problems: list[str] | None = None
) -> Response:
    """The invoices page again, with what went wrong (the problems billing named: lines and fields)."""
    try:
        model = await uc.invoices_page(site.deps, actor, month)
    except BillingUnavailable:
        model = []
    return site.render(
        request,
        "invoices.html",
        actor,
        status,
        page=Page.INVOICES.value,
        model=model,
        month=month,
        kronor=kronor,
        refused=title,
        problems=problems or [],
    )
