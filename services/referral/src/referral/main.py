"""The referral service's app factory: `uvicorn referral.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Route

from referral.bootstrap import Referral, bootstrap
from referral.config import Settings
from trygg_shared.http import PROBLEM_JSON, problem_response
from trygg_shared.service import Infrastructure, configure_process, create_service_app

DESCRIPTION = """
Hospital messages (LUS) arrive here as signed webhooks and become cases; the payment-liability
clock runs from the ready notice under versioned regional agreements; needs-assessment
officers record their decisions. Publishes case events on `trygg.referral.case-events.v1` and
billing subjects on `trygg.referral.billing-subjects.v1` (CloudEvents, keyed by case id).
Every error is `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    provider = configure_process(settings)
    return http_app(bootstrap(settings, infra=Infrastructure.create(settings, tracer_provider=provider)))


def http_app(referral: Referral, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        referral.runtime, title="Trygg hemgång: referral", description=DESCRIPTION, lifespan_enabled=lifespan_enabled
    )
    _finish_openapi(app, referral.openapi_defs)
    _allow_lists_every_method(app)
    return app


def _allow_lists_every_method(app: FastAPI) -> None:
    """A 405's `Allow` names every method of the path, not only those of the first route that matched it.

    FastAPI has one route per method and path; Starlette answers a wrong method with the
    methods of the first route whose path matched, which for `/cases` (GET and POST) is half.
    """

    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        methods: set[str] = set()
        for route in app.router.routes:
            if isinstance(route, Route) and route.methods:
                match, _ = route.matches(request.scope)
                if match is not Match.NONE:
                    methods |= route.methods
        return problem_response(
            405,
            "Method not allowed",
            f"{request.method} is not allowed here.",
            headers={"Allow": ", ".join(sorted(methods))},
            instance=request.url.path,
        )

    app.add_exception_handler(405, method_not_allowed)


def problem_json_only(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses declared with the `Problem` model are served as `application/problem+json` only.

    FastAPI files a response model under the route's media type (`application/json`); the
    problem handlers answer `application/problem+json`, so the document says that instead.
    """
    problem_ref = "#/components/schemas/Problem"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in (operation.get("responses") or {}).items():
                content = response.get("content") or {}
                json_body = content.get("application/json") or {}
                if status[0] in "45" and json_body.get("schema", {}).get("$ref") == problem_ref:
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": problem_ref}}}
    return schema


def _finish_openapi(app: FastAPI, defs: dict[str, Any]) -> None:
    """Publish the LUS body's component schemas next to FastAPI's own; errors as problem+json."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs)
            app.openapi_schema = problem_json_only(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
