"""The referral service's app factory: `uvicorn referral.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

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
create_app = APP.create_app
http_app = APP.http_app
