"""`/`, `/login`, `/logout`: signing in with a role token (a server-side session behind a cookie) and out;
`/language`: the language a user chose (the switch in every page's header), kept in a cookie."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.entrypoints import i18n
from console.entrypoints.i18n import gettext as _
from console.entrypoints.site import HTML, Site, form_post
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.fields import Text
from trygg_shared.guard import route_limits
from trygg_shared.http import ProblemError


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _entry_pages(router: APIRouter, site: Site) -> None:
    """The start page (to the login or the role's first page) and the login form."""

    @router.get(
        "/",
        response_class=HTMLResponse,
        responses={303: {"description": "To the role's first page."}},
        summary="Start: to the login page or the role's first page",
    )
    async def start(request: Request) -> Response:
        actor = await site.session_actor(request)
        if actor is None or actor.home() is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(f"/{actor.home()}", status_code=303)  # type: ignore[str-bytes-safe]

    @router.get("/login", response_class=HTMLResponse, responses={200: {"content": HTML}}, summary="Login form")
    async def login_form(request: Request, next: Annotated[Text | None, Query(max_length=500)] = None) -> HTMLResponse:
        return site.render(request, "login.html", None, next=safe_next(next), error=None)


def login_router(site: Site) -> APIRouter:
    router = APIRouter()
    _entry_pages(router, site)

    @router.post(
        "/login",
        response_class=HTMLResponse,
        responses={
            303: {"description": "Signed in: to the page asked for."},
            401: {"content": HTML},
            403: {"content": HTML, "description": "Not sent from the console's own login page (Origin)."},
            503: {"content": HTML, "description": "The session could not be stored; try again."},
        },
        summary="Sign in with a role token",
        openapi_extra=route_limits(guessable=True),  # a wrong token counts as a failed attempt (429 after)
    )
    @site.same_site_only
    async def login(
        request: Request,
        token: Annotated[Text, Form(min_length=1, max_length=500)],
        next: Annotated[Text | None, Form(max_length=500)] = None,
    ) -> Response:
        return await signed_in(site, request, token, safe_next(next))

    @form_post(
        router,
        "/logout",
        "Sign out",
        {303: {"description": "To the login page; the session has ended (its cookie no longer works)."}},
    )
    @site.same_site_only
    async def logout(request: Request) -> Response:
        return await signed_out(site, request)

    @form_post(
        router,
        "/language",
        "Choose the console's language (Swedish unless English is chosen)",
        {303: {"description": "Back to the page the switch was on, in the chosen language from now on."}},
    )
    @site.same_site_only
    async def language(
        request: Request,
        language: Annotated[Literal["sv", "en"], Form()],
        next: Annotated[Text | None, Form(max_length=500)] = None,
    ) -> Response:
        return chose_language(site, language, safe_next(next))

    return router


def cookie_rules(site: Site) -> dict[str, Any]:
    """Every cookie the console sets (and deletes): the whole site's, never read by scripts, never sent
    from another site, and only over HTTPS unless the console runs locally over HTTP."""
    return {"path": "/", "secure": site.secure_cookie, "httponly": True, "samesite": "strict"}


LANGUAGE_COOKIE_DAYS = 400  # the longest a browser keeps a cookie (RFC 6265bis)


def chose_language(site: Site, language: str, target: str | None) -> Response:
    """The choice kept in a cookie of its own (it outlives sign-out: the same person, the same language)."""
    response = RedirectResponse(target or "/", status_code=303)
    response.set_cookie(
        site.language_cookie, i18n.chosen(language), max_age=LANGUAGE_COOKIE_DAYS * 86400, **cookie_rules(site)
    )
    return response


async def signed_in(site: Site, request: Request, token: str, target: str | None) -> Response:
    """A session for a valid token, its cookie set, and on to `target` or the role's first page."""
    try:
        started = await site.sessions.start(token.strip(), site.now())
    except StorageUnavailable:
        error = _("Signing in failed; try again shortly.")
        return site.render(request, "login.html", None, 503, next=target, error=error)
    if started is None:
        return site.render(request, "login.html", None, 401, next=target, error=_("That token is not valid."))
    cookie, actor = started
    home = actor.home()
    response = RedirectResponse(target or (f"/{home}" if home else "/"), status_code=303)
    response.set_cookie(
        site.cookie_name, cookie, max_age=int(site.sessions.max_age.total_seconds()), **cookie_rules(site)
    )
    return response


async def signed_out(site: Site, request: Request) -> Response:
    """The session ended (its cookie no longer works) and the cookie deleted; to the login page."""
    cookie = request.cookies.get(site.cookie_name)
    if cookie:
        try:
            await site.sessions.end(cookie)
        except StorageUnavailable:
            raise ProblemError(
                503, "Service Unavailable", "Could not sign out; try again.", headers={"Retry-After": "5"}
            ) from None
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(site.cookie_name, **cookie_rules(site))
    return response
