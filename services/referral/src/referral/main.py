"""The referral service's app factory: `uvicorn referral.main:create_app --factory`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from referral.bootstrap import Referral, bootstrap
from referral.config import Settings
from trygg_shared.service import create_service_app

DESCRIPTION = """
Hospital messages (LUS) arrive here as signed webhooks and become cases; the payment-liability
clock runs from the ready notice; needs-assessment officers record their decisions.
Publishes case events on `trygg.referral.case-events.v1` (CloudEvents, keyed by case id).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return http_app(bootstrap(settings or Settings()))


def http_app(referral: Referral, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        referral.runtime, title="Trygg hemgång: referral", description=DESCRIPTION, lifespan_enabled=lifespan_enabled
    )
    _add_schemas(app, referral.openapi_defs)
    return app


def _add_schemas(app: FastAPI, defs: dict[str, Any]) -> None:
    """Publish the LUS body's component schemas next to FastAPI's own."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
