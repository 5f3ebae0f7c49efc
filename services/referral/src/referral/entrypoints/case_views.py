"""What a case read answers: the summary, the officer's whole case, the team's and on-call's views.

Only what the reader's role needs (`uc.CaseView`); the audit record names the same fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from referral.domain.case import Case, CaseFacts, CaseStatus, ReadyPeriod
from referral.domain.decision import DecisionType
from referral.domain.identity import IdType
from referral.entrypoints.decisions import DECISION_EXAMPLE, DecisionOut, decision_out
from referral.entrypoints.sip import SIP_EXAMPLE, SipOut, sip_out
from referral.service_layer import cases as uc
from trygg_shared import http
from trygg_shared.http import Out
from trygg_shared.mapping import to_contract

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


class AddressOut(Out):
    street: str
    postal_code: str
    city: str
    municipality_code: str | None


class PersonOut(Out):
    id_type: IdType
    id: str = Field(description="The identity number (12 digits) or reserve number.")
    given_name: str
    family_name: str
    address: AddressOut | None
    phone: str | None


class CaseSummary(Out):
    model_config = http.example(_SUMMARY_EXAMPLE)

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


class MessageOut(Out):
    message_id: str = Field(description="The sender's webhook-id.")
    message_type: str
    received_at: datetime | None = Field(description="When it arrived (unknown for messages from before receipts).")
    sent_at: datetime | None = Field(description="When the hospital sent it.")
    applied: bool = Field(description="Applied to the case (false: stored, to be applied by the retry sweep).")
    cancelled: bool


class LiabilityOut(Out):
    ready_at: datetime
    planned_discharge_at: datetime | None
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    ended_at: datetime | None


class CaseDetail(CaseSummary):
    model_config = http.example(
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
            "sip": SIP_EXAMPLE,
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
    sip: SipOut | None = Field(
        None, description="The SIP deadline (3 calendar days after the ready notice's day) and invitation."
    )
    discharged_at: datetime | None
    destination: str | None
    liable_days: int
    decisions: list[DecisionOut]
    messages: list[MessageOut]


class ContactOut(Out):
    """The person as the team and on-call need them: who, where, how to reach them. No identity number."""

    given_name: str
    family_name: str
    address: AddressOut | None
    phone: str | None


class PlanOut(Out):
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


# The decision (the officer's example) as the team's plan shows it: no relatives, no notes.
_PLAN_EXAMPLE: dict[str, Any] = {name: DECISION_EXAMPLE[name] for name in PlanOut.model_fields}
# The person's contact details as the team and on-call views show them (one example for both).
_CONTACT_EXAMPLE: dict[str, Any] = {
    "given_name": "Astrid",
    "family_name": "Lindqvist",
    "address": {"street": "Exempelgatan 4", "postal_code": "17741", "city": "Järfälla", "municipality_code": None},
    "phone": "+46701234567",
}
# What the team's and on-call's views both start with (after `view`).
_PERSON_VIEW_EXAMPLE: dict[str, Any] = {
    "case_id": _SUMMARY_EXAMPLE["case_id"],
    "status": "discharged",
    "person": _CONTACT_EXAMPLE,
}


class _PersonView(Out):
    """The head of a view without the identity number: which view, the case, its state, whom it is about."""

    view: str
    case_id: str
    status: CaseStatus
    person: ContactOut | None


class TeamCaseView(_PersonView):
    """The team's view of a case: the person's name, address and phone, and the plan."""

    model_config = http.example(
        {
            "view": "team",
            **_PERSON_VIEW_EXAMPLE,
            "expected_discharge_date": "2026-11-24",
            "discharged_at": "2026-11-24T10:00:00Z",
            "plan": [_PLAN_EXAMPLE],
        }
    )

    view: Literal["team"] = "team"
    expected_discharge_date: date | None
    discharged_at: datetime | None
    plan: list[PlanOut] = Field(description="The decisions (no relatives, no notes).")


class OnCallCaseView(_PersonView):
    """On-call's view of a case: what an alert needs (whom to reach, where, which team is responsible)."""

    model_config = http.example(
        {
            "view": "oncall",
            **_PERSON_VIEW_EXAMPLE,
            "decision": "trygg_hemgang",
            "team": "Team Väst",
            "liability_starts_at": None,
        }
    )

    view: Literal["oncall"] = "oncall"
    decision: DecisionType | None = Field(description="Type of the active decision, if any.")
    team: str | None = Field(description="The team of the active decision.")
    liability_starts_at: datetime | None = Field(description="Set while the payment clock runs.")


CaseReadOut = Annotated[CaseDetail | TeamCaseView | OnCallCaseView, Field(discriminator="view")]


def example(model: type[BaseModel]) -> Any:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    return extra["examples"][0]  # type: ignore[index]


# --- mapping --------------------------------------------------------------------------------


def summary_fields(case: Case, facts: CaseFacts) -> dict[str, object]:
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
    return to_contract(LiabilityOut, p, p.clock)


def _contact(facts: CaseFacts) -> ContactOut | None:
    return to_contract(ContactOut, facts.patient) if facts.patient is not None else None


def case_view(read: uc.CaseRead) -> CaseDetail | TeamCaseView | OnCallCaseView:
    """Only what the reader's role needs (`uc.CaseView`); the audit record names the same fields."""
    case, facts = read.case, read.facts
    if read.view is uc.CaseView.TEAM:
        return to_contract(
            TeamCaseView,
            case,
            facts,
            facts.planning,
            person=_contact(facts),
            discharged_at=facts.discharge.discharged_at if facts.discharge else None,
            plan=[PlanOut.model_validate(d) for d in case.decisions],  # from the decision's attributes
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
        person = to_contract(PersonOut, patient, id_type=patient.identity.id_type, id=patient.identity.value)
    planning = facts.planning
    return to_contract(
        CaseDetail,
        planning,  # the expected discharge date, needs, aids and medication list
        facts,
        **summary_fields(case, facts),
        person=person,
        fast_vardkontakt=planning.fast_vardkontakt.unit_name if planning.fast_vardkontakt else None,
        liability=_liability(facts.ready) if facts.ready else None,
        earlier_ready_periods=[_liability(p) for p in facts.ready_history],
        sip=sip_out(read.sip, case.sip_lapses_reported) if read.sip is not None else None,
        discharged_at=facts.discharge.discharged_at if facts.discharge else None,
        destination=facts.discharge.destination.value if facts.discharge and facts.discharge.destination else None,
        decisions=[decision_out(d) for d in case.decisions],
        messages=[to_contract(MessageOut, m, cancelled=m.message_id in facts.cancelled_ids) for m in read.history],
    )
