"""`/audit`: who read a case's personal data, when, which fields (ops)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scheduling.entrypoints.common import api_router, example
from scheduling.entrypoints.errors import domain_errors
from scheduling.service_layer.ports import PERMISSIONS, Actor, Authenticator, SchedulingDeps
from trygg_shared.bearer import require
from trygg_shared.fields import Text
from trygg_shared.http import AuditLimit, AuditReadOut


class AuditRecordOut(AuditReadOut):
    model_config = example(
        {
            "record_id": "5d0c...",
            "at": "2026-11-26T07:05:00Z",
            "actor": "team:hofors-us1",
            "roles": ["team"],
            "action": "read_day_visits",
            "case_ids": ["a81a..."],
            "fields": ["name", "address", "phone"],
        }
    )


def audit_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    router = api_router("audit")
    read_audit = require(authenticator, PERMISSIONS["read_audit"])

    @router.get(
        "/audit",
        response_model=list[AuditRecordOut],
        summary="Who read a case's personal data, and when",
    )
    async def audit_trail(
        case_id: Annotated[Text, Query(min_length=1, max_length=100)],
        limit: AuditLimit = 200,
        actor: Actor = read_audit,
    ) -> list[AuditRecordOut]:
        with domain_errors():
            records = await deps.audit.for_case(case_id, limit)
        return [AuditRecordOut.model_validate(r) for r in records]

    return router
