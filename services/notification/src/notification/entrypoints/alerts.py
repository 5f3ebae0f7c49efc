"""On-call alerts: list, read and acknowledge (`oncall`), and the acknowledgement link of an alert SMS.

The link (`/ack/{code}`) needs no token: the code is the credential, and GET only shows a form
(link previewers must not acknowledge anything).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import Field

from notification.domain.alert import AckChannel, Alert, AlertState
from notification.entrypoints.common import HTML_OK, ID, Limit, PathCode, PathId, page
from notification.entrypoints.errors import AUTH_ERRORS, COMMON_ERRORS, CONFLICT, NOT_FOUND, domain_errors
from notification.service_layer import alerts as uc
from notification.service_layer import ops
from notification.service_layer.auth import PERMISSIONS, Actor, Authenticator
from notification.service_layer.deps import NotificationDeps
from trygg_shared.bearer import require
from trygg_shared.guard import route_limits
from trygg_shared.http import Out, ProblemError, example
from trygg_shared.mapping import to_contract

_ALERT_EXAMPLE: dict[str, Any] = {
    "alert_id": "liability:a81ac505-f085-519e-9ef6-973a857711b7:1795507200",
    "topic": "liability_no_decision",
    "state": "open",
    "case_id": "a81ac505-f085-519e-9ef6-973a857711b7",
    "team_id": "team-vast",
    "raised_at": "2026-11-24T23:00:00Z",
    "due_at": "2026-11-25T23:00:00Z",
    "level": 0,
    "responders_on_call": 2,
    "exhausted": False,
    "escalate_at": "2026-11-24T23:15:00Z",
    "acknowledged_by": None,
    "acknowledged_at": None,
    "channel": None,
}


class AlertOut(Out):
    """An on-call alert (no phone numbers)."""

    model_config = example(_ALERT_EXAMPLE)

    alert_id: str
    topic: str
    state: AlertState
    case_id: str | None
    team_id: str | None
    raised_at: datetime
    due_at: datetime | None = Field(description="The moment it is about (liability start, the visit's start).")
    level: int = Field(description="The rota position told last (0 = first).")
    responders_on_call: int
    exhausted: bool = Field(description="Everybody on the rota was told; nobody acknowledged.")
    escalate_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    channel: AckChannel | None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        """The alert's own fields by name; the moment it is about and how many are on call given."""
        return to_contract(cls, alert, due_at=alert.facts.at, responders_on_call=len(alert.responders))


def alerts_router(deps: NotificationDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["alerts"], responses=AUTH_ERRORS)
    oncall = require(authenticator, PERMISSIONS["read_alerts"])
    acknowledger = require(authenticator, PERMISSIONS["acknowledge"])

    @router.get(
        "/alerts",
        response_model=list[AlertOut],
        summary="On-call alerts, newest first",
    )
    async def list_alerts(
        state: AlertState | None = None,
        team_id: Annotated[str | None, Query(pattern=ID)] = None,
        limit: Limit = 100,
        actor: Actor = oncall,
    ) -> list[AlertOut]:
        with domain_errors():
            alerts = await ops.list_alerts(deps, state=state, team_id=team_id, limit=limit)
        return [AlertOut.of(a) for a in alerts]

    @router.get(
        "/alerts/{alert_id}",
        response_model=AlertOut,
        summary="One alert",
        responses=NOT_FOUND,
    )
    async def get_alert(alert_id: PathId, actor: Actor = oncall) -> AlertOut:
        with domain_errors():
            return AlertOut.of(await ops.get_alert(deps, alert_id))

    @router.post(
        "/alerts/{alert_id}/acknowledgement",
        response_model=AlertOut,
        summary="Acknowledge an alert: escalation stops",
        responses={**NOT_FOUND, **CONFLICT},
    )
    async def acknowledge(alert_id: PathId, actor: Actor = acknowledger) -> AlertOut:
        with domain_errors():
            return AlertOut.of(await uc.acknowledge(deps, alert_id, actor.subject, AckChannel.API))

    return router


def ack_link_router(deps: NotificationDeps) -> APIRouter:
    router = APIRouter(tags=["alerts"], responses=COMMON_ERRORS)

    @router.get(
        "/ack/{code}",
        response_class=HTMLResponse,
        summary="The acknowledgement link of an alert SMS: a page with a button",
        responses={**HTML_OK, **NOT_FOUND},
        openapi_extra=route_limits(guessable=True),  # an unknown code counts as a failed attempt (429 after)
    )
    async def ack_page(code: PathCode) -> HTMLResponse:
        alert_id = await deps.alert_queries.by_ack_code(code.upper())
        if alert_id is None:
            raise ProblemError(404, "Not found", "No alert has this code.")
        safe = html.escape(code.upper())
        return page(
            "Kvittera larm",
            f"<p>Larmkod {safe}.</p><form method='post' action='/ack/{safe}'>"
            "<button type='submit'>Jag tar larmet</button></form>",
        )

    @router.post(
        "/ack/{code}",
        response_class=HTMLResponse,
        summary="Acknowledge through the link in the SMS (the code is the credential)",
        responses={**HTML_OK, **NOT_FOUND, **CONFLICT},
        openapi_extra=route_limits(guessable=True),
    )
    async def ack_by_link(code: PathCode) -> HTMLResponse:
        with domain_errors():
            await uc.acknowledge_by_code(deps, code, "oncall:sms-link", AckChannel.LINK)
        return page("Larmet är kvitterat", "<p>Tack. Larmet eskaleras inte vidare.</p>")

    return router
