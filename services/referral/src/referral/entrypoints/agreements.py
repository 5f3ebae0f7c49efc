"""`/agreements`: the payment-liability agreements as versioned data, read and extended by ops.

A new version is added, never an old one changed: it takes the region's next version number
and may start today at the earliest (a start in the past is a 409: days already counted
never change). Every addition is audited (`audit_log`, subject `agreement:<id>:<version>`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field, ValidationError

from referral.entrypoints.errors import AUTH_ERRORS, BAD_BODY, domain_errors, problem
from referral.service_layer.agreement_format import (
    AGREEMENT_EXAMPLE,
    AgreementData,
    AgreementTerms,
    from_domain,
    to_domain,
)
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import PERMISSIONS, Actor, AgreementChange, Authenticator
from trygg_shared import http
from trygg_shared.bearer import require
from trygg_shared.http import ProblemError


class AgreementVersion(AgreementData):
    """One version of an agreement, with who added it and when."""

    model_config = http.examples(
        {
            **AGREEMENT_EXAMPLE,
            "version": 2,
            "added_by": "ops:dev",
            "added_at": "2026-11-23T10:00:00Z",
        }
    )

    added_by: str = Field(description="Who added it (`system:shipped-data`: the data file shipped with the service).")
    added_at: datetime = Field(description="When it was added.")


def _out(change: AgreementChange) -> AgreementVersion:
    data = from_domain(change.agreement).model_dump()
    return AgreementVersion(**data, added_by=change.added_by, added_at=change.added_at)


def agreement_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["agreements"], responses=AUTH_ERRORS)
    ops = require(authenticator, PERMISSIONS["agreements"])
    book = deps.agreement_book

    @router.get("/agreements", response_model=list[AgreementVersion], summary="Every version of every agreement")
    async def list_agreements(actor: Actor = ops) -> list[AgreementVersion]:
        with domain_errors():
            await book.refresh()
        return [_out(c) for c in book.changes]

    responses: dict[int | str, dict[str, Any]] = {
        **BAD_BODY,
        409: problem(
            "It would start before today (days already counted never change), or another version was "
            "added at the same moment."
        ),
        422: problem("The request breaks the documented format, or the terms contradict each other."),
    }

    @router.post(
        "/agreements",
        status_code=201,
        response_model=AgreementVersion,
        summary="Add the next version of a region's agreement, from today or a later day",
        responses=responses,
    )
    async def add_agreement(body: AgreementTerms, actor: Actor = ops) -> AgreementVersion:
        try:
            terms = to_domain(AgreementData(**body.model_dump(), version=1))  # the book assigns the version
        except (ValueError, ValidationError) as exc:
            raise ProblemError(422, "Unprocessable content", str(exc).splitlines()[0]) from None
        with domain_errors():
            change = await book.add_version(terms, actor, deps.audit)
        return _out(change)

    return router
