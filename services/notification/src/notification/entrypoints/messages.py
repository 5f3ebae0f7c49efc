"""Messages' delivery state and a case's consent log (no phone numbers, no texts)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from notification.domain.message import Message
from notification.entrypoints.common import Limit, PathId
from notification.entrypoints.errors import AUTH_ERRORS, NOT_FOUND, domain_errors
from notification.service_layer import ops
from notification.service_layer.auth import PERMISSIONS, Actor, Authenticator
from notification.service_layer.deps import NotificationDeps
from trygg_shared.bearer import require
from trygg_shared.http import Out, example
from trygg_shared.mapping import to_contract


class MessageOut(Out):
    """A message's delivery state: no phone number, no text."""

    model_config = example(
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
        """The message's fields by name (enums as their values), never its number or text."""
        return to_contract(cls, m, recipient_kind=m.recipient)


class ConsentEntryOut(Out):
    model_config = example(
        {
            "relative_id": "a1b2c3d4e5f6",
            "change": "withdrawn",
            "recorded_by": "officer:anna.svensson",
            "recorded_at": "2026-11-26T09:12:00Z",
            "source_event_id": "0b9a4c1e-6f2d-4f7e-9a51-3c2b1d0e9f87",
        }
    )

    relative_id: str
    change: str = Field(description="`given` or `withdrawn`.")
    recorded_by: str
    recorded_at: datetime
    source_event_id: str


def messages_router(deps: NotificationDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(responses=AUTH_ERRORS)
    oncall = require(authenticator, PERMISSIONS["read_alerts"])
    operator = require(authenticator, PERMISSIONS["operate"])

    @router.get(
        "/messages/{message_id}",
        response_model=MessageOut,
        tags=["messages"],
        summary="A message's delivery state (no number, no text)",
        responses=NOT_FOUND,
    )
    async def get_message(message_id: PathId, actor: Actor = operator) -> MessageOut:
        with domain_errors():
            return MessageOut.of(await ops.message_status(deps, message_id))

    @router.get(
        "/cases/{case_id}/messages",
        response_model=list[MessageOut],
        tags=["messages"],
        summary="A case's messages, newest first (no numbers, no texts)",
    )
    async def case_messages(
        case_id: PathId,
        limit: Limit = 100,
        actor: Actor = oncall,
    ) -> list[MessageOut]:
        with domain_errors():
            return [MessageOut.of(m) for m in await ops.case_messages(deps, case_id, limit)]

    @router.get(
        "/cases/{case_id}/consent-log",
        response_model=list[ConsentEntryOut],
        tags=["consent"],
        summary="Consent given and withdrawn for a case's relatives (relative ids, no names or numbers)",
        responses=NOT_FOUND,
    )
    async def consent_log(case_id: PathId, actor: Actor = operator) -> list[ConsentEntryOut]:
        with domain_errors():
            return [ConsentEntryOut.model_validate(e) for e in await ops.consent_log(deps, case_id)]

    return router
