"""The scheduling HTTP API: teams (ops, team leads), the field API (the team's phones), the audit trail.

Routes translate HTTP to one use case and back, one module per resource: `teams` (configuration,
absences and sick calls, waiting list and capacity), `field` (the day's visits, a case's plan,
what happens at a visit), `cover` (hemtjänst's cover order) and `audit`. Every route needs a
bearer token; the role table is `ports.PERMISSIONS`, checked by the shared chassis (`trygg_shared.bearer`). Errors are
problem+json (`errors`): 401 without a valid token, 403 without the role, 404 unknown team, case
or visit, 409 a conflict with the plan's or the team's state, 422 invalid input, 503 the database
is unreachable. Responses that carry personal data (names, addresses, visit notes) are audited
before they are returned.
"""

from __future__ import annotations

from fastapi import APIRouter

from scheduling.entrypoints.audit import audit_router
from scheduling.entrypoints.checklist import checklist_router
from scheduling.entrypoints.cover import cover_router
from scheduling.entrypoints.field import reading_router, visit_router
from scheduling.entrypoints.teams import absence_router, load_router, team_router
from scheduling.service_layer.ports import Authenticator, SchedulingDeps

_ROUTERS = (
    team_router,
    absence_router,
    load_router,
    reading_router,
    cover_router,
    visit_router,
    checklist_router,
    audit_router,
)


def scheduling_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    """Every route of the API, in the order of its OpenAPI document."""
    router = APIRouter()
    for build in _ROUTERS:
        router.include_router(build(deps, authenticator))
    return router
