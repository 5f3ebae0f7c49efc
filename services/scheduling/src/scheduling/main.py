"""The scheduling service's app factory: `uvicorn scheduling.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from scheduling.bootstrap import Scheduling, bootstrap
from scheduling.config import Settings
from trygg_shared.service import create_process_app, create_service_app

DESCRIPTION = """
The team's working day: plans each granted Trygg hemgång decision into visits staffed with
continuity (one contact person, few different faces), orders hemtjänst for the time the team
does not cover, tracks visits from the team's phones, fires follow-ups and missed-visit checks
exactly once, and hands over to hemtjänst with a coded needs summary.
Consumes `trygg.referral.case-events.v1`; publishes `trygg.scheduling.period-events.v1` (keyed by
case id) and `trygg.scheduling.team-events.v1` (keyed by team id).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_process_app(settings or Settings(), bootstrap, http_app)


def http_app(scheduling: Scheduling, *, lifespan_enabled: bool = True) -> FastAPI:
    return create_service_app(
        scheduling.runtime,
        title="Trygg hemgång: scheduling",
        description=DESCRIPTION,
        lifespan_enabled=lifespan_enabled,
    )
