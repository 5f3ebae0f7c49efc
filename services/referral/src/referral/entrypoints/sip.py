"""`/cases/{case_id}/sip-invitations`: an officer records a SIP invitation (audited); the SIP on a case read.

A SIP (samordnad individuell plan) invitation is owed within 3 calendar days of the ready notice
when a fast vårdkontakt is named (`referral.domain.sip`). Hospitals send it as a LUS `sip_kallelse`
message; an officer who learnt of it by phone or on paper records it here. The same invitation
posted again is the first one (200, nothing recorded twice).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from referral.domain.sip import SipPicture, SipPlace, SipSource
from referral.entrypoints.errors import AUTH_ERRORS, BAD_BODY, CONFLICT, NOT_FOUND, domain_errors
from referral.service_layer import sip as uc
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import PERMISSIONS, Actor, Authenticator
from trygg_shared import http
from trygg_shared.bearer import require
from trygg_shared.fields import PlausibleAwareDatetime
from trygg_shared.mapping import from_contract, to_contract

_INVITATION_EXAMPLE: dict[str, Any] = {
    "invitation_id": "sip-5c1e0f2a9b414a8e9d0b2e6f1c7a9b41",
    "invited_at": "2026-11-24T10:00:00+01:00",
    "meeting_at": "2026-11-27T13:00:00+01:00",
    "place": "home",
    "source": "officer",
    "recorded_by": "officer:anna.svensson",
    "recorded_at": "2026-11-24T10:05:00+01:00",
}
SIP_EXAMPLE: dict[str, Any] = {
    "ready_at": "2026-11-23T09:00:00+01:00",
    "deadline": "2026-11-27T00:00:00+01:00",
    "invitation": _INVITATION_EXAMPLE,
    "invited_in_time": True,
    "lapsed": False,
}


class SipInvitationRequest(BaseModel):
    """An invitation to a SIP meeting that the officer learnt of: when it was sent, when and where the meeting is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"invited_at": "2026-11-24T10:00:00+01:00", "meeting_at": "2026-11-27T13:00:00+01:00", "place": "home"}
            ]
        },
    )
    invited_at: PlausibleAwareDatetime = Field(
        description="When the fast vårdkontakt sent the invitation (with offset)."
    )
    meeting_at: PlausibleAwareDatetime = Field(description="The SIP meeting's date and time (with offset).")
    place: SipPlace = Field(description="Where the meeting is held: `home` or `hospital`.")

    @model_validator(mode="after")
    def _meeting_after_invitation(self) -> SipInvitationRequest:
        if self.meeting_at < self.invited_at:
            raise ValueError("the meeting cannot be before the invitation was sent")
        return self


class SipInvitationOut(BaseModel):
    model_config = http.example(_INVITATION_EXAMPLE)
    invitation_id: str
    invited_at: datetime
    meeting_at: datetime
    place: SipPlace
    source: SipSource = Field(description="`lus`: the hospital's `sip_kallelse` message; `officer`: recorded here.")
    recorded_by: str = Field(description="The sending system, or the officer's subject.")
    recorded_at: datetime


class SipOut(BaseModel):
    """The case's SIP: the deadline owed (3 calendar days after the ready notice's day) and the first invitation."""

    model_config = http.examples(SIP_EXAMPLE)
    ready_at: datetime | None = Field(description="The ready notice the SIP is owed from (null: none owed).")
    deadline: datetime | None = Field(description="The end of the third calendar day after the ready notice's day.")
    invitation: SipInvitationOut | None = Field(description="The first invitation recorded, if any.")
    invited_in_time: bool | None = Field(description="Whether it was sent by the deadline (null: not known yet).")
    lapsed: bool = Field(description="The deadline passed without an invitation, and on-call was told.")


class SipRecordedOut(BaseModel):
    model_config = http.examples({"invitation": _INVITATION_EXAMPLE, "sip": SIP_EXAMPLE})
    invitation: SipInvitationOut = Field(description="The invitation as recorded (the first one, for a repeat).")
    sip: SipOut


def sip_out(sip: SipPicture, lapses_reported: Collection[str]) -> SipOut:
    """The picture by field name (the invitation nested); `lapsed` only once on-call was told."""
    return to_contract(SipOut, sip, lapsed=sip.lapse_key is not None and sip.lapse_key in lapses_reported)


_RECORD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    **NOT_FOUND,
    200: {"description": "The same invitation was recorded before: nothing new was recorded.", "model": SipRecordedOut},
    409: CONFLICT[409] | {"description": "The case is cancelled, or the person has died."},
}


def sip_router(deps: ReferralDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["sip"], responses=AUTH_ERRORS)
    officer = require(authenticator, PERMISSIONS["record_sip"])

    @router.post(
        "/cases/{case_id}/sip-invitations",
        status_code=201,
        response_model=SipRecordedOut,
        summary="Record a SIP invitation the officer learnt of (audited)",
        responses=_RECORD_RESPONSES,
    )
    async def record(
        case_id: str, body: SipInvitationRequest, response: Response, actor: Actor = officer
    ) -> SipRecordedOut:
        command = from_contract(uc.RecordSipInvitation, body)
        with domain_errors(rules_are_conflicts=True):
            recorded = await uc.record_sip_invitation(deps, case_id, command, actor)
        if not recorded.created:
            response.status_code = 200
        return to_contract(SipRecordedOut, recorded, sip=sip_out(recorded.sip, recorded.lapses_reported))

    return router
