"""The referral service's app factory: `uvicorn referral.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

from fastapi import FastAPI

from referral.bootstrap import Referral, bootstrap
from referral.config import Settings
from trygg_shared.service import create_process_app, create_service_app

DESCRIPTION = """
Hospital messages (LUS) arrive here as signed webhooks and become cases; the payment-liability
clock runs from the ready notice under versioned regional agreements; needs-assessment
officers record their decisions. Publishes case events on `trygg.referral.case-events.v1`,
billing subjects on `trygg.referral.billing-subjects.v1` and relatives' phone numbers (for
notification only) on `trygg.referral.relative-contacts.v1` (CloudEvents, keyed by case id).
Every error is `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_process_app(settings or Settings(), bootstrap, http_app)


def http_app(referral: Referral, *, lifespan_enabled: bool = True) -> FastAPI:
    app = create_service_app(
        referral.runtime,
        title="Trygg hemgång: referral",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
        extra_schemas=referral.openapi_defs,  # the LUS body's component schemas
    )
    if referral.admission is not None:
        referral.admission.install(app)  # outside tracing and routing: a refusal costs the least
    return app
