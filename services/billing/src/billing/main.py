"""The billing service's app factory: `uvicorn billing.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from billing.bootstrap import bootstrap
from billing.config import Settings
from trygg_shared.service import create_service_app

DESCRIPTION = """
The person's fees, the municipality's payment liability to the region, and cost reports.
Consumes case events from referral (today: liability periods from ready, revoked and discharged).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    billing = bootstrap(settings or Settings())
    return create_service_app(billing.runtime, title="Trygg hemgång: billing", description=DESCRIPTION)
