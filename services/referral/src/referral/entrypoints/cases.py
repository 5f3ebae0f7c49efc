"""`/cases`: open a case without a hospital message, list cases, read one (audited).

Reads of personal data are audited by the use cases before anything is shown.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from referral.domain.case import Case, CaseFacts, CaseStatus, OpeningReason, ReadyPeriod
from referral.domain.decision import DecisionType
from referral.domain.identity import IdType
from referral.domain.messages import Address
from referral.entrypoints.decisions import DECISION_EXAMPLE, DecisionOut, decision_out
from referral.entrypoints.errors import AUTH_ERRORS, BAD_BODY, NOT_FOUND, domain_errors
from referral.entrypoints.security import require
from referral.service_layer import cases as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import Actor, Authenticator, CaseQuery, Role
from trygg_shared.fields import FreeText, NonBlankText


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
            ]
        }
    )
    reason: OpeningReason = Field(description="Why there is no hospital message.")
    person: PersonIn
    region_code: str | None = Field(None, pattern=r"^\d{2}$", description="Region for liability agreements.")
    notes: FreeText | None = Field(None, max_length=4000)


_SUMMARY_EXAMPLE: dict[str, Any] = {
    "case_id": "a81ac505-f085-519e-9ef6-973a857711b7",
    "status": "ready",
    "given_name": "Astrid",
    "family_name": "Lindqvist",
    "episode_id": "TC-2026-004711",
    "care_unit": "Geriatriska kliniken avd 61",
    "ready_at": "2026-11-23T08:00:00Z",
    "liability_starts_at": "2026-11-25T23:00:00Z",
    "decision": None,
    "readmission_of_case_id": None,
    "opened_without_message": False,
}


class AddressOut(_Out):
    street: str
    postal_code: str
    city: str
    municipality_code: str | None


class PersonOut(_Out):
    id_type: IdType
    id: str = Field(description="The identity number (12 digits) or reserve number.")
    given_name: str
    family_name: str
    address: AddressOut | None
    phone: str | None


class CaseSummary(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})

    case_id: str
    status: CaseStatus
    given_name: str | None
    family_name: str | None
    episode_id: str | None
    care_unit: str | None
    ready_at: datetime | None
    liability_starts_at: datetime | None = Field(description="Set while the payment clock runs.")
    decision: DecisionType | None = Field(description="Type of the active decision, if any.")
    readmission_of_case_id: str | None
    opened_without_message: bool


class MessageOut(_Out):
    message_id: str = Field(description="The sender's webhook-id.")
    message_type: str
    received_at: datetime | None = Field(description="When it arrived (unknown for messages from before receipts).")
    sent_at: datetime | None = Field(description="When the hospital sent it.")
    applied: bool = Field(description="Applied to the case (false: stored, to be applied by the retry sweep).")
    cancelled: bool


class LiabilityOut(_Out):
    ready_at: datetime
    planned_discharge_at: datetime | None
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    ended_at: datetime | None


class CaseDetail(CaseSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_SUMMARY_EXAMPLE,
                    "view": "officer",
                    "person": {
                        "id_type": "personnummer",
                        "id": "194010092387",
                        "given_name": "Astrid",
                        "family_name": "Lindqvist",
                        "address": {"street": "Exempelgatan 4", "postal_code": "17741", "city": "Järfälla"},
                        "phone": "+46701234567",
                    },
                    "expected_discharge_date": "2026-11-24",
                    "needs_summary": "Walks with a rollator indoors.",
                    "aids": ["rollator"],
                    "medication_list_attached": True,
                    "fast_vardkontakt": "Vårdcentral Jakobsberg",
                    "liability": {
                        "ready_at": "2026-11-23T08:00:00Z",
                        "planned_discharge_at": "2026-11-24T10:00:00Z",
                        "liability_starts_at": "2026-11-25T23:00:00Z",
                        "agreement_id": "region-stockholm-2024",
                        "agreement_version": 1,
                        "daily_price_sek": 9300,
                        "ended_at": None,
                    },
                    "earlier_ready_periods": [],
                    "discharged_at": None,
                    "destination": None,
                    "liable_days": 0,
                    "decisions": [DECISION_EXAMPLE],
                    "messages": [
                        {
                            "message_id": "msg_2026_11_23_utskrivningsklar_1",
                            "message_type": "utskrivningsklar",
                            "received_at": "2026-11-23T08:14:02Z",
                            "sent_at": "2026-11-23T09:14:00+01:00",
                            "cancelled": False,
                        }
                    ],
                }
            ]
        },
    )

    view: Literal["officer"] = Field("officer", description="Which role's view this is (the officer's: all).")
    person: PersonOut | None
    expected_discharge_date: date | None
    needs_summary: str | None
    aids: list[str]
    medication_list_attached: bool
    fast_vardkontakt: str | None
    liability: LiabilityOut | None
    earlier_ready_periods: list[LiabilityOut]
    discharged_at: datetime | None
    destination: str | None
    liable_days: int
    decisions: list[DecisionOut]
    messages: list[MessageOut]


class ContactOut(_Out):
    """The person as the team and on-call need them: who, where, how to reach them. No identity number."""

    given_name: str
    family_name: str
    address: AddressOut | None
    phone: str | None


class PlanOut(_Out):
    """A decision as the team works from it: what was granted, from when, how long, which team."""

    decision_id: str
    decision_type: DecisionType
    active: bool
    start_date: date | None
    length_days: int | None
    hours_granted: int | None
    end_date: date | None
    team: str | None
    hemtjanst_evenings_nights_weekends: bool


class TeamCaseView(_Out):
    """The team's view of a case: the person's name, address and phone, and the plan."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "view": "team",
                    "case_id": _SUMMARY_EXAMPLE["case_id"],
                    "status": "discharged",
                    "person": {
                        "given_name": "Astrid",
                        "family_name": "Lindqvist",
                        "address": {
                            "street": "Exempelgatan 4",
                            "postal_code": "17741",
                            "city": "Järfälla",
                            "municipality_code": None,
                        },
                        "phone": "+46701234567",
                    },
                    "expected_discharge_date": "2026-11-24",
                    "discharged_at": "2026-11-24T10:00:00Z",
                    "plan": [
                        {
                            "decision_id": "d1",
                            "decision_type": "trygg_hemgang",
                            "active": True,
                            "start_date": "2026-11-24",
                            "length_days": 14,
                            "hours_granted": None,
                            "end_date": "2026-12-07",
                            "team": "Team Väst",
                            "hemtjanst_evenings_nights_weekends": False,
                        }
                    ],
                }
            ]
        },
    )

    view: Literal["team"] = "team"
    case_id: str
    status: CaseStatus
    person: ContactOut | None
    expected_discharge_date: date | None
    discharged_at: datetime | None
    plan: list[PlanOut] = Field(description="The decisions (no relatives, no notes).")


class OnCallCaseView(_Out):
    """On-call's view of a case: what an alert needs (whom to reach, where, which team is responsible)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "view": "oncall",
                    "case_id": _SUMMARY_EXAMPLE["case_id"],
                    "status": "discharged",
                    "person": {
                        "given_name": "Astrid",
                        "family_name": "Lindqvist",
                        "address": {
                            "street": "Exempelgatan 4",
                            "postal_code": "17741",
                            "city": "Järfälla",
                            "municipality_code": None,
                        },
                        "phone": "+46701234567",
                    },
                    "decision": "trygg_hemgang",
                    "team": "Team Väst",
                    "liability_starts_at": None,
                }
            ]
        },
    )

    view: Literal["oncall"] = "oncall"
    case_id: str
    status: CaseStatus
    person: ContactOut | None
    decision: DecisionType | None = Field(description="Type of the active decision, if any.")
    team: str | None = Field(description="The team of the active decision.")
    liability_starts_at: datetime | None = Field(description="Set while the payment clock runs.")


CaseReadOut = Annotated[CaseDetail | TeamCaseView | OnCallCaseView, Field(discriminator="view")]


def _example(model: type[BaseModel]) -> Any:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    return extra["examples"][0]  # type: ignore[index]


# --- mapping --------------------------------------------------------------------------------


def _summary_fields(case: Case, facts: CaseFacts) -> dict[str, object]:
    patient = facts.patient
    running = facts.ready if facts.ready is not None and facts.ready.ended_at is None else None
    active = case.active_decision()
    return {
        "case_id": case.case_id,
        "status": facts.status,
        "given_name": patient.given_name if patient else None,
        "family_name": patient.family_name if patient else None,
        "episode_id": case.episode_id,
        "care_unit": facts.care_unit.name if facts.care_unit else None,
        "ready_at": facts.ready.ready_at if facts.ready else None,
        "liability_starts_at": running.clock.liability_starts_at if running else None,
        "decision": active.decision_type if active else None,
        "readmission_of_case_id": case.readmission_of_case_id,
        "opened_without_message": case.opening is not None,
    }


def _liability(p: ReadyPeriod) -> LiabilityOut:
    return LiabilityOut(
        ready_at=p.ready_at,
        planned_discharge_at=p.planned_discharge_at,
        liability_starts_at=p.clock.liability_starts_at,
        agreement_id=p.clock.agreement_id,
        agreement_version=p.clock.agreement_version,
        daily_price_sek=p.daily_price_sek,
        ended_at=p.ended_at,
    )


def _contact(facts: CaseFacts) -> ContactOut | None:
    patient = facts.patient
    if patient is None:
        return None
    a = patient.address
    address = (
        AddressOut(street=a.street, postal_code=a.postal_code, city=a.city, municipality_code=a.municipality_code)
        if a
        else None
    )
    return ContactOut(
        given_name=patient.given_name, family_name=patient.family_name, address=address, phone=patient.phone
    )


def _view(read: uc.CaseRead) -> CaseDetail | TeamCaseView | OnCallCaseView:
    """Only what the reader's role needs (`uc.CaseView`); the audit record names the same fields."""
    case, facts = read.case, read.facts
    if read.view is uc.CaseView.TEAM:
        return TeamCaseView(
            case_id=case.case_id,
            status=facts.status,
            person=_contact(facts),
            expected_discharge_date=facts.planning.expected_discharge_date,
            discharged_at=facts.discharge.discharged_at if facts.discharge else None,
            plan=[
                PlanOut(
                    decision_id=d.decision_id,
                    decision_type=d.decision_type,
                    active=d.active,
                    start_date=d.start_date,
                    length_days=d.length_days,
                    hours_granted=d.hours_granted,
                    end_date=d.end_date,
                    team=d.team,
                    hemtjanst_evenings_nights_weekends=d.hemtjanst_evenings_nights_weekends,
                )
                for d in case.decisions
            ],
        )
    if read.view is uc.CaseView.ONCALL:
        active = case.active_decision()
        running = facts.ready if facts.ready is not None and facts.ready.ended_at is None else None
        return OnCallCaseView(
            case_id=case.case_id,
            status=facts.status,
            person=_contact(facts),
            decision=active.decision_type if active else None,
            team=active.team if active else None,
            liability_starts_at=running.clock.liability_starts_at if running else None,
        )
    return _detail(read)


def _detail(read: uc.CaseRead) -> CaseDetail:
    case, facts = read.case, read.facts
    patient = facts.patient
    person = None
    if patient is not None:
        a = patient.address
        person = PersonOut(
            id_type=patient.identity.id_type,
            id=patient.identity.value,
            given_name=patient.given_name,
            family_name=patient.family_name,
            address=AddressOut(
                street=a.street, postal_code=a.postal_code, city=a.city, municipality_code=a.municipality_code
            )
            if a
            else None,
            phone=patient.phone,
        )
    planning = facts.planning
    return CaseDetail(
        **_summary_fields(case, facts),  # type: ignore[arg-type]
        person=person,
        expected_discharge_date=planning.expected_discharge_date,
        needs_summary=planning.needs_summary,
        aids=list(planning.aids),
        medication_list_attached=planning.medication_list_attached,
        fast_vardkontakt=planning.fast_vardkontakt.unit_name if planning.fast_vardkontakt else None,
        liability=_liability(facts.ready) if facts.ready else None,
        earlier_ready_periods=[_liability(p) for p in facts.ready_history],
        discharged_at=facts.discharge.discharged_at if facts.discharge else None,
        destination=facts.discharge.destination.value if facts.discharge and facts.discharge.destination else None,
        liable_days=facts.liable_days,
        decisions=[decision_out(d) for d in case.decisions],
        messages=[
            MessageOut(
                message_id=m.message_id,
                message_type=m.message_type,
                received_at=m.received_at,
                sent_at=m.sent_at,
                applied=m.applied,
                cancelled=m.message_id in facts.cancelled_ids,
            )
            for m in read.history
        ],
    )


def _open_command(body: OpenCaseRequest) -> uc.OpenCase:
    """The use case's command from the request body."""
    p = body.person
    address = (
        Address(p.address.street, p.address.postal_code, p.address.city, p.address.municipality_code)
        if p.address
        else None
    )
    return uc.OpenCase(
        body.reason,
        p.id_type.value,
        p.id,
        p.given_name,
        p.family_name,
        address,
        p.phone,
        body.region_code,
        body.notes,
    )


def case_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["cases"], responses=AUTH_ERRORS)
    officer = require(authenticator, Role.OFFICER)
    reader = require(authenticator, Role.OFFICER, Role.TEAM, Role.ONCALL)

    @router.post(
        "/cases",
        status_code=201,
        response_model=CaseSummary,
        summary="Open a case without a hospital message",
        responses=BAD_BODY,
    )
    async def open_case(body: OpenCaseRequest, actor: Actor = officer) -> CaseSummary:
        command = _open_command(body)
        with domain_errors():
            case = await uc.open_case(deps, command, actor)
        return CaseSummary(**_summary_fields(case, case.facts(deps.agreements)))  # type: ignore[arg-type]

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
        return [CaseSummary(**_summary_fields(c, f)) for c, f in found]  # type: ignore[arg-type]

    @router.get(
        "/cases/{case_id}",
        response_model=CaseReadOut,
        summary="Read one case: what the caller's role needs of it",
        description="Need to know: an officer gets the whole case (`view: officer`: identity number, needs, "
        "relatives, message history); the team the person's name, address and phone and the plan "
        "(`view: team`); on-call what an alert needs (`view: oncall`). The audit record names the fields shown.",
        responses={
            **NOT_FOUND,
            200: {
                "content": {
                    "application/json": {
                        "examples": {
                            m.__name__: {"summary": f"view: {m.model_fields['view'].default}", "value": _example(m)}
                            for m in (CaseDetail, TeamCaseView, OnCallCaseView)
                        }
                    }
                }
            },
        },
    )
    async def read_case(case_id: str, actor: Actor = reader) -> CaseDetail | TeamCaseView | OnCallCaseView:
        with domain_errors():
            read = await uc.read_case(deps, case_id, actor)
        return _view(read)

    return router
