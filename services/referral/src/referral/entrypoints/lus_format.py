"""The hospital's LUS webhook body (specs/lus-webhook.md), validated exactly, and its mapping to the domain.

This is an anti-corruption layer: the sender owns the format, so it lives apart from the
domain and translates into `HospitalMessage`. Unknown fields are ignored (a sender may add
some); unknown message types, missing required fields, bad identity numbers and times without
an offset are errors. Error messages never contain the values that were sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator

from referral.domain.identity import InvalidIdentity, parse_identity
from referral.domain.liability import CareType
from referral.domain.messages import (
    Address,
    CareUnit,
    Destination,
    FastVardkontakt,
    HospitalMessage,
    MessageType,
    Patient,
    SipPlace,
)
from trygg_shared.fields import NonBlankFreeText, NonBlankText, PlausibleAwareDatetime, PlausibleDate

MAX_BODY_BYTES = 64 * 1024

# No control characters in any text (a NUL can never be stored), dates in a plausible window.
_Text = Annotated[NonBlankText, Field(min_length=1, max_length=200)]
_LongText = Annotated[NonBlankFreeText, Field(min_length=1, max_length=8000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class LusCareUnit(_Model):
    hsa_id: _Text = Field(description="HSA id of the care unit.", examples=["SE2321000016-15CQ"])
    name: _Text = Field(description="Name of the care unit.", examples=["Geriatriska kliniken avd 61"])


class LusEpisode(_Model):
    episode_id: Annotated[NonBlankText, Field(min_length=1, max_length=64)] = Field(
        description="The hospital's care episode (vårdtillfälle) id.", examples=["TC-2026-004711"]
    )
    care_unit: LusCareUnit
    care_type: Literal["somatic", "psychiatric"] = Field(description="Somatic or psychiatric care.")
    admitted_at: PlausibleAwareDatetime | None = Field(None, description="Admission time, RFC 3339 with offset.")


class LusAddress(_Model):
    street: _Text
    postal_code: Annotated[str, Field(pattern=r"^\d{3} ?\d{2}$")]
    city: _Text
    municipality_code: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None


class LusPatient(_Model):
    id_type: Literal["personnummer", "samordningsnummer", "reservnummer"]
    id: Annotated[NonBlankText, Field(min_length=1, max_length=64)]
    given_name: _Text
    family_name: _Text
    address: LusAddress | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 \-]{6,20}$")] | None = None

    @field_validator("id")
    @classmethod
    def _identity_is_valid(cls, value: str, info: ValidationInfo) -> str:
        id_type = info.data.get("id_type")
        if id_type is None:
            return value  # id_type itself is reported as invalid
        try:
            parse_identity(id_type, value)
        except InvalidIdentity as exc:
            # The message says what is wrong, never the number (InvalidIdentity guarantees it).
            raise ValueError(str(exc)) from None
        return value


class LusFastVardkontakt(_Model):
    unit_name: _Text
    hsa_id: _Text | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 \-]{6,20}$")] | None = None


class _Common(_Model):
    sent_at: PlausibleAwareDatetime = Field(description="When the hospital sent the message.")
    episode: LusEpisode
    patient: LusPatient

    @property
    def episode_id(self) -> str:
        """The care episode the message is about (one case per episode of one sender)."""
        return self.episode.episode_id

    def as_stored(self) -> dict[str, Any]:
        """The validated message as the inbox keeps it (`read_message` reads it back)."""
        return self.model_dump(mode="json")

    def to_domain(self, message_id: str) -> HospitalMessage:
        """The domain's message (`ReceivedMessage`): the webhook's body is parsed once on its way in."""
        return to_domain(message_id, self)  # type: ignore[arg-type]  # every _Common is one of AnyLusMessage


class Inskrivningsmeddelande(_Common):
    message_type: Literal["inskrivningsmeddelande"]
    expected_discharge_date: PlausibleDate
    needs_summary: _LongText | None = None


class Planeringsunderlag(_Common):
    message_type: Literal["planeringsunderlag"]
    expected_discharge_date: PlausibleDate | None = None
    needs_summary: _LongText | None = None
    aids: list[_Text] | None = Field(None, max_length=50)
    medication_list_attached: bool | None = None
    fast_vardkontakt: LusFastVardkontakt | None = None


class Utskrivningsklar(_Common):
    message_type: Literal["utskrivningsklar"]
    ready_at: PlausibleAwareDatetime
    planned_discharge_at: PlausibleAwareDatetime | None = None
    needs_summary: _LongText | None = None
    aids: list[_Text] | None = Field(None, max_length=50)
    fast_vardkontakt: LusFastVardkontakt | None = None


class AterkalladUtskrivningsklar(_Common):
    message_type: Literal["aterkallad_utskrivningsklar"]
    revoked_at: PlausibleAwareDatetime
    reason: _LongText


class Utskrivningsmeddelande(_Common):
    message_type: Literal["utskrivningsmeddelande"]
    discharged_at: PlausibleAwareDatetime
    destination: Literal["home", "short_term_stay", "special_housing", "deceased", "other"] | None = None


class Makulering(_Common):
    message_type: Literal["makulering"]
    cancels_message_id: Annotated[NonBlankText, Field(min_length=1, max_length=200)]
    reason: _LongText


class SipKallelse(_Common):
    """Format version 1.1: the fast vårdkontakt invited to a SIP (samordnad individuell plan)."""

    message_type: Literal["sip_kallelse"]
    invited_at: PlausibleAwareDatetime = Field(description="When the invitation was sent.")
    meeting_at: PlausibleAwareDatetime = Field(description="The SIP meeting's date and time.")
    place: Literal["home", "hospital"] = Field(description="Where the meeting is held: the home or the hospital.")
    fast_vardkontakt: LusFastVardkontakt | None = None


AnyLusMessage = (
    Inskrivningsmeddelande
    | Planeringsunderlag
    | Utskrivningsklar
    | AterkalladUtskrivningsklar
    | Utskrivningsmeddelande
    | Makulering
    | SipKallelse
)
LusMessage = Annotated[AnyLusMessage, Field(discriminator="message_type")]
LUS_MESSAGE: TypeAdapter[Any] = TypeAdapter(LusMessage)


def example_bodies() -> dict[str, dict[str, Any]]:
    """The spec's example of each message type (shipped with the package), by message_type."""
    folder = resources.files("referral") / "examples"
    bodies = (json.loads(f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".json"))
    return {body["message_type"]: body for body in sorted(bodies, key=lambda b: b["sent_at"])}


def parse_lus(body: Any) -> AnyLusMessage:
    """Validate a decoded JSON body (e.g. a stored one); raises pydantic.ValidationError."""
    message: AnyLusMessage = LUS_MESSAGE.validate_python(body)
    return message


def parse_lus_json(raw: bytes) -> AnyLusMessage:
    """Validate a body as the sender sent it, with JSON's own types: a time must be a string with an
    offset (not a number), a flag `true`/`false` (not `"yes"`), as the schema says; raises ValidationError."""
    message: AnyLusMessage = LUS_MESSAGE.validate_json(raw, strict=True)
    return message


def to_domain(message_id: str, m: AnyLusMessage) -> HospitalMessage:
    """Translate a validated wire message into the domain's HospitalMessage."""
    p = m.patient
    patient = Patient(
        identity=parse_identity(p.id_type, p.id),
        given_name=p.given_name,
        family_name=p.family_name,
        address=Address(p.address.street, p.address.postal_code, p.address.city, p.address.municipality_code)
        if p.address
        else None,
        phone=p.phone,
    )
    fvk = getattr(m, "fast_vardkontakt", None)
    aids = getattr(m, "aids", None)
    destination = getattr(m, "destination", None)
    sip = m if isinstance(m, SipKallelse) else None
    return HospitalMessage(
        message_id=message_id,
        message_type=MessageType(m.message_type),
        sent_at=m.sent_at,
        episode_id=m.episode.episode_id,
        care_unit=CareUnit(m.episode.care_unit.hsa_id, m.episode.care_unit.name),
        care_type=CareType(m.episode.care_type),
        patient=patient,
        admitted_at=m.episode.admitted_at,
        expected_discharge_date=getattr(m, "expected_discharge_date", None),
        needs_summary=getattr(m, "needs_summary", None),
        aids=tuple(aids) if aids is not None else None,
        medication_list_attached=getattr(m, "medication_list_attached", None),
        fast_vardkontakt=FastVardkontakt(fvk.unit_name, fvk.hsa_id, fvk.phone) if fvk else None,
        ready_at=getattr(m, "ready_at", None),
        planned_discharge_at=getattr(m, "planned_discharge_at", None),
        revoked_at=getattr(m, "revoked_at", None),
        reason=getattr(m, "reason", None),
        discharged_at=getattr(m, "discharged_at", None),
        destination=Destination(destination) if destination else None,
        cancels_message_id=getattr(m, "cancels_message_id", None),
        sip_invited_at=sip.invited_at if sip else None,
        sip_meeting_at=sip.meeting_at if sip else None,
        sip_place=SipPlace(sip.place) if sip else None,
    )


def read_message(webhook_id: str, body: Mapping[str, Any]) -> HospitalMessage:
    """A stored body back as the domain's message (the use cases' `MessageReader`, given by bootstrap)."""
    return to_domain(webhook_id, parse_lus(body))
