"""What every console page and endpoint shares: the signed-in actor, rendering with the security
headers, the Origin check of state-changing forms, and the responses the OpenAPI documents."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from console.domain.access import Actor, Page
from console.domain.figure_sources import SOURCES
from console.domain.figures import FIGURES
from console.entrypoints import i18n
from console.entrypoints.i18n import N_
from console.entrypoints.i18n import gettext as _
from console.entrypoints.labels import label
from console.service_layer import pages as uc
from console.service_layer.ports import Authenticator, Sessions
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.http import PROBLEM_JSON, ProblemError

P = ParamSpec("P")

bearer = HTTPBearer(auto_error=False, description="A role token (the same tokens as every service).")

HTML: dict[str, Any] = {"text/html": {}}
PROBLEM: dict[str, Any] = {PROBLEM_JSON: {}}
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": HTML, "description": "The page."},
    303: {"description": "Not signed in: to the login page."},
    403: {"content": HTML, "description": "The signed-in role may not see this page."},
    503: {"content": HTML, "description": "The audit record could not be written, so nothing is shown."},
}
API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"content": PROBLEM, "description": "No valid session or bearer token."},
    403: {"content": PROBLEM, "description": "The role may not read this."},
    422: {"content": PROBLEM, "description": "Invalid query parameters (or more than 24 months of figures)."},
}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

# English source text (msgids): templates show them through `_()`.
STATUS_LABELS = {
    "planning": N_("Planning"),
    "ready": N_("Ready for discharge"),
    "ready_revoked": N_("Ready notice revoked"),
    "discharged": N_("Discharged"),
    "at_home": N_("At home"),
    "deceased": N_("Deceased"),
    "cancelled": N_("Cancelled"),
}
DECISION_LABELS = {
    "awaiting_decision": N_("Awaiting decision"),
    "granted": N_("Granted"),
    "ended": N_("Ended"),
}


def html_page(
    router: APIRouter, path: str, summary: str, extra: dict[int | str, dict[str, Any]] | None = None
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Declares a page: GET `path`, HTML, the responses every page has (and `extra` ones of its own)."""
    return router.get(path, response_class=HTMLResponse, responses={**PAGE_RESPONSES, **(extra or {})}, summary=summary)


NOT_FROM_HERE: dict[int | str, dict[str, Any]] = {
    403: {"content": HTML, "description": "Not sent from the console's own pages (Origin)."}
}


def form_post(
    router: APIRouter, path: str, summary: str, responses: dict[int | str, dict[str, Any]], **extra: Any
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Declares a form a page posts: POST `path`, HTML, `responses` and the 403 of a request from elsewhere
    (the handler itself is wrapped in `Site.same_site_only`); `extra` as FastAPI takes it."""
    return router.post(
        path, response_class=HTMLResponse, responses={**NOT_FROM_HERE, **responses}, summary=summary, **extra
    )


def html_answers(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of pages answered with these statuses, each with its description."""
    return {status: {"content": HTML, "description": description} for status, description in descriptions.items()}


def signed_in_form(
    router: APIRouter, path: str, summary: str, done: str, answers: dict[int, str], **extra: Any
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Declares a form a signed-in user posts (see `form_post`): 303 once `done` or to the login page
    without a session (`Site.for_signed_in`), else the page again with one of its `answers`."""
    responses = {303: {"description": f"{done} (or not signed in: to the login page)."}, **html_answers(answers)}
    return form_post(router, path, summary, responses, **extra)


def templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("console", "templates"),
        autoescape=select_autoescape(),
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # Page text is marked `{{ _("English source text") }}`; the request's language translates it.
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = i18n.local
    env.filters["number"] = i18n.number
    env.filters["share"] = i18n.share
    env.filters["figure"] = i18n.figure
    env.filters["month"] = i18n.month
    env.globals.update(STATUS_LABELS=STATUS_LABELS, DECISION_LABELS=DECISION_LABELS, FIGURES=FIGURES)
    env.globals.update(FIGURE_SOURCES=SOURCES)
    env.globals.update(i18n.jinja_globals(), label=label)
    return Jinja2Templates(env=env)


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


@dataclass
class Site:
    """The console's pages and endpoints share this: who is signed in, and how a page is answered."""

    deps: uc.ConsoleDeps
    authenticator: Authenticator
    sessions: Sessions
    cookie_name: str
    secure_cookie: bool
    jaeger: str
    allowed_origins: tuple[str, ...] = ()
    templates: Jinja2Templates = field(default_factory=templates)

    def now(self) -> datetime:
        return self.deps.clock.now()

    @property
    def language_cookie(self) -> str:
        """The cookie that keeps a user's chosen language (the switch in the page header)."""
        return f"{self.cookie_name}_lang"

    async def use_language(self, request: Request) -> None:
        """Every route: the request is answered in the language its user chose, else Swedish."""
        i18n.use(i18n.chosen(request.cookies.get(self.language_cookie)))

    async def session_actor(self, request: Request) -> Actor | None:
        """The signed-in actor: the cookie's server-side session, still live, of a token still configured."""
        cookie = request.cookies.get(self.cookie_name)
        if not cookie:
            return None
        try:
            return await self.sessions.read(cookie, self.now())
        except StorageUnavailable:
            raise ProblemError(
                503, "Service Unavailable", "Sessions cannot be checked right now.", headers={"Retry-After": "5"}
            ) from None

    async def api_actor(self, request: Request, credentials: HTTPAuthorizationCredentials | None, page: Page) -> Actor:
        """The caller of a data endpoint, by bearer token or else session: 401 without one, 403 for the role."""
        if credentials:
            actor = self.authenticator.authenticate(credentials.credentials)
        else:
            actor = await self.session_actor(request)
        if actor is None:
            raise ProblemError(
                401, "Unauthorized", "Sign in or send a valid bearer token.", headers={"WWW-Authenticate": "Bearer"}
            )
        if not actor.may_see(page):
            raise ProblemError(403, "Forbidden", "Your role may not read this.")
        return actor

    def render(
        self, request: Request, template: str, actor: Actor | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        partial = request.headers.get("x-console-partial") == "1"
        response = self.templates.TemplateResponse(
            request,
            template,
            {"actor": actor, "now": self.now(), "partial": partial, "lang": i18n.current(), **context},
            status_code=status,
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    def error(self, request: Request, actor: Actor | None, status: int, title: str, message: str) -> HTMLResponse:
        return self.render(request, "error.html", actor, status, title=title, message=message)

    def to_login(self, request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    def forbidden(self, request: Request, actor: Actor) -> HTMLResponse:
        return self.error(request, actor, 403, _("Not for your role"), _("Your role may not see this page."))

    def unavailable(self, request: Request, actor: Actor) -> HTMLResponse:
        message = _("The read could not be recorded in the audit log, so nothing is shown. Try again in a moment.")
        return self.error(request, actor, 503, _("Try again shortly"), message)

    async def for_signed_in(self, request: Request, act: Callable[[Actor], Awaitable[Response]]) -> Response:
        """A form's answer (`act`) for the signed-in actor; without a session, to the login page."""
        actor = await self.session_actor(request)
        if actor is None:
            return self.to_login(request)
        return await act(actor)

    def same_site_only(self, handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
        """A state-changing handler (its first parameter `request`) that only a request from the console's
        own pages reaches: its Origin (or, without one, its Referer) must be this host or an allowed
        origin, else 403. SameSite=Strict alone lets other ports of the same host and sibling subdomains
        through. The check runs where the handler would: after the request's parameters are read."""

        @functools.wraps(handler)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> Response:
            request = kwargs["request"]
            assert isinstance(request, Request)
            origin = request.headers.get("origin") or request.headers.get("referer")
            if not same_origin(origin, request, self.allowed_origins):
                message = _("This request did not come from the console's own pages.")
                return self.error(request, None, 403, _("Refused"), message)
            return await handler(*args, **kwargs)

        return guarded

    async def show(
        self, request: Request, page: Page, load: Callable[[Actor], Any], template: str, **extra: Any
    ) -> Response:
        """A page of `page`'s roles: to the login page without a session, 403 for another role, 503 when
        the read could not be audited, 404 for a case not there; else `template` with the loaded model.
        Sessions that cannot be read are a page too (503, in the reader's language), not problem+json."""
        try:
            actor = await self.session_actor(request)
        except ProblemError as problem:
            message = _("Your session cannot be checked right now. Try again in a moment.")
            answer = self.error(request, None, problem.status, _("Try again shortly"), message)
            answer.headers.update(problem.headers)
            return answer
        if actor is None:
            return self.to_login(request)
        if not actor.may_see(page):
            return self.forbidden(request, actor)
        version = self.deps.feed.version  # before the read: a change during it still reaches the page
        try:
            model = await load(actor)
        except uc.Forbidden:
            return self.forbidden(request, actor)
        except StorageUnavailable:
            return self.unavailable(request, actor)
        except uc.NotFound:
            return self.error(request, actor, 404, _("Not found"), _("There is no such case here."))
        unrouted = await uc.unrouted_alerts(self.deps, actor)
        return self.render(
            request, template, actor, page=page.value, model=model, live_version=version, unrouted=unrouted, **extra
        )
