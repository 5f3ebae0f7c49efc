"""The scheduling service's app factory: `uvicorn scheduling.main:create_app --factory`."""

from __future__ import annotations

from scheduling.bootstrap import bootstrap
from scheduling.config import Settings
from trygg_shared.service import ServiceApp

DESCRIPTION = """
The team's working day: plans each granted Trygg hemgång decision into visits staffed with
continuity (one contact person, few different faces), orders hemtjänst for the time the team
does not cover, tracks visits from the team's phones, fires follow-ups and missed-visit checks
exactly once, and hands over to hemtjänst with a coded needs summary.
Consumes `trygg.referral.case-events.v1`; publishes `trygg.scheduling.period-events.v1` (keyed by
case id) and `trygg.scheduling.team-events.v1` (keyed by team id).
"""


APP = ServiceApp(
    Settings,
    bootstrap,
    title="Trygg hemgång: scheduling",
    description=DESCRIPTION,
)
create_app = APP.create_app
http_app = APP.http_app
