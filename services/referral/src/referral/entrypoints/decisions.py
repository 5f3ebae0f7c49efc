"""`/cases/{case_id}/decisions`: the officer records, changes and ends a decision (biståndsbeslut).

The request schemas say what is accepted, per decision type and within the municipality's
profile (the longest length, the teams): a request that fits the schema is refused for the
case's state (409: a cancelled case, a death, an active decision already, a decision that has
ended), or for the limits on relatives' SMS that a schema cannot express (`sms_limits`: 422 for
a consenting relative's number off the allow-list or too many consenting relatives, 429 for the
officer's consents of the day).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from referral.domain.decision import (
    MAX_HOURS_GRANTED,
    Decision,
    DecisionType,
    EndReason,
    Language,
    MunicipalityProfile,
    Relative,
)
from referral.entrypoints.errors import AUTH_ERRORS, BAD_BODY, CONFLICT, NOT_FOUND, SMS_CAPS, domain_errors
from referral.service_layer import cases as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import PERMISSIONS, Actor, Authenticator
from trygg_shared import http
from trygg_shared.bearer import require
from trygg_shared.fields import FreeText, NonBlankText, PlausibleDate
from trygg_shared.http import Out
from trygg_shared.mapping import from_contract, to_contract

Phone = Annotated[
    str,
    Field(
        pattern=r"^\+?[0-9(][0-9 ()-]{5,24}$",
        description="Phone number in E.164 (+46701234567) or written the Swedish way (070-123 45 67); kept in "
        "E.164. A relative with consent needs a mobile number the SMS allow-list accepts (422 otherwise).",
    ),
]
Name = Annotated[NonBlankText, Field(min_length=1, max_length=200)]
Notes = Annotated[FreeText | None, Field(None, max_length=4000)]
RelativeId = Annotated[
    NonBlankText | None,
    Field(None, min_length=1, max_length=64, description="Keep the id to update an existing relative."),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- request bodies ------------------------------------------------------------------------


class RelativeIn(_In):
    """A relative the person has not (or not yet) agreed to inform."""

    relative_id: RelativeId
    name: Name
    phone: Phone | None = None
    language: Language = Language.SV
    consent: Literal[False] = Field(False, description="No consent: the relative is never contacted.")


class ConsentingRelativeIn(_In):
    """A relative the person agreed to inform: needs a mobile number."""

    relative_id: RelativeId
    name: Name
    phone: Phone
    language: Language = Field(Language.SV, description="Language of messages to this relative.")
    consent: Literal[True] = Field(description="The person has consented to this relative being informed.")


Relatives = Annotated[list[ConsentingRelativeIn | RelativeIn], Field(max_length=10)]


class EndDecisionRequest(_In):
    model_config = http.examples({"end_date": "2026-11-30", "reason": "ended_early"})
    end_date: PlausibleDate = Field(description="Last day of service, inclusive.")
    reason: EndReason = EndReason.ENDED_EARLY


Hours = Annotated[int, Field(ge=1, le=MAX_HOURS_GRANTED, description="The pot of hours granted.")]


def _length_type(profile: MunicipalityProfile) -> Any:
    """A length in days, up to the profile's longest."""
    return Annotated[int, Field(ge=1, le=profile.max_length_days, description="Length in days.")]


def _team_type(profile: MunicipalityProfile) -> Any:
    """One of the profile's teams, or any team name when the profile names none."""
    return (
        Literal[tuple(profile.teams)]  # type: ignore[valid-type]
        if profile.teams
        else Annotated[NonBlankText, Field(min_length=1, max_length=100)]
    )


def _trygg_hemgang_model(profile: MunicipalityProfile) -> type[BaseModel]:
    LengthT: Any = _length_type(profile)
    TeamT: Any = _team_type(profile)

    class TryggHemgangDecision(_In):
        """A frame decision (rambeslut): days of support by a Trygg hemgång team."""

        model_config = http.examples(
            {
                "decision_type": "trygg_hemgang",
                "start_date": "2026-11-25",
                "length_days": min(14, profile.max_length_days),
                "team": profile.teams[0] if profile.teams else "Team Väst",
                "hemtjanst_evenings_nights_weekends": True,
                "relatives": [{"name": "Karin Lindqvist", "phone": "+46701112233", "language": "sv", "consent": True}],
                "notes": "Meet at the ward the day before discharge.",
            }
        )
        decision_type: Literal[DecisionType.TRYGG_HEMGANG]
        start_date: PlausibleDate = Field(description="First day (normally the discharge day).")
        length_days: LengthT
        team: TeamT
        hemtjanst_evenings_nights_weekends: bool = Field(
            False, description="Ordinary home care ordered in parallel for evenings, nights and weekends."
        )
        relatives: Relatives = Field(default_factory=list)
        notes: Notes

    return TryggHemgangDecision


def _hemgangsbeslut_model(profile: MunicipalityProfile) -> type[BaseModel]:
    LengthT: Any = _length_type(profile)
    TeamT: Any = _team_type(profile)

    class HemgangsbeslutDecision(_In):
        """Gotland's hemgångsbeslut: a pot of hours, the detailed assessment made at home."""

        model_config = http.examples(
            {
                "decision_type": "hemgangsbeslut",
                "start_date": "2026-11-25",
                "hours_granted": 30,
                "team": profile.teams[0] if profile.teams else "Team Väst",
            }
        )
        decision_type: Literal[DecisionType.HEMGANGSBESLUT]
        start_date: PlausibleDate = Field(description="First day (normally the discharge day).")
        hours_granted: Hours
        length_days: LengthT | None = Field(None, description="Optional: the days within which the hours are used.")
        team: TeamT
        hemtjanst_evenings_nights_weekends: bool = False
        relatives: Relatives = Field(default_factory=list)
        notes: Notes

    return HemgangsbeslutDecision


class OtherServiceDecision(_In):
    """Ordinary home care only, or a short-term stay."""

    model_config = http.examples({"decision_type": "short_term_stay", "start_date": "2026-11-25"})
    decision_type: Literal[DecisionType.HEMTJANST_ONLY, DecisionType.SHORT_TERM_STAY]
    start_date: PlausibleDate = Field(description="First day of the service.")
    length_days: Annotated[int, Field(ge=1, le=90)] | None = Field(None, description="Length in days, if limited.")
    team: Annotated[NonBlankText, Field(min_length=1, max_length=100)] | None = None
    hemtjanst_evenings_nights_weekends: bool = False
    relatives: Relatives = Field(default_factory=list)
    notes: Notes


class NoServiceDecision(_In):
    """The person declined, or the application was refused: no service."""

    model_config = http.examples({"decision_type": "declined"})
    decision_type: Literal[DecisionType.DECLINED, DecisionType.REFUSED]
    notes: Notes


def _change_model(profile: MunicipalityProfile) -> type[BaseModel]:
    LengthT: Any = _length_type(profile)

    class ChangeDecisionRequest(_In):
        model_config = http.examples(
            {"length_days": min(10, profile.max_length_days)},
            {"withdraw_consent_of": ["a1b2c3d4e5f6"]},
        )
        length_days: LengthT | None = Field(None, description="New length (extend or shorten).")
        hours_granted: Hours | None = Field(None, description="New pot of hours (a hemgångsbeslut only).")
        hemtjanst_evenings_nights_weekends: bool | None = None
        relatives: Relatives | None = Field(None, description="The full new list of relatives.")
        withdraw_consent_of: list[Annotated[NonBlankText, Field(min_length=1, max_length=64)]] = Field(
            default_factory=list, max_length=10, description="relative_ids whose consent is withdrawn."
        )

    return ChangeDecisionRequest


def request_models(profile: MunicipalityProfile) -> tuple[Any, type[BaseModel]]:
    """The grant (a union by `decision_type`) and change request bodies, within `profile`."""
    TryggHemgangDecision: Any = _trygg_hemgang_model(profile)
    HemgangsbeslutDecision: Any = _hemgangsbeslut_model(profile)
    grant: Any = Annotated[
        TryggHemgangDecision | HemgangsbeslutDecision | OtherServiceDecision | NoServiceDecision,
        Field(discriminator="decision_type"),
    ]
    return grant, _change_model(profile)


# --- responses ------------------------------------------------------------------------------


class RelativeOut(Out):
    relative_id: str
    name: str
    phone: str | None
    language: Language
    consent: bool
    consent_recorded_by: str | None
    consent_recorded_at: datetime | None


class DecisionEndingOut(Out):
    end_date: date
    reason: EndReason
    ended_by: str
    ended_at: datetime


DECISION_EXAMPLE: dict[str, Any] = {
    "decision_id": "0b9a4c1e-6f2d-4f7e-9a51-3c2b1d0e9f87",
    "decision_type": "trygg_hemgang",
    "active": True,
    "start_date": "2026-11-25",
    "length_days": 14,
    "hours_granted": None,
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


class DecisionOut(Out):
    model_config = http.example(DECISION_EXAMPLE)

    decision_id: str
    decision_type: DecisionType
    active: bool
    start_date: date | None
    length_days: int | None
    hours_granted: int | None = Field(description="A hemgångsbeslut's pot of hours.")
    end_date: date | None
    team: str | None
    hemtjanst_evenings_nights_weekends: bool
    relatives: list[RelativeOut]
    notes: str | None
    granted_by: str
    granted_at: datetime
    ending: DecisionEndingOut | None
    changes: list[str]


def decision_out(d: Decision) -> DecisionOut:
    """The decision by field name (its `active` and `end_date` too), the ending nested; relatives below."""
    return to_contract(DecisionOut, d, relatives=[_relative_out(r) for r in d.relatives])


def _relative_out(r: Relative) -> RelativeOut:
    consent = r.consent
    return to_contract(
        RelativeOut,
        r,
        consent=consent is not None,
        consent_recorded_by=consent.recorded_by if consent else None,
        consent_recorded_at=consent.recorded_at if consent else None,
    )


def _relatives(items: list[ConsentingRelativeIn | RelativeIn] | None) -> tuple[uc.RelativeInput, ...] | None:
    if items is None:
        return None
    return tuple(uc.RelativeInput(r.name, r.phone, r.language, r.consent, r.relative_id) for r in items)


def _grant_command(given: Any) -> uc.GrantDecision:
    """The use case's command from one of the profile's grant request models."""
    # A field the decision type's model lacks keeps the command's default.
    return from_contract(uc.GrantDecision, given, relatives=_relatives(getattr(given, "relatives", [])) or ())


def _change_command(given: Any) -> uc.ChangeDecision:
    """The use case's command from the profile's change request model."""
    return from_contract(uc.ChangeDecision, given, relatives=_relatives(given.relatives))


# --- routes ---------------------------------------------------------------------------------

_GRANT_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: CONFLICT[409] | {"description": "The case is cancelled, the person has died, or a decision is active already."}
}
_CHANGE_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: CONFLICT[409]
    | {
        "description": "The decision has ended, or does not allow this change "
        "(e.g. hours on a decision that grants days)."
    }
}
_END_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: CONFLICT[409] | {"description": "The decision has ended already, or the end date is outside its days."}
}


def decision_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["decisions"], responses={**AUTH_ERRORS, **BAD_BODY, **NOT_FOUND, **CONFLICT, **SMS_CAPS})
    decider = require(authenticator, PERMISSIONS["decide"])
    grant_request, change_request = request_models(deps.profile)

    @router.post(
        "/cases/{case_id}/decisions",
        status_code=201,
        response_model=DecisionOut,
        summary="Record the officer's decision",
        responses=_GRANT_CONFLICT,
    )
    async def grant_decision(
        case_id: str,
        body: Annotated[grant_request, Body()],  # type: ignore[valid-type]  # built from the profile
        actor: Actor = decider,
    ) -> DecisionOut:
        command = _grant_command(body)
        with domain_errors():
            decision = await uc.grant_decision(deps, case_id, command, actor)
        return decision_out(decision)

    @router.patch(
        "/cases/{case_id}/decisions/{decision_id}",
        response_model=DecisionOut,
        summary="Change a decision: extend, shorten, hours, evening cover, relatives, withdraw consent",
        responses=_CHANGE_CONFLICT,
    )
    async def change_decision(
        case_id: str,
        decision_id: str,
        body: Annotated[change_request, Body()],  # type: ignore[valid-type]  # built from the profile
        actor: Actor = decider,
    ) -> DecisionOut:
        command = _change_command(body)
        with domain_errors(rules_are_conflicts=True):
            decision = await uc.change_decision(deps, case_id, decision_id, command, actor)
        return decision_out(decision)

    @router.post(
        "/cases/{case_id}/decisions/{decision_id}/end",
        response_model=DecisionOut,
        summary="End a decision early",
        responses=_END_CONFLICT,
    )
    async def end_decision(
        case_id: str, decision_id: str, body: EndDecisionRequest, actor: Actor = decider
    ) -> DecisionOut:
        with domain_errors(rules_are_conflicts=True):
            decision = await uc.end_decision(
                deps, case_id, decision_id, uc.EndDecision(body.end_date, body.reason), actor
            )
        return decision_out(decision)

    return router
