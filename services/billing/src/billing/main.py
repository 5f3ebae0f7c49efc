"""The billing service's app factory: `uvicorn billing.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from billing.bootstrap import Billing, bootstrap
from billing.config import Settings
from trygg_shared.service import create_process_app, create_service_app

DESCRIPTION = """
The person's fees (maxtaxa-capped monthly statements with correction lines), the municipality's
payment liability to the region, and what the service costs. Consumes referral's case events and
billing subjects and scheduling's period events; publishes on `trygg.billing.events.v1`.
Roles: `officer` and `ops` (tariffs, runs and the audit trail: `ops`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_process_app(settings or Settings(), bootstrap, http_app)


def http_app(billing: Billing, *, lifespan_enabled: bool = True) -> FastAPI:
    return create_service_app(
        billing.runtime, title="Trygg hemgång: billing", description=DESCRIPTION, lifespan_enabled=lifespan_enabled
    )
