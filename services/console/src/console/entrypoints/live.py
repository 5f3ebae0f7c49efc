"""`/events`: server-sent events that tell a signed-in page the read model changed (on any replica:
the shared change feed, `console.service_layer.changes`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse

from console.entrypoints.site import PROBLEM, Site
from console.service_layer.projections import ChangeFeed
from trygg_shared.http import ProblemError


def live_router(site: Site) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/events",
        response_class=Response,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "A `change` event per change."},
            401: {"content": PROBLEM, "description": "Not signed in."},
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
        if await site.session_actor(request) is None:
            raise ProblemError(401, "Unauthorized", "Sign in first.")
        seen = first_seen(request.headers.get("last-event-id"), since, site.deps.feed.version)

        async def gone() -> bool:
            """The browser left, or its session ended (logout, its end, a revoked token): the stream ends."""
            if await request.is_disconnected():
                return True
            try:
                return await site.session_actor(request) is None
            except ProblemError:  # sessions cannot be checked now: end; the browser reconnects
                return True

        feed = change_events(site.deps.feed, seen, gone)
        return EventSourceResponse(feed, ping=15, headers={"Cache-Control": "no-store"})

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
