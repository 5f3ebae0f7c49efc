"""The scheduling service's app factory: `uvicorn scheduling.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from scheduling.bootstrap import bootstrap
from scheduling.config import Settings
from trygg_shared.service import create_service_app

DESCRIPTION = """
The team's work: visits, staffing with continuity, follow-ups and handover to hemtjänst.
Consumes case events from referral (today: patients ready for discharge, awaiting decision).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    scheduling = bootstrap(settings or Settings())
    return create_service_app(scheduling.runtime, title="Trygg hemgång: scheduling", description=DESCRIPTION)
