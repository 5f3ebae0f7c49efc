"""The referral service's app factory: `uvicorn referral.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`), and the
garbage collector's frozen start-up heap (`create_app`).
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from referral.bootstrap import Referral, bootstrap
from referral.config import Settings
from trygg_shared.service import ServiceApp

DESCRIPTION = """
Hospital messages (LUS) arrive here as signed webhooks and become cases; the payment-liability
clock runs from the ready notice under versioned regional agreements; needs-assessment
officers record their decisions. Publishes case events on `trygg.referral.case-events.v1`,
billing subjects on `trygg.referral.billing-subjects.v1` and relatives' phone numbers (for
notification only) on `trygg.referral.relative-contacts.v1` (CloudEvents, keyed by case id).
Every error is `application/problem+json` (RFC 9457).
"""


def _admission(referral: Referral, app: FastAPI) -> None:
    if referral.admission is not None:
        referral.admission.install(app)  # outside tracing and routing: a refusal costs the least


APP = ServiceApp(
    Settings,
    bootstrap,
    title="Trygg hemgång: referral",
    description=DESCRIPTION,
    extra_schemas=lambda referral: referral.openapi_defs,  # the LUS body's component schemas
    finish=_admission,
)
http_app = APP.http_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """The production app; what start-up built (modules, schemas, routes, clients) is then frozen out of
    the garbage collector's reach. Python's full collections walk every tracked object: with the
    start-up heap in the walk they stopped the event loop for 50-350 ms under overload (bench/README.md),
    every answer waiting behind them, a 503 included. Frozen objects are never collected: they live as
    long as the process anyway."""
    app = APP.create_app(settings)
    gc.collect()  # the garbage of start-up is not kept forever
    gc.freeze()
    return app
