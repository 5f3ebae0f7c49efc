"""Operations' reads: the audit trail, and the messages the local provider kept (both `ops`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from notification.entrypoints.common import LOCAL_ONLY, Limit
from notification.entrypoints.errors import AUTH_ERRORS, domain_errors
from notification.service_layer import ops
from notification.service_layer.auth import PERMISSIONS, Actor, Authenticator
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import LocalSmsLog
from trygg_shared.bearer import require
from trygg_shared.fields import Text
from trygg_shared.http import AuditLimit, Out, ProblemError, example


class LocalSmsOut(Out):
    model_config = example(
        {
            "provider_id": "local_5b1f0c3e2d4a4e8f9a7b6c5d4e3f2a1b",
            "message_id": "m_3f0c9a8e6b1d4c2a9e7f5d3b1a0c8e6f",
            "to": "+46701112233",
            "sender": "TryggHem",
            "text": "Trygg hemgång-teamet möter din närstående i hemmet tisdag 25 nov kl. 10:00. ...",
            "created_at": "2026-11-24T10:00:00Z",
        }
    )

    provider_id: str
    message_id: str
    to: str
    sender: str
    text: str
    created_at: datetime


class AuditRecordOut(Out):
    model_config = example(
        {"actor": "ops:dev", "action": "read_rota", "subject": "rota:team-vast", "at": "2026-11-23T10:00:00Z"}
    )

    actor: str
    action: str
    subject: str
    at: datetime


def audit_router(deps: NotificationDeps, authenticator: Authenticator, local_log: LocalSmsLog | None) -> APIRouter:
    router = APIRouter(responses=AUTH_ERRORS)
    operator = require(authenticator, PERMISSIONS["operate"])

    @router.get(
        "/audit",
        response_model=list[AuditRecordOut],
        tags=["audit"],
        summary="Who read phone numbers or message texts, and who changed rotas",
    )
    async def audit(
        subject: Annotated[Text | None, Query(max_length=200)] = None,
        limit: AuditLimit = 200,
        actor: Actor = operator,
    ) -> list[AuditRecordOut]:
        with domain_errors():
            return [AuditRecordOut.model_validate(r) for r in await ops.audit_trail(deps, subject, limit)]

    @router.get(
        "/ops/local-sms",
        response_model=list[LocalSmsOut],
        tags=["ops"],
        summary="Messages the local provider kept instead of sending (`make run`; audited)",
        responses=LOCAL_ONLY,
    )
    async def local_sms(limit: Limit = 100, actor: Actor = operator) -> list[LocalSmsOut]:
        if local_log is None:
            raise ProblemError(404, "Not found", "The local provider is not in use here.")
        with domain_errors():
            return [LocalSmsOut.model_validate(s) for s in await ops.local_messages(deps, local_log, actor, limit)]

    return router
