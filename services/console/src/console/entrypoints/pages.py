"""The pages staff read: `/cases` (and one case), `/today`, `/alerts` (and acknowledging one), `/audit`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from babel.dates import format_timedelta
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.domain.access import Actor, Page
from console.domain.ops import trace_search_url
from console.entrypoints import i18n, timeline_text, today
from console.entrypoints.i18n import gettext as _
from console.entrypoints.site import PROBLEM, Site, html_answers, html_page, signed_in_form
from console.service_layer import pages as uc
from console.service_layer.ports import AlertConflict, AlertNotFound, NotificationUnavailable
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.fields import PlausibleDate, Text

# The days a page may be asked for: wide enough for any real period, narrow enough that the
# page's own arithmetic (previous day, the capacity days ahead) never leaves Python's dates.
PageDay = PlausibleDate


def left_text(deadline: datetime, now: datetime) -> str:
    """'1 d 04:12:33 left' before, 'liable for 03:10:00' after, in the request's language (console.js ticks it
    with the same words, which the page gives it)."""
    seconds = int((deadline - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    text = f"{days} d {clock}" if days else clock
    return _("liable for %(time)s") % {"time": text} if past else _("%(time)s left") % {"time": text}


def ago(moment: datetime | None, now: datetime) -> str:
    """'för 47 minuter sedan' / '47 minutes ago': how long ago, in the reader's language (Babel)."""
    if moment is None:
        return "—"
    return format_timedelta(moment - now, add_direction=True, locale=i18n.locale())


# What the Alerts page's rows use besides the model.
ALERT_TOOLS = {"ago": ago, "left": left_text}


# A case's pages (the case, its cover order) answer 404 for a case the console does not know.
NO_SUCH_CASE = html_answers({404: "No such case."})


def case_pages_router(site: Site) -> APIRouter:
    router = APIRouter()
    deps = site.deps

    @html_page(router, "/cases", "Cases: ready for discharge and planning, soonest payment liability first")
    async def cases_page(request: Request) -> Response:
        return await site.show(request, Page.CASES, lambda a: uc.cases_board(deps, a), "cases.html", left=left_text)

    @html_page(
        router,
        "/cases/{case_id}",
        "One case with its timeline",
        NO_SUCH_CASE,
    )
    async def case_detail(request: Request, case_id: Annotated[Text, Path(max_length=100)]) -> Response:
        return await site.show(
            request,
            Page.CASES,
            lambda a: uc.case_page(deps, a, case_id),
            "case.html",
            left=left_text,
            timeline_line=timeline_text.line,
            trace_search=trace_search_url(site.jaeger, "referral", case_id),  # the key base64, as Jaeger holds it
            jaeger=site.jaeger,
        )

    return router


def today_router(site: Site) -> APIRouter:
    router = APIRouter()

    @html_page(
        router,
        "/today",
        "Today: visits per team member, missed and unstaffed visits, capacity",
        {422: {"content": PROBLEM, "description": "A day outside 2000–2099."}},
    )
    async def today_page(
        request: Request,
        day: Annotated[PageDay | None, Query(description="The day to show (local date); today when left out.")] = None,
    ) -> Response:
        return await site.show(
            request,
            Page.TODAY,
            lambda a: uc.today(site.deps, a, day),
            "today.html",
            lanes=today.lanes,
            position=today.position,
            kind=today.visit_kind,
            capacity_table=today.capacity_table,
            axis=today.DAY_AXIS,
            timedelta=timedelta,
        )

    return router


def alerts_router(site: Site) -> APIRouter:
    router = APIRouter()

    @html_page(router, "/alerts", "Open on-call alerts")
    async def alerts_page(request: Request) -> Response:
        return await site.show(
            request, Page.ALERTS, lambda a: uc.alerts_page(site.deps, a), "alerts.html", message=None, **ALERT_TOOLS
        )

    @signed_in_form(
        router,
        "/alerts/{alert_id}/acknowledge",
        "Acknowledge an alert (through the notification service)",
        "Acknowledged",
        {
            403: "The role may not acknowledge.",
            404: "No such alert.",
            409: "Already acknowledged.",
            502: "The notification service did not answer.",
        },
    )
    @site.same_site_only
    async def acknowledge(request: Request, alert_id: Text) -> Response:
        return await site.for_signed_in(request, lambda actor: acknowledged(site, request, actor, alert_id))

    return router


async def acknowledged(site: Site, request: Request, actor: Actor, alert_id: str) -> Response:
    """Back to the alerts once acknowledged; else the alerts page again with what went wrong."""
    status, message = 303, ""
    try:
        await uc.acknowledge_alert(site.deps, actor, alert_id)
    except uc.Forbidden:
        return site.forbidden(request, actor)
    except AlertNotFound:
        status, message = 404, _("That alert does not exist (any more).")
    except AlertConflict:
        status, message = 409, _("That alert was already acknowledged.")
    except NotificationUnavailable:
        status, message = 502, _("The notification service did not answer; the alert is still open. Try again.")
    if status == 303:
        return RedirectResponse("/alerts", status_code=303)
    version = site.deps.feed.version
    try:
        model = await uc.alerts_page(site.deps, actor)
    except (uc.Forbidden, StorageUnavailable):
        return site.error(request, actor, status, _("Not acknowledged"), message)
    return site.render(
        request,
        "alerts.html",
        actor,
        status,
        page="alerts",
        model=model,
        message=message,
        live_version=version,
        **ALERT_TOOLS,
    )


def audit_page_router(site: Site) -> APIRouter:
    router = APIRouter()

    @html_page(router, "/audit", "Who read personal data in the console, and when")
    async def audit_page(request: Request) -> Response:
        return await site.show(request, Page.AUDIT, lambda a: uc.audit_trail(site.deps, a), "audit.html")

    return router
