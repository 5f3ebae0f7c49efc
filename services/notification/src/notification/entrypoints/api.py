"""The HTTP API of on-call staff (alerts) and operations (rotas, message status, consent log, audit).

Roles: `oncall` reads and acknowledges alerts; `ops` manages rotas and reads message status, the
consent log, the audit trail and (with the local provider) the messages that would have been
sent. Reads of phone numbers or message texts are audited first. The acknowledgement link in an
alert SMS (`/ack/{code}`) needs no token: the code is the credential, and GET only shows a form
(link previewers must not acknowledge anything).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from notification.domain.alert import AckChannel, Alert, AlertState, Responder, Rota, Shift
from notification.domain.message import Message
from notification.entrypoints.errors import AUTH_ERRORS, COMMON_ERRORS, CONFLICT, NOT_FOUND, domain_errors, problem
from notification.entrypoints.security import require
from notification.service_layer import alerts as uc
from notification.service_layer import ops
from notification.service_layer.auth import Actor, Authenticator, Role
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import LocalSmsLog
from trygg_shared.fields import PlausibleAwareDatetime, Text
from trygg_shared.guard import route_limits
from trygg_shared.http import ProblemError

_ID = r"^[A-Za-z0-9_.:\-]{1,200}$"
_CODE = r"^[A-Za-z0-9]{4,16}$"
E164 = r"^\+[1-9]\d{6,14}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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


class AlertOut(_Out):
    """An on-call alert (no phone numbers)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT_EXAMPLE]})

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
        return cls(
            alert_id=alert.alert_id,
            topic=alert.topic.value,
            state=alert.state,
            case_id=alert.case_id,
            team_id=alert.team_id,
            raised_at=alert.raised_at,
            due_at=alert.facts.at,
            level=alert.level,
            responders_on_call=len(alert.responders),
            exhausted=alert.exhausted,
            escalate_at=alert.escalate_at,
            acknowledged_by=alert.acknowledged_by,
            acknowledged_at=alert.acknowledged_at,
            channel=alert.channel,
        )


class ResponderIO(_In):
    responder_id: str = Field(pattern=_ID, max_length=100, description="Stable id of the person (staff).")
    phone: str = Field(pattern=E164, description="Mobile number in E.164.")


class ShiftIO(_In):
    starts_at: PlausibleAwareDatetime = Field(description="Start of the shift (with its UTC offset).")
    minutes: int = Field(ge=15, le=20160, description="Length of the shift in minutes (at most two weeks).")
    responders: list[ResponderIO] = Field(min_length=1, max_length=10, description="In escalation order.")


_ROTA_EXAMPLE: dict[str, Any] = {
    "shifts": [
        {
            "starts_at": "2026-11-23T07:00:00+01:00",
            "minutes": 720,
            "responders": [
                {"responder_id": "staff-anna", "phone": "+46701234567"},
                {"responder_id": "staff-bo", "phone": "+46701234568"},
            ],
        }
    ]
}


class RotaIO(_In):
    """Who is on call when: shifts, each with responders in the order alerts escalate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ROTA_EXAMPLE]})

    shifts: list[ShiftIO] = Field(max_length=1000)

    def to_rota(self, team_id: str) -> Rota:
        return Rota(
            team_id,
            tuple(
                Shift(
                    s.starts_at,
                    s.starts_at + timedelta(minutes=s.minutes),
                    tuple(Responder(r.responder_id, r.phone) for r in s.responders),
                )
                for s in self.shifts
            ),
        )

    @classmethod
    def of(cls, rota: Rota) -> RotaIO:
        return cls(
            shifts=[
                ShiftIO(
                    starts_at=s.starts_at,
                    minutes=int((s.ends_at - s.starts_at).total_seconds() // 60),
                    responders=[ResponderIO(responder_id=r.responder_id, phone=r.phone) for r in s.responders],
                )
                for s in rota.shifts
            ]
        )


class MessageOut(_Out):
    """A message's delivery state: no phone number, no text."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "m_3f0c9a8e6b1d4c2a9e7f5d3b1a0c8e6f",
                    "kind": "homecoming_scheduled",
                    "recipient_kind": "relative",
                    "case_id": "a81ac505-f085-519e-9ef6-973a857711b7",
                    "alert_id": None,
                    "language": "sv",
                    "state": "delivered",
                    "attempts": 1,
                    "provider": "46elks",
                    "created_at": "2026-11-24T21:30:00Z",
                    "not_before": "2026-11-25T07:00:00Z",
                    "held_for_quiet_hours": True,
                    "status_at": "2026-11-25T07:00:04Z",
                    "failure_reason": None,
                }
            ]
        }
    )

    message_id: str
    kind: str
    recipient_kind: str
    case_id: str | None
    alert_id: str | None
    language: str
    state: str
    attempts: int
    provider: str | None
    created_at: datetime
    not_before: datetime
    held_for_quiet_hours: bool
    status_at: datetime | None
    failure_reason: str | None

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            message_id=m.message_id,
            kind=m.kind.value,
            recipient_kind=m.recipient.value,
            case_id=m.case_id,
            alert_id=m.alert_id,
            language=m.language.value,
            state=m.state.value,
            attempts=m.attempts,
            provider=m.provider,
            created_at=m.created_at,
            not_before=m.not_before,
            held_for_quiet_hours=m.held_for_quiet_hours,
            status_at=m.status_at,
            failure_reason=m.failure_reason,
        )


class ConsentEntryOut(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "relative_id": "a1b2c3d4e5f6",
                    "change": "withdrawn",
                    "recorded_by": "officer:anna.svensson",
                    "recorded_at": "2026-11-26T09:12:00Z",
                    "source_event_id": "0b9a4c1e-6f2d-4f7e-9a51-3c2b1d0e9f87",
                }
            ]
        },
    )

    relative_id: str
    change: str = Field(description="`given` or `withdrawn`.")
    recorded_by: str
    recorded_at: datetime
    source_event_id: str


class LocalSmsOut(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "provider_id": "local_5b1f0c3e2d4a4e8f9a7b6c5d4e3f2a1b",
                    "message_id": "m_3f0c9a8e6b1d4c2a9e7f5d3b1a0c8e6f",
                    "to": "+46701112233",
                    "sender": "TryggHem",
                    "text": "Trygg hemgång-teamet möter din närstående i hemmet tisdag 25 nov kl. 10:00. ...",
                    "created_at": "2026-11-24T10:00:00Z",
                }
            ]
        },
    )

    provider_id: str
    message_id: str
    to: str
    sender: str
    text: str
    created_at: datetime


class AuditRecordOut(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"actor": "ops:dev", "action": "read_rota", "subject": "rota:team-vast", "at": "2026-11-23T10:00:00Z"}
            ]
        },
    )

    actor: str
    action: str
    subject: str
    at: datetime


_HTML_OK: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "An HTML page."}
}


LOCAL_ONLY: dict[int | str, dict[str, Any]] = {404: problem("The local provider is not in use here.")}


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def api_router(deps: NotificationDeps, authenticator: Authenticator, local_log: LocalSmsLog | None) -> APIRouter:
    router = APIRouter(responses=COMMON_ERRORS)
    oncall = require(authenticator, Role.ONCALL, Role.OPS)
    acknowledger = require(authenticator, Role.ONCALL)
    operator = require(authenticator, Role.OPS)

    @router.get(
        "/alerts",
        response_model=list[AlertOut],
        tags=["alerts"],
        summary="On-call alerts, newest first",
        responses=AUTH_ERRORS,
    )
    async def list_alerts(
        state: AlertState | None = None,
        team_id: Annotated[str | None, Query(pattern=_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        actor: Actor = oncall,
    ) -> list[AlertOut]:
        with domain_errors():
            alerts = await ops.list_alerts(deps, state=state, team_id=team_id, limit=limit)
        return [AlertOut.of(a) for a in alerts]

    @router.get(
        "/alerts/{alert_id}",
        response_model=AlertOut,
        tags=["alerts"],
        summary="One alert",
        responses={**AUTH_ERRORS, **NOT_FOUND},
    )
    async def get_alert(alert_id: Annotated[str, Path(pattern=_ID)], actor: Actor = oncall) -> AlertOut:
        with domain_errors():
            return AlertOut.of(await ops.get_alert(deps, alert_id))

    @router.post(
        "/alerts/{alert_id}/acknowledgement",
        response_model=AlertOut,
        tags=["alerts"],
        summary="Acknowledge an alert: escalation stops",
        responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT},
    )
    async def acknowledge(alert_id: Annotated[str, Path(pattern=_ID)], actor: Actor = acknowledger) -> AlertOut:
        with domain_errors():
            return AlertOut.of(await uc.acknowledge(deps, alert_id, actor.subject, AckChannel.API))

    @router.get(
        "/ack/{code}",
        response_class=HTMLResponse,
        tags=["alerts"],
        summary="The acknowledgement link of an alert SMS: a page with a button",
        responses={**_HTML_OK, **NOT_FOUND},
        openapi_extra=route_limits(guessable=True),  # an unknown code counts as a failed attempt (429 after)
    )
    async def ack_page(code: Annotated[str, Path(pattern=_CODE)]) -> HTMLResponse:
        alert_id = await deps.alert_queries.by_ack_code(code.upper())
        if alert_id is None:
            raise ProblemError(404, "Not found", "No alert has this code.")
        safe = html.escape(code.upper())
        return _page(
            "Kvittera larm",
            f"<p>Larmkod {safe}.</p><form method='post' action='/ack/{safe}'>"
            "<button type='submit'>Jag tar larmet</button></form>",
        )

    @router.post(
        "/ack/{code}",
        response_class=HTMLResponse,
        tags=["alerts"],
        summary="Acknowledge through the link in the SMS (the code is the credential)",
        responses={**_HTML_OK, **NOT_FOUND, **CONFLICT},
        openapi_extra=route_limits(guessable=True),
    )
    async def ack_by_link(code: Annotated[str, Path(pattern=_CODE)]) -> HTMLResponse:
        with domain_errors():
            await uc.acknowledge_by_code(deps, code, "oncall:sms-link", AckChannel.LINK)
        return _page("Larmet är kvitterat", "<p>Tack. Larmet eskaleras inte vidare.</p>")

    @router.get(
        "/rotas/{team_id}",
        response_model=RotaIO,
        tags=["rotas"],
        summary="A team's on-call rota (phone numbers: audited)",
        responses={**AUTH_ERRORS, **NOT_FOUND},
    )
    async def get_rota(team_id: Annotated[str, Path(pattern=_ID)], actor: Actor = operator) -> RotaIO:
        with domain_errors():
            return RotaIO.of(await ops.read_rota(deps, actor, team_id))

    @router.put(
        "/rotas/{team_id}",
        response_model=RotaIO,
        tags=["rotas"],
        summary="Replace a team's on-call rota (`default` is the municipality's fallback rota)",
        responses=AUTH_ERRORS,
    )
    async def put_rota(team_id: Annotated[str, Path(pattern=_ID)], body: RotaIO, actor: Actor = operator) -> RotaIO:
        with domain_errors():
            await ops.replace_rota(deps, actor, body.to_rota(team_id))
        return body

    @router.get(
        "/messages/{message_id}",
        response_model=MessageOut,
        tags=["messages"],
        summary="A message's delivery state (no number, no text)",
        responses={**AUTH_ERRORS, **NOT_FOUND},
    )
    async def get_message(message_id: Annotated[str, Path(pattern=_ID)], actor: Actor = operator) -> MessageOut:
        with domain_errors():
            return MessageOut.of(await ops.message_status(deps, message_id))

    @router.get(
        "/cases/{case_id}/messages",
        response_model=list[MessageOut],
        tags=["messages"],
        summary="A case's messages, newest first (no numbers, no texts)",
        responses=AUTH_ERRORS,
    )
    async def case_messages(
        case_id: Annotated[str, Path(pattern=_ID)],
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        actor: Actor = oncall,
    ) -> list[MessageOut]:
        with domain_errors():
            return [MessageOut.of(m) for m in await ops.case_messages(deps, case_id, limit)]

    @router.get(
        "/cases/{case_id}/consent-log",
        response_model=list[ConsentEntryOut],
        tags=["consent"],
        summary="Consent given and withdrawn for a case's relatives (relative ids, no names or numbers)",
        responses={**AUTH_ERRORS, **NOT_FOUND},
    )
    async def consent_log(case_id: Annotated[str, Path(pattern=_ID)], actor: Actor = operator) -> list[ConsentEntryOut]:
        with domain_errors():
            return [ConsentEntryOut.model_validate(e) for e in await ops.consent_log(deps, case_id)]

    @router.get(
        "/audit",
        response_model=list[AuditRecordOut],
        tags=["audit"],
        summary="Who read phone numbers or message texts, and who changed rotas",
        responses=AUTH_ERRORS,
    )
    async def audit(
        subject: Annotated[Text | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        actor: Actor = operator,
    ) -> list[AuditRecordOut]:
        with domain_errors():
            return [AuditRecordOut.model_validate(r) for r in await ops.audit_trail(deps, subject, limit)]

    @router.get(
        "/ops/local-sms",
        response_model=list[LocalSmsOut],
        tags=["ops"],
        summary="Messages the local provider kept instead of sending (`make run`; audited)",
        responses={**AUTH_ERRORS, **LOCAL_ONLY},
    )
    async def local_sms(limit: Annotated[int, Query(ge=1, le=500)] = 100, actor: Actor = operator) -> list[LocalSmsOut]:
        if local_log is None:
            raise ProblemError(404, "Not found", "The local provider is not in use here.")
        with domain_errors():
            return [LocalSmsOut.model_validate(s) for s in await ops.local_messages(deps, local_log, actor, limit)]

    return router
