"""`/audit`: who read a case's personal data, and who changed the agreements (ops only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from referral.entrypoints.errors import AUTH_ERRORS, domain_errors
from referral.service_layer import cases as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import PERMISSIONS, Actor, Authenticator
from referral.service_layer.sms_limits import CAP_SUBJECT
from trygg_shared.bearer import require
from trygg_shared.fields import Text
from trygg_shared.http import AuditLimit, AuditReadOut, example


class AuditRecordOut(AuditReadOut):
    model_config = example(
        {
            "record_id": "5d0c5b8e-2f1a-4c3e-8f2b-7a6d9e1c0b3a",
            "at": "2026-11-23T10:05:00Z",
            "actor": "team:maria.holm",
            "roles": ["team"],
            "action": "read_case",
            "case_ids": ["a81ac505-f085-519e-9ef6-973a857711b7"],
            "fields": ["identity_number", "name", "address"],
            "trace_id": "6f17052dc51d2463ba3ac84066774e80",
            "read_id": "5d0c5b8e-2f1a-4c3e-8f2b-7a6d9e1c0b3a",
        }
    )

    trace_id: str | None
    subject: str | None = None
    read_id: str | None = Field(
        None,
        description="The read this record belongs to: a list read is kept as one record per case it showed, "
        "all with the same read_id.",
    )


def audit_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["audit"], responses=AUTH_ERRORS)
    auditor = require(authenticator, PERMISSIONS["read_audit"])

    @router.get("/audit", response_model=list[AuditRecordOut], summary="Who read a case's personal data, and when")
    async def audit_trail(
        case_id: Annotated[Text, Query(min_length=1, max_length=64)],
        limit: AuditLimit = 200,
        actor: Actor = auditor,
    ) -> list[AuditRecordOut]:
        with domain_errors():
            records = await uc.audit_trail(deps, case_id, limit)
        return [AuditRecordOut.model_validate(r) for r in records]

    @router.get(
        "/ops/sms-caps",
        response_model=list[AuditRecordOut],
        summary="Ops alerts: decision changes refused because an SMS cap was hit, the newest 200",
        description="`action` is `sms_cap_case` (too many consenting relatives on one decision) or "
        "`sms_cap_officer_day` (the officer's consents of the day); `actor` is the officer, `case_ids` the case.",
    )
    async def sms_cap_hits(actor: Actor = auditor) -> list[AuditRecordOut]:
        with domain_errors():
            records = await deps.audit.for_subject(CAP_SUBJECT, 200)
        return [AuditRecordOut.model_validate(r) for r in records]

    return router
