"""Hospital messages (LUS) as the domain sees them, after the intake has validated the wire format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from referral.domain.identity import PersonIdentity
from referral.domain.liability import CareType
from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
SipPlace = words.SipPlace
Destination = words.Destination


class MessageType(StrEnum):
    ADMISSION_NOTICE = "inskrivningsmeddelande"
    PLANNING = "planeringsunderlag"
    READY_FOR_DISCHARGE = "utskrivningsklar"
    READY_REVOKED = "aterkallad_utskrivningsklar"
    DISCHARGE_NOTICE = "utskrivningsmeddelande"
    CANCELLATION = "makulering"
    SIP_INVITATION = "sip_kallelse"  # format version 1.1: the fast vårdkontakt invited to a SIP


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str
    municipality_code: str | None = None


@dataclass(frozen=True)
class Patient:
    identity: PersonIdentity
    given_name: str
    family_name: str
    address: Address | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CareUnit:
    hsa_id: str
    name: str


@dataclass(frozen=True)
class FastVardkontakt:
    unit_name: str
    hsa_id: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class HospitalMessage:
    """One accepted LUS message. `message_id` is the sender's webhook-id."""

    message_id: str
    message_type: MessageType
    sent_at: datetime
    episode_id: str
    care_unit: CareUnit
    care_type: CareType
    patient: Patient
    admitted_at: datetime | None = None
    expected_discharge_date: date | None = None
    needs_summary: str | None = None
    aids: tuple[str, ...] | None = None
    medication_list_attached: bool | None = None
    fast_vardkontakt: FastVardkontakt | None = None
    ready_at: datetime | None = None
    planned_discharge_at: datetime | None = None
    revoked_at: datetime | None = None
    reason: str | None = None
    discharged_at: datetime | None = None
    destination: Destination | None = None
    cancels_message_id: str | None = None
    sip_invited_at: datetime | None = None  # sip_kallelse: when the invitation was sent
    sip_meeting_at: datetime | None = None  # sip_kallelse: the meeting's date and time
    sip_place: SipPlace | None = None  # sip_kallelse: home or hospital

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Total order of a case's messages: the sender's clock, then the id (stable tie-break)."""
        return (self.sent_at, self.message_id)
