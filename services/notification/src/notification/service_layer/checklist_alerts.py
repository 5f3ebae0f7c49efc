"""The homecoming checklist's alert: an item still open before the homecoming visit tells the team lead.

Scheduling fires its open-item timer once per checklist (`homecoming_checklist_overdue`); the alert
id is the checklist's (case and period), so a repeated or replayed event raises nothing new.

Whom it reaches (`lead_first`): in the team's working hours (the hours of its `team_configured`,
in `NOTIFICATION_TIMEZONE`; public holidays are not known here) the team lead named on the team's
rota (`PUT /rotas/{team_id}`, `team_lead`) is told first, and the rota's on-call staff of the
moment follow down the escalation when the lead does not acknowledge. Out of hours, or with no
team lead on the rota, it goes to on-call staff like every alert (the team's rota, else the
fallback rota; unrouted when nobody is on call). Ticking the last item closes the alert
(`alert_resolved`, reason `checklist_completed`).
"""

from __future__ import annotations

from datetime import datetime

from notification.domain.alert import Responder
from notification.domain.ids import checklist_alert_id
from notification.domain.templates import AlertFacts, AlertTopic
from notification.service_layer.alerts import raise_alert, resolve_alert, route
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.relatives import local_time


async def in_team_hours(deps: NotificationDeps, team_id: str, now: datetime) -> bool:
    """Within the team's working hours (from its configuration in scheduling), local time."""
    contact = await deps.teams.get(team_id)
    if contact is None:
        return False
    local = local_time(deps, now)
    return any(h.weekday == local.weekday() and h.start <= local.time() < h.end for h in contact.hours)


async def lead_first(
    deps: NotificationDeps, team_id: str | None, now: datetime
) -> tuple[str | None, tuple[Responder, ...]]:
    """The team lead first in the team's hours, then who is on call; out of hours on-call only."""
    rota_id, on_call = await route(deps, team_id, now)
    if team_id is None or not await in_team_hours(deps, team_id, now):
        return rota_id, on_call
    rota = await deps.rotas.get(team_id)
    lead = rota.team_lead if rota else None
    if lead is None:
        return rota_id, on_call
    return team_id, (lead, *(r for r in on_call if r.phone != lead.phone))


async def checklist_open(
    deps: NotificationDeps, case_id: str, period_id: str, team_id: str, homecoming_at: datetime
) -> bool:
    """Scheduling found an item open at the deadline: the alert, raised once per checklist."""
    team = await deps.teams.get(team_id)
    facts = AlertFacts(case_ref=case_id[:8], at=local_time(deps, homecoming_at), team=team.name if team else team_id)
    return await raise_alert(
        deps,
        checklist_alert_id(case_id, period_id),
        AlertTopic.HOMECOMING_CHECKLIST_OPEN,
        facts,
        case_id=case_id,
        team_id=team_id,
        routing=lead_first,
    )


async def checklist_completed(deps: NotificationDeps, case_id: str, period_id: str) -> bool:
    """Every item ticked: the checklist's alert (if one was raised) closes itself."""
    return await resolve_alert(deps, checklist_alert_id(case_id, period_id), "checklist_completed")
