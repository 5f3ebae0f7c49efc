"""The notification service's app factory: `uvicorn notification.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from notification.bootstrap import bootstrap
from notification.config import Settings
from trygg_shared.service import create_service_app

DESCRIPTION = """
SMS to relatives (only with recorded consent) and alerts to on-call staff.
Consumes case events from referral (today: liability watches from ready-for-discharge notices).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    notification = bootstrap(settings or Settings())
    return create_service_app(notification.runtime, title="Trygg hemgång: notification", description=DESCRIPTION)
