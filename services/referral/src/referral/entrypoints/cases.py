"""`/cases`: open a case without a hospital message, list cases, read one (audited).

Reads of personal data are audited by the use cases before anything is shown.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from referral.domain.case import CaseStatus, OpeningReason
from referral.domain.identity import IdType, parse_identity
from referral.domain.messages import Patient
from referral.entrypoints.case_views import (
    CaseDetail,
    CaseReadOut,
    CaseSummary,
    OnCallCaseView,
    TeamCaseView,
    case_view,
    example,
    summary_fields,
)
from referral.entrypoints.errors import AUTH_ERRORS, BAD_BODY, NOT_FOUND, domain_errors
from referral.service_layer import cases as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import PERMISSIONS, Actor, Authenticator, CaseQuery
from trygg_shared import http
from trygg_shared.bearer import require
from trygg_shared.fields import FreeText, NonBlankText
from trygg_shared.mapping import from_contract


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_Name = Annotated[NonBlankText, Field(min_length=1, max_length=100)]


class AddressIn(_In):
    street: NonBlankText = Field(min_length=1, max_length=200)
    postal_code: str = Field(pattern=r"^\d{3} ?\d{2}$")
    city: NonBlankText = Field(min_length=1, max_length=100)
    municipality_code: str | None = Field(None, pattern=r"^\d{4}$")


class PersonIn(_In):
    id_type: IdType = Field(description="personnummer, samordningsnummer or reservnummer.")
    id: NonBlankText = Field(
        min_length=1,
        max_length=64,
        description="Personnummer or samordningsnummer: 12 digits (hyphen optional) with a valid check digit; "
        "or a reserve number. A wrong check digit is refused with 422 (a schema cannot express it).",
    )
    given_name: _Name
    family_name: _Name
    address: AddressIn | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164.")


class OpenCaseRequest(_In):
    """Open a case without a hospital message."""

    model_config = http.examples(
        {
            "reason": "already_at_home",
            "person": {
                "id_type": "personnummer",
                "id": "19121212-1212",
                "given_name": "Tolvan",
                "family_name": "Tolvansson",
                "address": {"street": "Exempelvägen 1", "postal_code": "17741", "city": "Järfälla"},
            },
            "notes": "Lives alone; home care is not enough after a fall.",
        }
    )
    reason: OpeningReason = Field(description="Why there is no hospital message.")
    person: PersonIn
    region_code: str | None = Field(None, pattern=r"^\d{2}$", description="Region for liability agreements.")
    notes: FreeText | None = Field(None, max_length=4000)


def _open_command(body: OpenCaseRequest) -> uc.OpenCase:
    """The use case's command from the request body."""
    p = body.person  # the name, the address (as the domain's) and the phone by field name
    patient = from_contract(Patient, p, identity=parse_identity(p.id_type, p.id))  # may raise InvalidIdentity
    return from_contract(uc.OpenCase, body, patient=patient)


# One example per view the reader's role gets.
_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    200: {
        "content": {
            "application/json": {
                "examples": {
                    m.__name__: {"summary": f"view: {m.model_fields['view'].default}", "value": example(m)}
                    for m in (CaseDetail, TeamCaseView, OnCallCaseView)
                }
            }
        }
    },
}


def case_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["cases"], responses=AUTH_ERRORS)
    officer = require(authenticator, PERMISSIONS["open_case"])
    reader = require(authenticator, PERMISSIONS["read_cases"])

    @router.post(
        "/cases",
        status_code=201,
        response_model=CaseSummary,
        summary="Open a case without a hospital message",
        responses=BAD_BODY,
    )
    async def open_case(body: OpenCaseRequest, actor: Actor = officer) -> CaseSummary:
        with domain_errors():
            case = await uc.open_case(deps, _open_command(body), actor)
        return CaseSummary(**summary_fields(case, case.facts(deps.agreements)))  # type: ignore[arg-type]

    @router.get(
        "/cases", response_model=list[CaseSummary], summary="List cases by state and by how soon liability starts"
    )
    async def list_cases(
        actor: Actor = reader,
        status: Annotated[list[CaseStatus] | None, Query(description="Only these states.")] = None,
        liability_running: Annotated[bool, Query(description="Only cases whose payment clock runs.")] = False,
        order: Annotated[
            Literal["liability", "updated"], Query(description="Soonest liability first, or newest.")
        ] = "liability",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> list[CaseSummary]:
        query = CaseQuery(tuple(dict.fromkeys(s.value for s in status or ())), liability_running, order, limit, offset)
        with domain_errors():
            found = await uc.list_cases(deps, query, actor)
        return [CaseSummary(**summary_fields(c, f)) for c, f in found]  # type: ignore[arg-type]

    @router.get(
        "/cases/{case_id}",
        response_model=CaseReadOut,
        summary="Read one case: what the caller's role needs of it",
        description="Need to know: an officer gets the whole case (`view: officer`: identity number, needs, "
        "relatives, message history); the team the person's name, address and phone and the plan "
        "(`view: team`); on-call what an alert needs (`view: oncall`). The audit record names the fields shown.",
        responses=_READ_RESPONSES,
    )
    async def read_case(case_id: str, actor: Actor = reader) -> CaseDetail | TeamCaseView | OnCallCaseView:
        with domain_errors():
            read = await uc.read_case(deps, case_id, actor)
        return case_view(read)

    return router
