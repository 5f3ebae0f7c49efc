"""The officers' and teams' HTTP API: cases, decisions and the audit trail.

Routes translate HTTP to one use case and back. Every route needs a bearer token; the role
table is `ROLES` below (and in the README). Errors are problem+json: 401 without a valid token,
403 without the role, 404 unknown case, 409 a rule about the case's state, 422 invalid input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from referral.adapters.auth import Role, TokenAuthenticator
from referral.domain.case import Case, CaseError, CaseFacts, CaseNotFound, CaseStatus, OpeningReason, ReadyPeriod
from referral.domain.decision import Decision, DecisionError, DecisionType, EndReason, Language
from referral.domain.identity import IdType, InvalidIdentity
from referral.domain.messages import Address
from referral.service_layer import cases as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import AuditRecord, CaseQuery, ConcurrencyConflict, StorageUnavailable
from trygg_shared.http import FieldError, ProblemError

ROLES: dict[str, tuple[Role, ...]] = {
    "open_case": (Role.OFFICER,),
    "decide": (Role.OFFICER,),
    "read_cases": (Role.OFFICER, Role.TEAM, Role.ONCALL),
    "read_audit": (Role.OPS,),
}

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- request bodies ------------------------------------------------------------------------


class AddressIn(_In):
    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(pattern=r"^\d{3} ?\d{2}$")
    city: str = Field(min_length=1, max_length=100)
    municipality_code: str | None = Field(None, pattern=r"^\d{4}$")


class PersonIn(_In):
    id_type: IdType = Field(description="personnummer, samordningsnummer or reservnummer.")
    id: str = Field(min_length=1, max_length=64, description="12 digits (hyphen optional) or a reserve number.")
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    address: AddressIn | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164.")


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
    notes: str | None = Field(None, max_length=4000)


class RelativeIn(_In):
    relative_id: str | None = Field(None, max_length=64, description="Keep the id to update an existing relative.")
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(None, description="Mobile number in E.164, e.g. +46701234567.")
    language: Language = Language.SV
    consent: bool = Field(False, description="The person has consented to this relative being informed.")


class GrantDecisionRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_type": "trygg_hemgang",
                    "start_date": "2026-11-25",
                    "length_days": 14,
                    "team": "Team Väst",
                    "hemtjanst_evenings_nights_weekends": True,
                    "relatives": [
                        {"name": "Karin Lindqvist", "phone": "+46701112233", "language": "sv", "consent": True}
                    ],
                    "notes": "Meet at the ward the day before discharge.",
                }
            ]
        }
    )
    decision_type: DecisionType
    start_date: date | None = Field(None, description="First day (normally the discharge day).")
    length_days: int | None = Field(None, ge=1, le=90, description="Frame decision length in days.")
    team: str | None = Field(None, max_length=100)
    hemtjanst_evenings_nights_weekends: bool = False
    relatives: list[RelativeIn] = Field(default_factory=list, max_length=10)
    notes: str | None = Field(None, max_length=4000)


class ChangeDecisionRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"length_days": 10}, {"withdraw_consent_of": ["a1b2c3d4e5f6"]}]}
    )
    length_days: int | None = Field(None, ge=1, le=90, description="New length (extend or shorten).")
    hemtjanst_evenings_nights_weekends: bool | None = None
    relatives: list[RelativeIn] | None = Field(None, max_length=10, description="The full new list of relatives.")
    withdraw_consent_of: list[str] = Field(default_factory=list, max_length=10, description="relative_ids.")


class EndDecisionRequest(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"end_date": "2026-11-30", "reason": "ended_early"}]})
    end_date: date = Field(description="Last day of service, inclusive.")
    reason: EndReason = EndReason.ENDED_EARLY


# --- responses ------------------------------------------------------------------------------


class RelativeOut(_Out):
    relative_id: str
    name: str
    phone: str | None
    language: Language
    consent: bool
    consent_recorded_by: str | None
    consent_recorded_at: datetime | None


class DecisionEndingOut(_Out):
    end_date: date
    reason: EndReason
    ended_by: str
    ended_at: datetime


_DECISION_EXAMPLE: dict[str, Any] = {
    "decision_id": "0b9a4c1e-6f2d-4f7e-9a51-3c2b1d0e9f87",
    "decision_type": "trygg_hemgang",
    "active": True,
    "start_date": "2026-11-25",
    "length_days": 14,
    "end_date": "2026-12-08",
    "team": "Team Väst",
    "hemtjanst_evenings_nights_weekends": True,
    "relatives": [
        {
            "relative_id": "a1b2c3d4e5f6",
            "name": "Karin Lindqvist",
            "phone": "+46701112233",
            "language": "sv",
            "consent": True,
            "consent_recorded_by": "officer:anna.svensson",
            "consent_recorded_at": "2026-11-23T10:00:00Z",
        }
    ],
    "notes": "Meet at the ward the day before discharge.",
    "granted_by": "officer:anna.svensson",
    "granted_at": "2026-11-23T10:00:00Z",
    "ending": None,
    "changes": [],
}
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


class DecisionOut(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_DECISION_EXAMPLE]})

    decision_id: str
    decision_type: DecisionType
    active: bool
    start_date: date | None
    length_days: int | None
    end_date: date | None
    team: str | None
    hemtjanst_evenings_nights_weekends: bool
    relatives: list[RelativeOut]
    notes: str | None
    granted_by: str
    granted_at: datetime
    ending: DecisionEndingOut | None
    changes: list[str]


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
    received_at: datetime
    sent_at: str | None
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
                    "decisions": [_DECISION_EXAMPLE],
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


class AuditRecordOut(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "record_id": "5d0c5b8e-2f1a-4c3e-8f2b-7a6d9e1c0b3a",
                    "at": "2026-11-23T10:05:00Z",
                    "actor": "team:maria.holm",
                    "roles": ["team"],
                    "action": "read_case",
                    "case_ids": ["a81ac505-f085-519e-9ef6-973a857711b7"],
                    "fields": ["identity_number", "name", "address"],
                    "trace_id": "6f17052dc51d2463ba3ac84066774e80",
                }
            ]
        },
    )

    record_id: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    case_ids: list[str]
    fields: list[str]
    trace_id: str | None


# --- mapping --------------------------------------------------------------------------------


def _decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        decision_id=d.decision_id,
        decision_type=d.decision_type,
        active=d.active,
        start_date=d.start_date,
        length_days=d.length_days,
        end_date=d.end_date,
        team=d.team,
        hemtjanst_evenings_nights_weekends=d.hemtjanst_evenings_nights_weekends,
        relatives=[
            RelativeOut(
                relative_id=r.relative_id,
                name=r.name,
                phone=r.phone,
                language=r.language,
                consent=r.consent is not None,
                consent_recorded_by=r.consent.recorded_by if r.consent else None,
                consent_recorded_at=r.consent.recorded_at if r.consent else None,
            )
            for r in d.relatives
        ],
        notes=d.notes,
        granted_by=d.granted_by,
        granted_at=d.granted_at,
        ending=DecisionEndingOut.model_validate(d.ending) if d.ending else None,
        changes=list(d.changes),
    )


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
        decisions=[_decision_out(d) for d in case.decisions],
        messages=[
            MessageOut(
                message_id=r.webhook_id,
                message_type=r.message_type,
                received_at=r.received_at,
                sent_at=str(r.body.get("sent_at")) if r.body.get("sent_at") else None,
                cancelled=r.webhook_id in facts.cancelled_ids,
            )
            for r in read.history
        ],
    )


def _relatives(items: list[RelativeIn] | None) -> tuple[uc.RelativeInput, ...] | None:
    if items is None:
        return None
    return tuple(uc.RelativeInput(r.name, r.phone, r.language, r.consent, r.relative_id) for r in items)


@contextlib.contextmanager
def _domain_errors() -> Iterator[None]:
    """Domain and storage errors as problem+json. Messages are written without personal data."""
    try:
        yield
    except CaseNotFound as exc:
        raise ProblemError(404, "Not found", str(exc)) from None
    except (CaseError, ConcurrencyConflict) as exc:
        raise ProblemError(409, "Conflict", str(exc) or "The case changed meanwhile; try again.") from None
    except InvalidIdentity as exc:
        raise ProblemError(
            422, "Unprocessable content", errors=[FieldError(field="person.id", message=str(exc), type="value_error")]
        ) from None
    except DecisionError as exc:
        raise ProblemError(422, "Unprocessable content", str(exc)) from None
    except StorageUnavailable:
        raise ProblemError(503, "Service unavailable", "Try again shortly.", headers={"Retry-After": "5"}) from None


# --- routes ---------------------------------------------------------------------------------

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token."},
    403: {"description": "The token lacks the role this endpoint needs."},
}


def officer_router(deps: ReferralDeps, authenticator: TokenAuthenticator) -> APIRouter:
    def require(permission: str) -> Any:
        allowed = ROLES[permission]

        async def actor(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> uc.Actor:
            found = authenticator.authenticate(credentials.credentials) if credentials else None
            if found is None:
                raise ProblemError(
                    401, "Unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
                )
            if not set(found.roles) & {r.value for r in allowed}:
                raise ProblemError(403, "Forbidden", "Your role may not do this.")
            return found

        return Depends(actor)

    router = APIRouter(tags=["cases"], responses=_AUTH_ERRORS)
    officer, decider, reader, auditor = (require(p) for p in ("open_case", "decide", "read_cases", "read_audit"))

    @router.post(
        "/cases", status_code=201, response_model=CaseSummary, summary="Open a case without a hospital message"
    )
    async def open_case(body: OpenCaseRequest, actor: uc.Actor = officer) -> CaseSummary:
        p = body.person
        address = (
            Address(p.address.street, p.address.postal_code, p.address.city, p.address.municipality_code)
            if p.address
            else None
        )
        command = uc.OpenCase(
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
        with _domain_errors():
            case = await uc.open_case(deps, command, actor)
        return CaseSummary(**_summary_fields(case, case.facts(deps.agreements)))  # type: ignore[arg-type]

    @router.get(
        "/cases", response_model=list[CaseSummary], summary="List cases by state and by how soon liability starts"
    )
    async def list_cases(
        actor: uc.Actor = reader,
        status: Annotated[list[CaseStatus] | None, Query(description="Only these states.")] = None,
        liability_running: Annotated[bool, Query(description="Only cases whose payment clock runs.")] = False,
        order: Annotated[
            Literal["liability", "updated"], Query(description="Soonest liability first, or newest.")
        ] = "liability",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> list[CaseSummary]:
        query = CaseQuery(tuple(s.value for s in status or ()), liability_running, order, limit, offset)
        with _domain_errors():
            found = await uc.list_cases(deps, query, actor)
        return [CaseSummary(**_summary_fields(c, f)) for c, f in found]  # type: ignore[arg-type]

    @router.get("/cases/{case_id}", response_model=CaseDetail, summary="Read one case with its message history")
    async def read_case(case_id: str, actor: uc.Actor = reader) -> CaseDetail:
        with _domain_errors():
            read = await uc.read_case(deps, case_id, actor)
        return _detail(read)

    @router.post(
        "/cases/{case_id}/decisions",
        status_code=201,
        response_model=DecisionOut,
        summary="Record the officer's decision",
    )
    async def grant_decision(case_id: str, body: GrantDecisionRequest, actor: uc.Actor = decider) -> DecisionOut:
        command = uc.GrantDecision(
            body.decision_type,
            body.start_date,
            body.length_days,
            body.team,
            body.hemtjanst_evenings_nights_weekends,
            _relatives(body.relatives) or (),
            body.notes,
        )
        with _domain_errors():
            decision = await uc.grant_decision(deps, case_id, command, actor)
        return _decision_out(decision)

    @router.patch(
        "/cases/{case_id}/decisions/{decision_id}",
        response_model=DecisionOut,
        summary="Change a decision: extend, shorten, relatives, withdraw consent",
    )
    async def change_decision(
        case_id: str, decision_id: str, body: ChangeDecisionRequest, actor: uc.Actor = decider
    ) -> DecisionOut:
        command = uc.ChangeDecision(
            body.length_days,
            body.hemtjanst_evenings_nights_weekends,
            _relatives(body.relatives),
            tuple(body.withdraw_consent_of),
        )
        with _domain_errors():
            decision = await uc.change_decision(deps, case_id, decision_id, command, actor)
        return _decision_out(decision)

    @router.post(
        "/cases/{case_id}/decisions/{decision_id}/end", response_model=DecisionOut, summary="End a decision early"
    )
    async def end_decision(
        case_id: str, decision_id: str, body: EndDecisionRequest, actor: uc.Actor = decider
    ) -> DecisionOut:
        with _domain_errors():
            decision = await uc.end_decision(
                deps, case_id, decision_id, uc.EndDecision(body.end_date, body.reason), actor
            )
        return _decision_out(decision)

    @router.get(
        "/audit",
        response_model=list[AuditRecordOut],
        tags=["audit"],
        summary="Who read a case's personal data, and when",
    )
    async def audit_trail(
        case_id: Annotated[str, Query(min_length=1, max_length=64)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        actor: uc.Actor = auditor,
    ) -> list[AuditRecordOut]:
        with _domain_errors():
            records: list[AuditRecord] = await uc.audit_trail(deps, case_id, limit)
        return [AuditRecordOut.model_validate(r) for r in records]

    return router
