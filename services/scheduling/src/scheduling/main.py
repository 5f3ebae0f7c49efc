"""The scheduling service's app factory: `uvicorn scheduling.main:create_app --factory`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduling.bootstrap import Scheduling, bootstrap
from scheduling.config import Settings
from trygg_shared.http import PROBLEM_JSON
from trygg_shared.service import Infrastructure, configure_process, create_service_app

DESCRIPTION = """
The team's working day: plans each granted Trygg hemgång decision into visits staffed with
continuity (one contact person, few different faces), orders hemtjänst for the time the team
does not cover, tracks visits from the team's phones, fires follow-ups and missed-visit checks
exactly once, and hands over to hemtjänst with a coded needs summary.
Consumes `trygg.referral.case-events.v1`; publishes `trygg.scheduling.period-events.v1` (keyed by
case id) and `trygg.scheduling.team-events.v1` (keyed by team id).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    provider = configure_process(settings)
    return http_app(bootstrap(settings, infra=Infrastructure.create(settings, tracer_provider=provider)))


def http_app(scheduling: Scheduling, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        scheduling.runtime,
        title="Trygg hemgång: scheduling",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
    )
    _problem_media_types(app)
    app.add_middleware(AllowHeader, app_routes=app)
    return app


class AllowHeader:
    """A 405 lists every method the path supports (Starlette names only the first route's)."""

    def __init__(self, app: ASGIApp, app_routes: FastAPI) -> None:
        self._app = app
        self._routes = app_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods: set[str] = set()
                for route in self._routes.routes:
                    if isinstance(route, Route) and route.methods and route.path_regex.match(scope["path"]):
                        methods |= route.methods
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", ", ".join(sorted(methods)).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_allow)


def _problem_media_types(app: FastAPI) -> None:
    """Error responses are documented as what they are: `application/problem+json` with the Problem schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            problem = {"$ref": "#/components/schemas/Problem"}
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for response in operation.get("responses", {}).values():
                        documented = (response.get("content") or {}).get("application/json", {}).get("schema", {})
                        if str(documented.get("$ref", "")).endswith(("/Problem", "/HTTPValidationError")):
                            response["content"] = {PROBLEM_JSON: {"schema": problem}}
            schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
            schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
