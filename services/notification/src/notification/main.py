"""The notification service's app factory: `uvicorn notification.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI

from notification.bootstrap import Notification, bootstrap
from notification.config import Settings
from trygg_shared.http import PROBLEM_JSON
from trygg_shared.service import Infrastructure, configure_process, create_service_app

DESCRIPTION = """
SMS to relatives (only with the person's recorded consent; no health details) about the
homecoming visit, changes, the follow-up meeting, the handover to hemtjänst and the end of the
period, in Swedish, Finnish or English; on-call alerts (ready notice without a decision before
payment liability, missed visit, team at capacity, readmission, failed SMS) sent by SMS down the
rota until acknowledged. Consumes referral's and scheduling's events; publishes message and alert
events on `trygg.notification.events.v1`. Every error is `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    provider = configure_process(settings)
    return http_app(bootstrap(settings, infra=Infrastructure.create(settings, tracer_provider=provider)))


def http_app(notification: Notification, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        notification.runtime,
        title="Trygg hemgång: notification",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
    )
    _finish_openapi(app)
    _allow_every_method_of_a_path(app)
    return app


def _allow_every_method_of_a_path(app: FastAPI) -> None:
    """A 405 lists every method of the path in `Allow` (Starlette names only the first route's)."""
    from fastapi.routing import APIRoute
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import Request
    from starlette.responses import Response

    chassis_handler = app.exception_handlers[StarletteHTTPException]

    async def handler(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            methods = {
                method
                for route in app.routes
                if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                for method in (route.methods or ())
            }
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
        answer = chassis_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, handler)


def problem_json_only(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses declared with the `Problem` model are served as `application/problem+json` only."""
    problem_ref = "#/components/schemas/Problem"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in (operation.get("responses") or {}).items():
                content = response.get("content") or {}
                json_body = content.get("application/json") or {}
                if status[0] in "45" and json_body.get("schema", {}).get("$ref") == problem_ref:
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": problem_ref}}}
    return schema


def _finish_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_json_only(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
