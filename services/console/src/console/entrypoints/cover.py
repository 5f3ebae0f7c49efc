"""`/cases/{case_id}/cover-order` (a printable page) and `/cases/{case_id}/cover-order.csv`: hemtjänst's
cover order of one case, for the hemtjänst unit. Same roles as a case's page; audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from console.domain.access import Page
from console.domain.cover import AREAS, CSV_HEADER, SUPPORT, TREND, WEEKDAY_SHORT, csv_rows
from console.entrypoints import i18n
from console.entrypoints.pages import NO_SUCH_CASE
from console.entrypoints.site import API_ERRORS, PROBLEM, Site, bearer, html_page
from console.service_layer import cover as cuc
from console.service_layer import pages as uc
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.csv_export import csv_text
from trygg_shared.fields import Text
from trygg_shared.http import ProblemError, known_query_only

CaseId = Annotated[Text, Path(max_length=100)]
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "One line per window of the cover order."},
    404: {"content": PROBLEM, "description": "No such case, or no cover order for it."},
    **API_ERRORS,
}


def cover_order_router(site: Site) -> APIRouter:
    router = APIRouter()

    summary = "Hemtjänst's cover order of a case: each window with why, the team's hours, the handover (printable)"

    @html_page(router, "/cases/{case_id}/cover-order", summary, NO_SUCH_CASE)
    async def cover_order_page(request: Request, case_id: CaseId) -> Response:
        return await site.show(
            request,
            Page.CASES,
            lambda a: cuc.cover_order_page(site.deps, a, case_id),
            "cover_order.html",
            weekday_short=WEEKDAY_SHORT,
            areas=AREAS,
            support=SUPPORT,
            trend=TREND,
        )

    @router.get(
        "/cases/{case_id}/cover-order.csv",
        response_class=Response,
        tags=["cover order"],
        dependencies=[Depends(known_query_only)],
        responses=CSV_RESPONSES,
        summary="Hemtjänst's cover order of a case as CSV (audited)",
    )
    async def cover_order_csv(
        request: Request,
        case_id: CaseId,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Response:
        actor = await site.api_actor(request, credentials, Page.CASES)
        try:
            model = await cuc.cover_order_page(site.deps, actor, case_id)
        except uc.NotFound:
            raise ProblemError(404, "Not Found", "There is no such case.") from None
        except uc.Forbidden:
            raise ProblemError(403, "Forbidden", "Your token does not act for this case's team.") from None
        except StorageUnavailable:
            raise ProblemError(503, "Service Unavailable", "Try again shortly.", headers={"Retry-After": "5"}) from None
        if model.order is None:
            raise ProblemError(404, "Not Found", "The case has no hemtjänst cover order.")
        lines = csv_rows(case_id, model.case.name, model.team_label, model.rows, i18n.gettext)
        return Response(
            csv_text(CSV_HEADER, lines),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="cover-order-{case_id[:8]}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return router
