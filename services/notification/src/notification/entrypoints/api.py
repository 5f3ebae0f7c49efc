"""The HTTP API of on-call staff (alerts) and operations (rotas, message status, consent log, audit).

Roles: `oncall` reads and acknowledges alerts; `ops` manages rotas and reads message status, the
consent log, the audit trail and (with the local provider) the messages that would have been
sent. Reads of phone numbers or message texts are audited first. The acknowledgement link in an
alert SMS (`/ack/{code}`) needs no token: the code is the credential, and GET only shows a form
(link previewers must not acknowledge anything).
"""

from __future__ import annotations

from fastapi import APIRouter

from notification.entrypoints.alerts import ack_link_router, alerts_router
from notification.entrypoints.audit import audit_router
from notification.entrypoints.messages import messages_router
from notification.entrypoints.rotas import rotas_router
from notification.service_layer.auth import Authenticator
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import LocalSmsLog


def api_router(deps: NotificationDeps, authenticator: Authenticator, local_log: LocalSmsLog | None) -> APIRouter:
    """Every route of the API, one router per resource (in this order)."""
    router = APIRouter()
    router.include_router(alerts_router(deps, authenticator))
    router.include_router(ack_link_router(deps))
    router.include_router(rotas_router(deps, authenticator))
    router.include_router(messages_router(deps, authenticator))
    router.include_router(audit_router(deps, authenticator, local_log))
    return router
