"""The web UI: server-rendered pages (Jinja2), a login form, live updates over server-sent events.

HTML pages answer `text/html`; a browser that is not signed in is sent to `/login` (303). The
JSON and CSV endpoints (`/api/...`, `/figures.csv`) also take a bearer token and answer errors
as problem+json. Every page with personal data writes an audit record first (the use cases do).

One module per part: `login` (sign in and out), `pages` (cases, today, alerts, audit; what the
Today page draws in `today`), `figures` (the page and the data endpoints), `live` (the change
events); what they share (the signed-in actor, rendering with the security headers, the Origin
check of forms) is `site.Site`.

Live updates: each page with changing content has a `data-live` region; `console.js` listens on
`/events` (SSE) and re-fetches that region when the read model changes, and ticks the
countdowns every second. Plain JavaScript, no framework: the pages need exactly two behaviours
and a vendored library would be one more thing to keep patched.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from fastapi import APIRouter, Depends
from fastapi.staticfiles import StaticFiles

from console.entrypoints.billing import disputes_router, fees_router, invoice_upload_router, invoices_router
from console.entrypoints.cover import cover_order_router
from console.entrypoints.figures import figures_data_router, figures_page_router
from console.entrypoints.live import live_router
from console.entrypoints.login import login_router
from console.entrypoints.ops import ops_router
from console.entrypoints.pages import alerts_router, audit_page_router, case_pages_router, today_router
from console.entrypoints.site import Site
from console.service_layer import pages as uc
from console.service_layer.ops import OpsDeps
from console.service_layer.ports import Authenticator, Sessions

STATIC_DIR = FilePath(__file__).resolve().parent.parent / "static"

# In the order the OpenAPI document lists them.
PARTS = (
    login_router,
    case_pages_router,
    cover_order_router,
    today_router,
    alerts_router,
    figures_page_router,
    audit_page_router,
    fees_router,
    invoices_router,
    invoice_upload_router,
    disputes_router,
    figures_data_router,
    live_router,
)


def web_router(
    deps: uc.ConsoleDeps,
    authenticator: Authenticator,
    sessions: Sessions,
    *,
    cookie_name: str,
    secure_cookie: bool,
    jaeger_url: str,
    allowed_origins: tuple[str, ...] = (),
    ops: OpsDeps | None = None,
) -> APIRouter:
    site = Site(deps, authenticator, sessions, cookie_name, secure_cookie, jaeger_url.rstrip("/"), allowed_origins)
    router = APIRouter(dependencies=[Depends(site.use_language)])  # each request in its user's language
    for part in PARTS:
        router.include_router(part(site))
    if ops is not None:  # the ops page needs the services' addresses and Kafka (bootstrap gives them)
        router.include_router(ops_router(site, ops))
    return router


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
