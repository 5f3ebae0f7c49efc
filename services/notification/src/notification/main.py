"""The notification service's app factory: `uvicorn notification.main:create_app --factory`.

The only place with process-wide side effects: logging and tracing (`configure_process`).
"""

from __future__ import annotations

from fastapi import FastAPI

from notification.bootstrap import Notification, bootstrap
from notification.config import Settings
from trygg_shared.service import create_process_app, create_service_app

DESCRIPTION = """
SMS to relatives (only with the person's recorded consent; no health details) about the
homecoming visit, changes, the follow-up meeting, the handover to hemtjänst and the end of the
period, in Swedish, Finnish or English; on-call alerts (ready notice without a decision before
payment liability, missed visit, team at capacity, readmission, failed SMS) sent by SMS down the
rota until acknowledged. Consumes referral's and scheduling's events; publishes message and alert
events on `trygg.notification.events.v1`. Every error is `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_process_app(settings or Settings(), bootstrap, http_app)


def http_app(notification: Notification, *, lifespan_enabled: bool = True) -> FastAPI:
    return create_service_app(
        notification.runtime,
        title="Trygg hemgång: notification",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
    )
