"""`/ops` (the ops role's start page) and `POST /ops/dead-letters/{letter_id}/replay`.

The page: each service's readiness and its reason, consumer lag per group, the oldest unpublished
outbox entry per service, dead letters with their reason and replay, alerts that reached nobody or
were escalated, and links to each message's and case's traces in Jaeger.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from console.domain.access import Actor, Page
from console.domain.ops import age_text, oldest_per_service, service_of_group, trace_search_url, trace_url
from console.entrypoints.i18n import gettext as _
from console.entrypoints.site import Site, html_page, signed_in_form
from console.service_layer import ops as uc
from console.service_layer.pages import Forbidden, NotFound
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.fields import Text

LetterId = Annotated[Text, Path(max_length=300, description="`<dead-letter topic>:<partition>:<offset>`")]


def ops_router(site: Site, ops: uc.OpsDeps) -> APIRouter:
    router = APIRouter()

    def links() -> dict[str, object]:
        return {
            "jaeger": site.jaeger,
            "trace_url": lambda trace_id: trace_url(site.jaeger, trace_id),
            "key_search": lambda service, key: trace_search_url(site.jaeger, service, key),
            "service_of": lambda group: service_of_group(group, ops.services) or group.split(".", 1)[0],
            "age": age_text,
            "oldest_per_service": oldest_per_service,
        }

    @html_page(router, "/ops", "Operations: health, lag, outbox, dead letters, unrouted and escalated alerts")
    async def ops_page(request: Request) -> Response:
        return await site.show(
            request, Page.OPS, lambda a: uc.ops_page(site.deps, ops, a), "ops.html", message=None, **links()
        )

    @signed_in_form(
        router,
        "/ops/dead-letters/{letter_id}/replay",
        "Publish a dead-lettered message again to its original topic (ops; audited; once)",
        "Replayed",
        {
            403: "The role may not replay, or not sent from the console's pages.",
            404: "No such dead letter.",
            409: "Already replayed (by this or another click).",
            502: "The record could not be published again; try again.",
            503: "The audit record could not be written: nothing was replayed.",
        },
    )
    @site.same_site_only
    async def replay(request: Request, letter_id: LetterId) -> Response:
        return await site.for_signed_in(request, lambda actor: replayed(site, ops, request, actor, letter_id, links()))

    return router


async def replayed(
    site: Site, ops: uc.OpsDeps, request: Request, actor: Actor, letter_id: str, links: dict[str, object]
) -> Response:
    """Back to the page once published; else the page again saying what went wrong."""
    try:
        await uc.replay_dead_letter(site.deps, ops, actor, letter_id)
    except Forbidden:
        return site.forbidden(request, actor)
    except NotFound:
        status, message = 404, _("There is no such dead letter.")
    except uc.AlreadyReplayed:
        status, message = 409, _("That message was already replayed.")
    except uc.ReplayFailed as exc:
        status, message = 502, _("The message could not be published again (%(reason)s); try again.") % {"reason": exc}
    except StorageUnavailable:
        status, message = 503, _("The replay could not be recorded, so nothing was published. Try again shortly.")
    else:
        return RedirectResponse("/ops#dead-letters", status_code=303)
    try:
        model = await uc.ops_page(site.deps, ops, actor)
    except StorageUnavailable:
        return site.error(request, actor, status, _("Not replayed"), message)
    return site.render(request, "ops.html", actor, status, page=Page.OPS.value, model=model, message=message, **links)
