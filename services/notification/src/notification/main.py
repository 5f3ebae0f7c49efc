"""The notification service's app factory: `uvicorn notification.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

from notification.bootstrap import bootstrap
from notification.config import Settings
from trygg_shared.service import ServiceApp

DESCRIPTION = """
SMS to relatives (only with the person's recorded consent; no health details) about the
homecoming visit, changes, the follow-up meeting, the handover to hemtjänst and the end of the
period, in Swedish, Finnish or English; on-call alerts (ready notice without a decision before
payment liability, missed visit, team at capacity, readmission, failed SMS) sent by SMS down the
rota until acknowledged. Consumes referral's and scheduling's events; publishes message and alert
events on `trygg.notification.events.v1`. Every error is `application/problem+json` (RFC 9457).
"""


APP = ServiceApp(
    Settings,
    bootstrap,
    title="Trygg hemgång: notification",
    description=DESCRIPTION,
)
create_app = APP.create_app
http_app = APP.http_app
