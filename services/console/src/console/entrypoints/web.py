"""The web UI: server-rendered pages (Jinja2), a login form, live updates over server-sent events.

HTML pages answer `text/html`; a browser that is not signed in is sent to `/login` (303). The
JSON and CSV endpoints (`/api/...`, `/figures.csv`) also take a bearer token and answer errors
as problem+json. Every page with personal data writes an audit record first (the use cases do).

Live updates: each page with changing content has a `data-live` region; `console.js` listens on
`/events` (SSE) and re-fetches that region when the read model changes, and ticks the
countdowns every second. Plain JavaScript, no framework: the pages need exactly two behaviours
and a vendored library would be one more thing to keep patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from console.domain.access import Actor, Page
from console.domain.figures import ALL_TEAMS, FIGURES, Row, Value
from console.domain.visits import STOCKHOLM, VisitState
from console.entrypoints.charts import bar_chart
from console.service_layer import pages as uc
from console.service_layer.ports import (
    AlertConflict,
    AlertNotFound,
    Authenticator,
    NotificationUnavailable,
    Sessions,
    TodayView,
)
from console.service_layer.projections import ChangeFeed
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.csv_export import csv_text
from trygg_shared.fields import PlausibleDate, Text
from trygg_shared.guard import route_limits
from trygg_shared.http import PROBLEM_JSON, FieldError, ProblemError

STATIC_DIR = FilePath(__file__).resolve().parent.parent / "static"
MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-2099

_bearer = HTTPBearer(auto_error=False, description="A role token (the same tokens as every service).")

_HTML: dict[str, Any] = {"text/html": {}}
_PROBLEM: dict[str, Any] = {PROBLEM_JSON: {}}
_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": _HTML, "description": "The page."},
    303: {"description": "Not signed in: to the login page."},
    403: {"content": _HTML, "description": "The signed-in role may not see this page."},
    503: {"content": _HTML, "description": "The audit record could not be written, so nothing is shown."},
}
_API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"content": _PROBLEM, "description": "No valid session or bearer token."},
    403: {"content": _PROBLEM, "description": "The role may not read this."},
    422: {"content": _PROBLEM, "description": "Invalid query parameters (or more than 24 months of figures)."},
}

# The days a page may be asked for: wide enough for any real period, narrow enough that the
# page's own arithmetic (previous day, the capacity days ahead) never leaves Python's dates.
PageDay = PlausibleDate

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

STATUS_LABELS = {
    "planning": "Planning",
    "ready": "Ready for discharge",
    "ready_revoked": "Ready notice revoked",
    "discharged": "Discharged",
    "at_home": "At home",
    "deceased": "Deceased",
    "cancelled": "Cancelled",
}
DECISION_LABELS = {"awaiting_decision": "Awaiting decision", "granted": "Granted", "ended": "Ended"}


class FigureValueOut(BaseModel):
    value: float | None = Field(description="The figure (a share is 0..1); null when there is no data.")
    numerator: float | None = Field(None, description="For shares and means: the count or sum above the line.")
    denominator: int | None = Field(None, description="For shares and means: how many it is computed over.")


class FigureRowOut(BaseModel):
    month: str = Field(description="YYYY-MM (Swedish local time).")
    team: str = Field(description="Team id, or `*` for all teams.")
    team_label: str = Field(description="The team's name.")
    values: dict[str, FigureValueOut] = Field(description="Each figure by key.")


class FigureDefinitionOut(BaseModel):
    key: str
    title: str
    unit: str
    definition: str


class FiguresOut(BaseModel):
    months: list[str] = Field(description="The months computed, oldest first.")
    definitions: list[FigureDefinitionOut] = Field(description="What each figure means.")
    rows: list[FigureRowOut] = Field(description="One row per month and team (and all teams).")
    cases_left_out: int = Field(
        0,
        description="Cases the figures could not be computed for: left out, logged by case id and counted in "
        '`trygg_batch_record_failures_total{batch="figures"}`.',
    )


def _templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("console", "templates"), autoescape=select_autoescape(), auto_reload=False)
    env.filters["local"] = _local
    env.filters["share"] = _share
    env.filters["figure"] = _figure_text
    env.globals.update(STATUS_LABELS=STATUS_LABELS, DECISION_LABELS=DECISION_LABELS, FIGURES=FIGURES)
    return Jinja2Templates(env=env)


def _local(moment: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return moment.astimezone(STOCKHOLM).strftime(fmt)
    return moment.strftime(fmt if "%H" not in fmt else "%Y-%m-%d")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _figure_text(v: Value, unit: str) -> str:
    if v.value is None:
        return "—"
    if unit == "share":
        return f"{v.value * 100:.0f} % ({v.numerator:.0f}/{v.denominator})"
    if unit == "kr":
        return f"{v.value:,.0f} kr".replace(",", " ")
    if unit in ("days", "points", "staff") and v.value != int(v.value):
        return f"{v.value:.1f}".rstrip("0").rstrip(".") if unit != "staff" else f"{v.value:.2f}"
    return f"{v.value:.0f}"


def left_text(deadline: datetime, now: datetime) -> str:
    """'1 d 04:12:33 left' before, 'liable for 03:10:00' after (also what console.js shows)."""
    seconds = int((deadline - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    text = f"{days} d {clock}" if days else clock
    return f"liable for {text}" if past else f"{text} left"


def web_router(
    deps: uc.ConsoleDeps,
    authenticator: Authenticator,
    sessions: Sessions,
    *,
    cookie_name: str,
    secure_cookie: bool,
    jaeger_url: str,
    allowed_origins: tuple[str, ...] = (),
) -> APIRouter:
    templates = _templates()
    router = APIRouter()
    jaeger = jaeger_url.rstrip("/")

    def now() -> datetime:
        return deps.clock.now()

    async def session_actor(request: Request) -> Actor | None:
        """The signed-in actor: the cookie's server-side session, still live, of a token still configured."""
        cookie = request.cookies.get(cookie_name)
        if not cookie:
            return None
        try:
            return await sessions.read(cookie, now())
        except StorageUnavailable:
            raise ProblemError(
                503, "Service Unavailable", "Sessions cannot be checked right now.", headers={"Retry-After": "5"}
            ) from None

    async def api_actor(request: Request, credentials: HTTPAuthorizationCredentials | None, page: Page) -> Actor:
        actor = authenticator.authenticate(credentials.credentials) if credentials else await session_actor(request)
        if actor is None:
            raise ProblemError(
                401, "Unauthorized", "Sign in or send a valid bearer token.", headers={"WWW-Authenticate": "Bearer"}
            )
        if not actor.may_see(page):
            raise ProblemError(403, "Forbidden", "Your role may not read this.")
        return actor

    def render(request: Request, template: str, actor: Actor | None, status: int = 200, **context: Any) -> HTMLResponse:
        response = templates.TemplateResponse(
            request,
            template,
            {"actor": actor, "now": now(), "partial": request.headers.get("x-console-partial") == "1", **context},
            status_code=status,
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    def to_login(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    def forbidden(request: Request, actor: Actor) -> HTMLResponse:
        return render(
            request, "error.html", actor, 403, title="Not for your role", message="Your role may not see this page."
        )

    def unavailable(request: Request, actor: Actor) -> HTMLResponse:
        return render(
            request,
            "error.html",
            actor,
            503,
            title="Try again shortly",
            message="The read could not be recorded in the audit log, so nothing is shown. Try again in a moment.",
        )

    def cross_site(request: Request) -> HTMLResponse | None:
        """A state-changing request must come from the console's own pages: its Origin (or, without
        one, its Referer) must be this host or an allowed origin. SameSite=Strict alone lets other
        ports of the same host and sibling subdomains through."""
        if same_origin(request.headers.get("origin") or request.headers.get("referer"), request, allowed_origins):
            return None
        return render(
            request,
            "error.html",
            None,
            403,
            title="Refused",
            message="This request did not come from the console's own pages.",
        )

    async def show(request: Request, page: Page, load: Callable[[Actor], Any], template: str, **extra: Any) -> Response:
        actor = await session_actor(request)
        if actor is None:
            return to_login(request)
        if not actor.may_see(page):
            return forbidden(request, actor)
        version = deps.feed.version  # before the read: a change during it still reaches the page
        try:
            model = await load(actor)
        except uc.Forbidden:
            return forbidden(request, actor)
        except StorageUnavailable:
            return unavailable(request, actor)
        except uc.NotFound:
            return render(request, "error.html", actor, 404, title="Not found", message="There is no such case here.")
        unrouted = await uc.unrouted_alerts(deps, actor)
        return render(
            request, template, actor, page=page.value, model=model, live_version=version, unrouted=unrouted, **extra
        )

    # --- login ----------------------------------------------------------------------------------

    @router.get(
        "/",
        response_class=HTMLResponse,
        responses={303: {"description": "To the role's first page."}},
        summary="Start: to the login page or the role's first page",
    )
    async def start(request: Request) -> Response:
        actor = await session_actor(request)
        if actor is None or actor.home() is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(f"/{actor.home()}", status_code=303)  # type: ignore[str-bytes-safe]

    @router.get("/login", response_class=HTMLResponse, responses={200: {"content": _HTML}}, summary="Login form")
    async def login_form(
        request: Request,
        next: Annotated[Text | None, Query(max_length=500)] = None,
    ) -> HTMLResponse:
        return render(request, "login.html", None, next=_safe_next(next), error=None)

    @router.post(
        "/login",
        response_class=HTMLResponse,
        responses={
            303: {"description": "Signed in: to the page asked for."},
            401: {"content": _HTML},
            403: {"content": _HTML, "description": "Not sent from the console's own login page (Origin)."},
            503: {"content": _HTML, "description": "The session could not be stored; try again."},
        },
        summary="Sign in with a role token",
        openapi_extra=route_limits(guessable=True),  # a wrong token counts as a failed attempt (429 after)
    )
    async def login(
        request: Request,
        token: Annotated[Text, Form(min_length=1, max_length=500)],
        next: Annotated[Text | None, Form(max_length=500)] = None,
    ) -> Response:
        refused = cross_site(request)
        if refused is not None:
            return refused
        try:
            started = await sessions.start(token.strip(), now())
        except StorageUnavailable:
            return render(
                request, "login.html", None, 503, next=_safe_next(next), error="Signing in failed; try again shortly."
            )
        if started is None:
            return render(request, "login.html", None, 401, next=_safe_next(next), error="That token is not valid.")
        cookie, actor = started
        home = actor.home()
        target = _safe_next(next) or (f"/{home}" if home else "/")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            cookie_name,
            cookie,
            max_age=int(sessions.max_age.total_seconds()),
            httponly=True,
            secure=secure_cookie,
            samesite="strict",
            path="/",
        )
        return response

    @router.post(
        "/logout",
        response_class=HTMLResponse,
        responses={
            303: {"description": "To the login page; the session has ended (its cookie no longer works)."},
            403: {"content": _HTML, "description": "Not sent from the console's own pages (Origin)."},
        },
        summary="Sign out",
    )
    async def logout(request: Request) -> Response:
        refused = cross_site(request)
        if refused is not None:
            return refused
        cookie = request.cookies.get(cookie_name)
        if cookie:
            try:
                await sessions.end(cookie)
            except StorageUnavailable:
                raise ProblemError(
                    503, "Service Unavailable", "Could not sign out; try again.", headers={"Retry-After": "5"}
                ) from None
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(cookie_name, path="/", secure=secure_cookie, httponly=True, samesite="strict")
        return response

    # --- pages ------------------------------------------------------------------------------------

    @router.get(
        "/cases",
        response_class=HTMLResponse,
        responses=_PAGE_RESPONSES,
        summary="Cases: ready for discharge and planning, soonest payment liability first",
    )
    async def cases_page(request: Request) -> Response:
        return await show(request, Page.CASES, lambda a: uc.cases_board(deps, a), "cases.html", left=left_text)

    @router.get(
        "/cases/{case_id}",
        response_class=HTMLResponse,
        responses={**_PAGE_RESPONSES, 404: {"content": _HTML, "description": "No such case."}},
        summary="One case with its timeline",
    )
    async def case_detail(request: Request, case_id: Annotated[Text, Path(max_length=100)]) -> Response:
        return await show(
            request,
            Page.CASES,
            lambda a: uc.case_page(deps, a, case_id),
            "case.html",
            left=left_text,
            trace_search=_trace_search(jaeger, case_id),
            jaeger=jaeger,
        )

    @router.get(
        "/today",
        response_class=HTMLResponse,
        responses={**_PAGE_RESPONSES, 422: {"content": _PROBLEM, "description": "A day outside 2000–2099."}},
        summary="Today: visits per team member, missed and unstaffed visits, capacity",
    )
    async def today_page(
        request: Request,
        day: Annotated[PageDay | None, Query(description="The day to show (local date); today when left out.")] = None,
    ) -> Response:
        return await show(
            request,
            Page.TODAY,
            lambda a: uc.today(deps, a, day),
            "today.html",
            lanes=_lanes,
            position=_position,
            kind=visit_kind,
            capacity_table=_capacity_table,
            axis=DAY_AXIS,
            timedelta=timedelta,
        )

    @router.get("/alerts", response_class=HTMLResponse, responses=_PAGE_RESPONSES, summary="Open on-call alerts")
    async def alerts_page(request: Request) -> Response:
        return await show(request, Page.ALERTS, lambda a: uc.alerts_page(deps, a), "alerts.html", message=None)

    @router.post(
        "/alerts/{alert_id}/acknowledge",
        response_class=HTMLResponse,
        responses={
            303: {"description": "Acknowledged (or not signed in: to the login page)."},
            403: {"content": _HTML, "description": "The role may not acknowledge."},
            404: {"content": _HTML, "description": "No such alert."},
            409: {"content": _HTML, "description": "Already acknowledged."},
            502: {"content": _HTML, "description": "The notification service did not answer."},
        },
        summary="Acknowledge an alert (through the notification service)",
    )
    async def acknowledge(request: Request, alert_id: Text) -> Response:
        refused = cross_site(request)
        if refused is not None:
            return refused
        actor = await session_actor(request)
        if actor is None:
            return to_login(request)
        status, message = 303, ""
        try:
            await uc.acknowledge_alert(deps, actor, alert_id)
        except uc.Forbidden:
            return forbidden(request, actor)
        except AlertNotFound:
            status, message = 404, "That alert does not exist (any more)."
        except AlertConflict:
            status, message = 409, "That alert was already acknowledged."
        except NotificationUnavailable:
            status, message = 502, "The notification service did not answer; the alert is still open. Try again."
        if status == 303:
            return RedirectResponse("/alerts", status_code=303)
        version = deps.feed.version
        try:
            model = await uc.alerts_page(deps, actor)
        except (uc.Forbidden, StorageUnavailable):
            return render(request, "error.html", actor, status, title="Not acknowledged", message=message)
        return render(
            request, "alerts.html", actor, status, page="alerts", model=model, message=message, live_version=version
        )

    @router.get(
        "/figures",
        response_class=HTMLResponse,
        responses={**_PAGE_RESPONSES, 422: {"content": _PROBLEM, "description": "More than 24 months asked for."}},
        summary="Follow-up figures per month and team, with definitions",
    )
    async def figures_page(
        request: Request,
        first: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
        last: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
        team: Annotated[Text | None, Query(max_length=100)] = None,
    ) -> Response:
        first, last = _month_range(first, last)

        async def load(actor: Actor) -> Any:
            model = await uc.figures(deps, actor, first=first, last=last, team=team)
            return model

        query = urlencode({k: v for k, v in {"from": first, "to": last, "team": team}.items() if v})
        return await show(
            request,
            Page.FIGURES,
            load,
            "figures.html",
            charts=_charts,
            groups=_groups,
            csv_query=query,
            all_teams=ALL_TEAMS,
        )

    @router.get(
        "/audit",
        response_class=HTMLResponse,
        responses=_PAGE_RESPONSES,
        summary="Who read personal data in the console, and when",
    )
    async def audit_page(request: Request) -> Response:
        return await show(request, Page.AUDIT, lambda a: uc.audit_trail(deps, a), "audit.html")

    # --- data -------------------------------------------------------------------------------------

    @router.get(
        "/api/figures",
        response_model=FiguresOut,
        responses=_API_ERRORS,
        tags=["figures"],
        summary="The follow-up figures as JSON",
    )
    async def figures_json(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        first: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
        last: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
        team: Annotated[Text | None, Query(max_length=100)] = None,
    ) -> FiguresOut:
        _only_known_parameters(request)
        actor = await api_actor(request, credentials, Page.FIGURES)
        first, last = _month_range(first, last)
        model = await uc.figures(deps, actor, first=first, last=last, team=team)
        return FiguresOut(
            months=list(model.months),
            definitions=[
                FigureDefinitionOut(key=f.key, title=f.title, unit=f.unit, definition=f.definition) for f in FIGURES
            ],
            rows=[_row_out(r) for r in model.rows],
            cases_left_out=len(model.cases_left_out),
        )

    @router.get(
        "/figures.csv",
        response_class=Response,
        responses={
            200: {"content": {"text/csv": {}}, "description": "One line per month, team and figure."},
            **_API_ERRORS,
        },
        tags=["figures"],
        summary="The follow-up figures as CSV",
    )
    async def figures_csv(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        first: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
        last: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
        team: Annotated[Text | None, Query(max_length=100)] = None,
    ) -> Response:
        _only_known_parameters(request)
        actor = await api_actor(request, credentials, Page.FIGURES)
        first, last = _month_range(first, last)
        model = await uc.figures(deps, actor, first=first, last=last, team=team)
        name = f"trygg-hemgang-figures-{model.months[0]}-{model.months[-1]}.csv" if model.months else "figures.csv"
        return Response(
            figures_to_csv(model.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    @router.get(
        "/events",
        response_class=Response,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "A `change` event per change."},
            401: {"content": _PROBLEM, "description": "Not signed in."},
        },
        summary="Server-sent events: the read model changed",
    )
    async def events(
        request: Request,
        since: Annotated[
            int | None,
            Query(ge=0, description="The read-model version the page was rendered at (its `data-version`)."),
        ] = None,
    ) -> Response:
        if await session_actor(request) is None:
            raise ProblemError(401, "Unauthorized", "Sign in first.")
        seen = first_seen(request.headers.get("last-event-id"), since, deps.feed.version)

        async def gone() -> bool:
            """The browser left, or its session ended (logout, its end, a revoked token): the stream ends."""
            if await request.is_disconnected():
                return True
            try:
                return await session_actor(request) is None
            except ProblemError:  # sessions cannot be checked now: end; the browser reconnects
                return True

        return EventSourceResponse(change_events(deps.feed, seen, gone), ping=15, headers={"Cache-Control": "no-store"})

    return router


def first_seen(last_event_id: str | None, since: int | None, current: int) -> int:
    """The version a new stream counts from: the last event the browser had (a reconnect), else
    the version its page was rendered at, else now. A change between the page's read and the
    stream's start is then sent at once instead of lost."""
    if last_event_id is not None and last_event_id.isdigit():
        return int(last_event_id)
    return since if since is not None else current


async def change_events(
    feed: ChangeFeed, seen: int, disconnected: Callable[[], Awaitable[bool]], within: float = 15.0
) -> AsyncIterator[dict[str, str]]:
    """A `change` event (id: the version, so a reconnect resumes) whenever the version moves past `seen`."""
    while True:
        version = await feed.wait(seen, within)
        if await disconnected():
            return
        if version != seen:
            seen = version
            yield {"event": "change", "data": str(version), "id": str(version)}


def same_origin(origin: str | None, request: Request, allowed: tuple[str, ...]) -> bool:
    """Whether a request's Origin (or Referer) is the console itself (its Host) or an allowed origin."""
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if f"{parts.scheme}://{parts.netloc}".lower() in {a.rstrip("/").lower() for a in allowed}:
        return True
    host = request.headers.get("host")
    return host is not None and parts.netloc.lower() == host.lower()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _trace_search(jaeger: str, case_id: str) -> str:
    tags = '{"messaging.kafka.message.key":"' + case_id + '"}'
    return f"{jaeger}/search?{urlencode({'service': 'referral', 'tags': tags, 'limit': '50'})}"


FIGURE_PARAMETERS = frozenset({"from", "to", "team"})


def _only_known_parameters(request: Request) -> None:
    """The data endpoints are strict: an unknown or repeated query parameter is a mistake worth saying (422)."""
    unknown = sorted(set(request.query_params) - FIGURE_PARAMETERS)
    if unknown:  # the names are not echoed: error details never repeat request input
        raise ProblemError(
            422,
            "Unprocessable Content",
            "Unknown query parameters; use from, to and team.",
            errors=[FieldError(field="query", message=f"{len(unknown)} unknown parameter(s)", type="extra_forbidden")],
        )
    repeated = sorted(name for name in FIGURE_PARAMETERS if len(request.query_params.getlist(name)) > 1)
    if repeated:  # `team=a&team=b` would otherwise quietly mean `team=b`
        raise ProblemError(
            422,
            "Unprocessable Content",
            "Give each of from, to and team at most once.",
            errors=[
                FieldError(field=f"query.{name}", message="given more than once", type="too_long") for name in repeated
            ],
        )


MAX_FIGURE_MONTHS = 24  # a follow-up period; wider ranges are asked for in parts


def _month_range(first: str | None, last: str | None) -> tuple[str | None, str | None]:
    """The months between `from` and `to` whichever is given first (both within 2000-2099), at most
    MAX_FIGURE_MONTHS of them (422 beyond: the figures are computed per request)."""
    if first and last and first > last:
        first, last = last, first
    if first and last:
        span = int(last[:4]) * 12 + int(last[5:]) - (int(first[:4]) * 12 + int(first[5:])) + 1
        if span > MAX_FIGURE_MONTHS:
            raise ProblemError(
                422,
                "Unprocessable Content",
                f"Ask for at most {MAX_FIGURE_MONTHS} months at a time.",
                errors=[FieldError(field="query.to", message=f"at most {MAX_FIGURE_MONTHS} months", type="too_long")],
            )
    return first, last


def _row_out(row: Row) -> FigureRowOut:
    return FigureRowOut(
        month=row.month,
        team=row.team,
        team_label=row.team_label,
        values={
            k: FigureValueOut(value=v.value, numerator=v.numerator, denominator=v.denominator)
            for k, v in row.values.items()
        },
    )


def figures_to_csv(rows: list[Row] | tuple[Row, ...] | Any) -> str:
    """One line per month, team and figure; team names (data from the events) cannot become formulas."""
    header = ["month", "team", "team_name", "figure", "title", "unit", "value", "numerator", "denominator"]
    return csv_text(header, _figure_lines(rows))


def _figure_lines(rows: list[Row] | tuple[Row, ...] | Any) -> Iterator[list[object]]:
    for row in rows:
        for figure in FIGURES:
            v = row.values[figure.key]
            yield (
                [
                    row.month,
                    row.team,
                    row.team_label,
                    figure.key,
                    figure.title,
                    figure.unit,
                    "" if v.value is None else _csv_number(v.value),
                    "" if v.numerator is None else _csv_number(v.numerator),
                    "" if v.denominator is None else v.denominator,
                ]
            )


def _csv_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4f}".rstrip("0")


def _groups(rows: list[Row] | Any) -> list[tuple[str, list[Row]]]:
    """Rows per team (all teams first, as computed), each team's months in order."""
    out: dict[str, tuple[str, list[Row]]] = {}
    for row in rows:
        out.setdefault(row.team, (row.team_label, []))[1].append(row)
    return list(out.values())


def _charts(rows: list[Row] | Any) -> list[Any]:
    everyone = [r for r in rows if r.team == ALL_TEAMS]
    months = [r.month for r in everyone]

    def series(key: str) -> list[float | None]:
        return [r.values[key].value for r in everyone]

    return [
        bar_chart("People served per month", months, series("people_served")),
        bar_chart(
            "Home before payment liability",
            months,
            [None if v is None else v * 100 for v in series("home_before_liability")],
            fmt="{:.0f} %",
            maximum=100,
        ),
        bar_chart("Liability days per month", months, series("liability_days")),
        bar_chart(
            "Visits by the contact person",
            months,
            [None if v is None else v * 100 for v in series("contact_person_share")],
            fmt="{:.0f} %",
            maximum=100,
        ),
    ]


DAY_AXIS: Mapping[str, int] = {"start": 6, "end": 22}

_KINDS = {
    "hospital_visit": "At hospital",
    "homecoming": "Homecoming",
    "daily": "Daily visit",
    "follow_up_meeting": "Follow-up meeting (uppföljning)",
    "handover": "Handover to hemtjänst",
    "follow_up_call": "Follow-up call",
}


def visit_kind(kind: str) -> str:
    return _KINDS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Lane:
    label: str
    visits: list[VisitState]


@dataclass(frozen=True)
class TeamLanes:
    label: str
    lanes: list[Lane]


def _lanes(view: TodayView) -> list[TeamLanes]:
    """Per team, one lane per team member with visits (members in configured order), unstaffed last."""
    out = []
    for team_id in sorted({v.team_id for v in view.visits}):
        team = view.teams.get(team_id)
        visits = [v for v in view.visits if v.team_id == team_id]
        order = [m.staff_id for m in team.members] if team else []
        staff = sorted(
            {v.staff_id for v in visits if v.staff_id}, key=lambda s: (order.index(s) if s in order else len(order), s)
        )
        lanes = [
            Lane(
                team.member_label(s) if team else s,
                sorted((v for v in visits if v.staff_id == s), key=lambda v: v.planned_start),
            )
            for s in staff
        ]
        unstaffed = sorted((v for v in visits if v.staff_id is None), key=lambda v: v.planned_start)
        if unstaffed:
            lanes.append(Lane("Unstaffed", unstaffed))
        out.append(TeamLanes(team.label if team else team_id, lanes))
    return out


def _position(visit: VisitState, axis: Mapping[str, int]) -> tuple[float, float]:
    """x and width of a visit on a 0..1000 lane spanning the axis hours (local time)."""
    span = (axis["end"] - axis["start"]) * 60
    start = visit.planned_start.astimezone(STOCKHOLM)
    end = visit.planned_end.astimezone(STOCKHOLM)
    begin = (start.hour - axis["start"]) * 60 + start.minute
    minutes = max((end - start).total_seconds() / 60, 15)
    begin = min(max(begin, 0), span - 15)
    return round(begin * 1000 / span, 1), round(min(minutes, span - begin) * 1000 / span, 1)


@dataclass(frozen=True)
class CapacityCell:
    text: str
    over: bool


@dataclass(frozen=True)
class CapacityRow:
    label: str
    cells: list[CapacityCell]


@dataclass(frozen=True)
class CapacityTable:
    teams: list[str]
    days: list[date]
    rows: list[CapacityRow]


def _capacity_table(view: TodayView) -> CapacityTable:
    days = sorted({c.day for c in view.capacity})
    teams = sorted({c.team_id for c in view.capacity})
    cells = {(c.team_id, c.day): c for c in view.capacity}
    rows = []
    for team_id in teams:
        team = view.teams.get(team_id)
        row = []
        for d in days:
            c = cells.get((team_id, d))
            clients, capacity = (c.clients, c.capacity) if c else (0, None)
            text = f"{clients} / {capacity}" if capacity else str(clients)
            row.append(CapacityCell(text, capacity is not None and clients >= capacity))
        rows.append(CapacityRow(team.label if team else team_id, row))
    return CapacityTable(teams, days, rows)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
