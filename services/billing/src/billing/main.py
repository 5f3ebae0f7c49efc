"""The billing service's app factory: `uvicorn billing.main:create_app --factory`."""

from __future__ import annotations

from billing.bootstrap import bootstrap
from billing.config import Settings
from trygg_shared.service import ServiceApp

DESCRIPTION = """
The person's fees (maxtaxa-capped monthly statements with correction lines), the municipality's
payment liability to the region, and what the service costs. Consumes referral's case events and
billing subjects and scheduling's period events; publishes on `trygg.billing.events.v1`.
Roles: `officer` and `ops` (tariffs, runs and the audit trail: `ops`).
"""


APP = ServiceApp(
    Settings,
    bootstrap,
    title="Trygg hemgång: billing",
    description=DESCRIPTION,
)
create_app = APP.create_app
http_app = APP.http_app
