"""Use cases behind the HTTP API's reads and the rota: personal data is audited before it is shown."""

from __future__ import annotations

from collections.abc import Sequence

from notification.domain.alert import Alert, AlertState, Rota
from notification.domain.casefile import ConsentEntry
from notification.domain.message import Message
from notification.service_layer.auth import Actor
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import AuditRecord, LocalSmsLog, StoredSms


class NotFound(LookupError):
    pass


async def list_alerts(
    deps: NotificationDeps, *, state: AlertState | None, team_id: str | None, limit: int
) -> list[Alert]:
    return await deps.alert_queries.list(state=state, team_id=team_id, limit=limit)


async def get_alert(deps: NotificationDeps, alert_id: str) -> Alert:
    loaded = await deps.alerts.load(alert_id)
    if loaded is None:
        raise NotFound(alert_id)
    return loaded.state


async def read_rota(deps: NotificationDeps, actor: Actor, team_id: str) -> Rota:
    """The rota with its phone numbers: audited first."""
    await _audit(deps, actor, "read_rota", f"rota:{team_id}")
    rota = await deps.rotas.get(team_id)
    if rota is None:
        raise NotFound(team_id)
    return rota


async def replace_rota(deps: NotificationDeps, actor: Actor, rota: Rota) -> None:
    await _audit(deps, actor, "replace_rota", f"rota:{rota.team_id}")
    await deps.rotas.put(rota)
    deps.wake_timers()  # alerts that reached nobody go to this rota's first responder now (the timer round)


async def message_status(deps: NotificationDeps, message_id: str) -> Message:
    found = await deps.message_queries.get(message_id)
    if found is None:
        raise NotFound(message_id)
    return found


async def case_messages(deps: NotificationDeps, case_id: str, limit: int) -> list[Message]:
    return await deps.message_queries.for_case(case_id, limit)


async def consent_log(deps: NotificationDeps, case_id: str) -> list[ConsentEntry]:
    loaded = await deps.cases.load(case_id)
    if loaded is None:
        raise NotFound(case_id)
    return list(loaded.state.consent_log)


async def local_messages(deps: NotificationDeps, log: LocalSmsLog, actor: Actor, limit: int) -> Sequence[StoredSms]:
    """What the local provider kept (numbers and texts): audited first."""
    await _audit(deps, actor, "read_local_sms", "local_sms")
    return await log.list(limit)


async def audit_trail(deps: NotificationDeps, subject: str | None, limit: int) -> Sequence[AuditRecord]:
    return await (deps.audit.for_subject(subject, limit) if subject else deps.audit.recent(limit))


async def _audit(deps: NotificationDeps, actor: Actor, action: str, subject: str) -> None:
    await deps.audit.append(AuditRecord.new(deps.clock.now(), actor.subject, actor.roles, action, subject=subject))
