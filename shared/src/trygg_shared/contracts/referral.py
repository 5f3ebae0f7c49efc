"""Events the referral service publishes.

Personal data is kept to what each consumer must act on: every event carries the pseudonymous
`person_ref`; the person's own name, address and phone only on the person-contacts topic, which
only scheduling (the team visits them) and the console (officers and the team see whom a case is
about) read; relatives' phone numbers only on the relative-contacts topic, which only
notification reads (it sends them SMS); the identity number only on the billing-subjects topic,
which only billing reads. Free text from hospitals and officers (needs summaries,
reasons, notes) may hold health details and stays in the referral service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import CaseEvent, IntegrationEvent, Part
from trygg_shared.contracts.topics import (
    REFERRAL_BILLING_SUBJECTS,
    REFERRAL_CASE_EVENTS,
    REFERRAL_PERSON_CONTACTS,
    REFERRAL_RELATIVE_CONTACTS,
)
from trygg_shared.fields import PlausibleDate, PlausibleDatetime, Text
from trygg_shared.vocabulary.referral import (
    CareType,
    CaseOpenedReason,
    DecisionEndReason,
    DecisionType,
    Destination,
    Language,
    SipPlace,
    SipSource,
)

_PREFIX = "se.trygghemgang.referral."


class CareUnit(Part):
    hsa_id: Text = Field(description="HSA id of the hospital care unit.")
    name: Text = Field(description="Name of the care unit, e.g. 'Geriatriska kliniken avd 61'.")


class LiableMonth(Part):
    """Liable days in one Stockholm calendar month, as referral counts them, and their cost."""

    month: str = Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="The month, YYYY-MM (Europe/Stockholm).")
    days: int = Field(ge=0, description="Stockholm days in the month on which the municipality was liable.")
    amount_sek: int = Field(ge=0, description="What those days cost, SEK: each day at its period's agreed price.")


_COUNTING_READY_AT = Field(
    None,
    description="The case's ready periods that count for payment liability after this event, named by "
    "their `ready_at`, in the sender's order (the whole picture): a period not listed no longer counts "
    "(superseded by a later ready notice, or withdrawn by a makulering) and a consumer drops it. "
    "Null in events written before this field existed.",
)
_LIABLE_MONTHS = Field(
    None,
    description="The case's liable days per calendar month after this event, with their cost, counted by referral "
    "over every ready period that counts (a stopped one until it stopped, the running one until `counted_until`, "
    "all until the discharge once there is one): the whole count, which replaces the previous one. The one count "
    "of payment liability: billing reports these figures and counts nothing itself. Null in events written before "
    "this field existed.",
)
_COUNTED_UNTIL = Field(
    None, description="The moment a running clock was counted until (null when no clock ran or before this field)."
)


class _CaseEvent(CaseEvent):
    TOPIC: ClassVar[str] = REFERRAL_CASE_EVENTS

    person_ref: Text = Field(
        description="Pseudonymous, stable reference to the person (keyed hash of the identity "
        "number); the same person gets the same reference in every case."
    )


class _EpisodeEvent(_CaseEvent):
    """A hospital message about one care episode: it names the episode and the unit caring for the patient."""

    episode_id: Text = Field(description="The hospital's care episode (vårdtillfälle) id.")
    care_unit: CareUnit = Field(description="The unit that cares for the patient.")


class AdmissionNoticed(_EpisodeEvent):
    """Inskrivningsmeddelande: the hospital expects the patient to need support after discharge."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "admission_noticed.v1"
    care_type: CareType = Field(description="Somatic or psychiatric care.")
    admitted_at: PlausibleDatetime | None = Field(None, description="When the patient was admitted.")
    expected_discharge_date: PlausibleDate = Field(description="The hospital's expected discharge date.")
    municipality_code: Text | None = Field(None, description="Kommunkod of the person's address.")
    readmission_of_case_id: Text | None = Field(
        None, description="Set when the same person had a case discharged within 30 days."
    )


class PlanningInformationReceived(_CaseEvent):
    """Planeringsunderlag: needs, aids and the named care contact in primary care."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "planning_information_received.v1"
    expected_discharge_date: PlausibleDate | None = Field(None, description="Updated expected discharge date.")
    aids: tuple[Text, ...] = Field((), description="Assistive aids the person needs at home.")
    medication_list_attached: bool = Field(False, description="A medication list came with it.")
    has_needs_summary: bool = Field(False, description="A needs summary is held by referral (read it there, audited).")
    fast_vardkontakt_unit: Text | None = Field(
        None, description="Primary-care unit that is the named care contact (fast vårdkontakt)."
    )
    fast_vardkontakt_phone: Text | None = Field(None, description="The unit's phone number.")


class ReadyForDischarge(_EpisodeEvent):
    """Utskrivningsklar: the patient is ready for discharge and the payment clock runs."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "ready_for_discharge.v1"
    care_type: CareType = Field(description="Somatic or psychiatric care (different limits).")
    ready_at: PlausibleDatetime = Field(description="When the physician judged the patient ready.")
    planned_discharge_at: PlausibleDatetime | None = Field(None, description="Planned discharge time.")
    liability_starts_at: PlausibleDatetime = Field(
        description="When the municipality's payment liability to the region starts (UTC)."
    )
    agreement_id: Text = Field(description="The regional agreement (or national default) applied.")
    agreement_version: int = Field(description="Version of that agreement.")
    daily_price_sek: int = Field(description="Price per liable day under that agreement, SEK.")
    municipality_code: Text | None = Field(None, description="Kommunkod of the person's address.")
    counting_ready_at: tuple[PlausibleDatetime, ...] | None = _COUNTING_READY_AT
    liable_months: tuple[LiableMonth, ...] | None = _LIABLE_MONTHS
    counted_until: PlausibleDatetime | None = _COUNTED_UNTIL


class ReadyRevoked(_CaseEvent):
    """Återkallad utskrivningsklar: the payment clock stops."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "ready_revoked.v1"
    revoked_at: PlausibleDatetime = Field(description="When the ready notice was revoked.")
    ready_at: PlausibleDatetime | None = Field(None, description="The ready notice this revokes (which clock stopped).")
    liable_days: int | None = Field(
        None, ge=0, description="Days of liability that period accrued before it stopped (0 if withdrawn)."
    )
    counting_ready_at: tuple[PlausibleDatetime, ...] | None = _COUNTING_READY_AT
    liable_months: tuple[LiableMonth, ...] | None = _LIABLE_MONTHS
    counted_until: PlausibleDatetime | None = _COUNTED_UNTIL


class Discharged(_CaseEvent):
    """Utskrivningsmeddelande: the patient left hospital; payment liability ends."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "discharged.v1"
    discharged_at: PlausibleDatetime = Field(description="When the patient was discharged.")
    destination: Destination | None = Field(None, description="Where the patient went.")
    liable_days: int = Field(0, ge=0, description="Days the municipality was liable to pay the region for this stay.")
    daily_price_sek: int | None = Field(None, description="Price per liable day, SEK.")
    counting_ready_at: tuple[PlausibleDatetime, ...] | None = _COUNTING_READY_AT
    liable_months: tuple[LiableMonth, ...] | None = _LIABLE_MONTHS
    counted_until: PlausibleDatetime | None = _COUNTED_UNTIL


class MessageCancelled(_CaseEvent):
    """Makulering: a hospital message was sent in error; its effect is withdrawn."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "message_cancelled.v1"
    cancelled_message_id: Text = Field(description="webhook-id of the message withdrawn.")
    cancelled_message_type: Text | None = Field(None, description="Its message_type, if known.")
    counting_ready_at: tuple[PlausibleDatetime, ...] | None = _COUNTING_READY_AT
    liable_months: tuple[LiableMonth, ...] | None = _LIABLE_MONTHS
    counted_until: PlausibleDatetime | None = _COUNTED_UNTIL


class LiabilityDaysCounted(_CaseEvent):
    """The running payment clock's count grew: a new Stockholm day became liable (sent by referral's
    counting loop while the patient is still in hospital; at most once per case and liable day)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "liability_days_counted.v1"
    counted_until: PlausibleDatetime = Field(description="The moment the running clock was counted until.")
    liable_days: int = Field(ge=0, description="Liable days of the stay so far (the sum over `liable_months`).")
    liable_months: tuple[LiableMonth, ...] = Field(
        description="The case's liable days per calendar month so far, with their cost: the whole count, which "
        "replaces the previous one."
    )
    counting_ready_at: tuple[PlausibleDatetime, ...] = Field(
        description="The ready periods that count, named by their `ready_at`, in the sender's order."
    )


class CaseOpened(_CaseEvent):
    """A case opened by an officer without any hospital message."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "case_opened.v1"
    reason: CaseOpenedReason = Field(description="Why the case was opened without a hospital message.")
    municipality_code: Text | None = Field(None, description="Kommunkod of the person's address.")
    opened_at: PlausibleDatetime | None = Field(
        None, description="When the officer opened the case (the person is at home already; no discharge follows)."
    )


class Relative(Part):
    """A relative on a decision of the case-events topic: only in events written before relatives moved to
    the relative-contacts topic (`RelativeContactsChanged`); referral now sends these lists empty."""

    relative_id: Text = Field(description="Stable id of this relative within the case.")
    name: Text = Field(description="The relative's name.")
    phone: Text | None = Field(None, description="Mobile number in E.164, e.g. +46701234567.")
    language: Language = Field(Language.SV, description="Language for messages to this relative.")
    consent: bool = Field(description="The person's recorded consent to inform this relative.")
    consent_recorded_by: Text | None = Field(None, description="Who recorded the consent.")
    consent_recorded_at: PlausibleDatetime | None = Field(None, description="When consent was recorded.")


class Address(Part):
    street: Text = Field(description="Street address.")
    postal_code: Text = Field(description="Postal code.")
    city: Text = Field(description="City.")
    municipality_code: Text | None = Field(None, description="Kommunkod.")


class PersonContact(Part):
    given_name: Text = Field(description="Given name, for the team's visits.")
    family_name: Text = Field(description="Family name.")
    address: Address | None = Field(None, description="Home address where the team visits.")
    phone: Text | None = Field(None, description="The person's own phone number.")


class DecisionGranted(_CaseEvent):
    """Biståndsbeslut: the officer's decision (for Trygg hemgång a frame decision)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "decision_granted.v1"
    decision_id: Text = Field(description="Id of this decision.")
    decision_type: DecisionType = Field(description="What was granted (or declined/refused).")
    start_date: PlausibleDate | None = Field(None, description="First day of the service (normally discharge day).")
    length_days: int | None = Field(None, ge=1, description="Granted length in days (frame decision).")
    end_date: PlausibleDate | None = Field(None, description="Last day of the service, inclusive.")
    team: Text | None = Field(None, description="The Trygg hemgång team that carries it out.")
    hemtjanst_evenings_nights_weekends: bool = Field(
        False, description="Ordinary home care ordered for evenings, nights and weekends."
    )
    person: PersonContact | None = Field(
        None,
        description="Always null: the person's name, address and phone go only to scheduling and the console, "
        "on the topic `trygg.referral.person-contacts.v1` (`person_contact_registered`). Kept for compatibility.",
    )
    relatives: tuple[Relative, ...] = Field(
        (),
        description="Always empty: relatives' contact details go only to notification, on the topic "
        "`trygg.referral.relative-contacts.v1` (`relative_contacts_changed`). Kept for compatibility.",
    )
    granted_by: Text = Field(description="The officer who decided.")
    granted_at: PlausibleDatetime = Field(description="When the decision was made.")
    hours_granted: int | None = Field(
        None,
        ge=1,
        description="For a `hemgangsbeslut` (Gotland): the pot of hours granted, used as the team sees fit "
        "within the decision; null for every other decision type.",
    )


class DecisionChangeKind(StrEnum):
    EXTENDED = "extended"
    SHORTENED = "shortened"
    RELATIVES_CHANGED = "relatives_changed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    OTHER = "other"


class DecisionChanged(_CaseEvent):
    """A granted decision was changed; carries the decision's full current terms."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "decision_changed.v1"
    decision_id: Text = Field(description="The decision changed.")
    changes: tuple[DecisionChangeKind, ...] = Field(description="What changed.")
    length_days: int | None = Field(None, ge=1, description="Length in days after the change.")
    end_date: PlausibleDate | None = Field(None, description="Last day after the change, inclusive.")
    hemtjanst_evenings_nights_weekends: bool = Field(False, description="Evening cover after the change.")
    relatives: tuple[Relative, ...] = Field(
        (),
        description="Always empty: relatives' contact details go only to notification, on the topic "
        "`trygg.referral.relative-contacts.v1` (`relative_contacts_changed`). Kept for compatibility.",
    )
    changed_by: Text = Field(description="The officer who changed it.")
    changed_at: PlausibleDatetime = Field(description="When.")
    decision_type: DecisionType | None = Field(None, description="The decision's type (unchanged by a change).")
    start_date: PlausibleDate | None = Field(None, description="First day of the service (unchanged by a change).")
    team: Text | None = Field(None, description="The team that carries it out (unchanged by a change).")
    hours_granted: int | None = Field(
        None, ge=1, description="For a `hemgangsbeslut`: the pot of hours after the change."
    )
    consent_withdrawn_relative_ids: tuple[Text, ...] = Field(
        (),
        description="Relatives whose consent was withdrawn by this change (ids only): send them nothing more, "
        "at once. The same ids come with the relatives' new list on the relative-contacts topic.",
    )


class RelativeContact(Part):
    """A relative the person agreed to inform, with what a message to them needs (no name: texts use none)."""

    relative_id: Text = Field(description="Stable id of this relative within the case.")
    phone: Text = Field(description="Mobile number in E.164, e.g. +46701234567 (personal data).")
    language: Language = Field(Language.SV, description="Language for messages to this relative.")
    consent_recorded_by: Text = Field(description="Who recorded the person's consent to inform this relative.")
    consent_recorded_at: PlausibleDatetime = Field(description="When that consent was recorded.")


class RelativeContactsChanged(CaseEvent):
    """The relatives the person agreed to inform, with their phone numbers: the full list as it stands now.

    Published with every granted decision, and with every change that touches the relatives or
    withdraws a consent. It has its own topic, which only notification reads: scheduling, billing
    and the console never receive relatives' phone numbers. A relative missing from `relatives`
    must get nothing more, at once; an empty list means: inform nobody.
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "relative_contacts_changed.v1"
    TOPIC: ClassVar[str] = REFERRAL_RELATIVE_CONTACTS
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    decision_id: Text = Field(description="The decision whose relatives these are.")
    relatives: tuple[RelativeContact, ...] = Field(
        (), description="Every relative with recorded consent, after this decision or change (the full list)."
    )
    consent_withdrawn_relative_ids: tuple[Text, ...] = Field(
        (), description="Relatives whose consent was withdrawn now (they are not in `relatives`)."
    )
    changed_by: Text = Field(description="The officer who granted or changed the decision.")
    changed_at: PlausibleDatetime = Field(description="When.")


class PersonContactRegistered(CaseEvent):
    """The person's own name, home address and phone, for the team that visits them.

    Published with every decision that grants a service (the officer confirms the details then).
    It has its own topic, which only scheduling and the console read: billing and notification
    never receive them (billing gets what a fee statement needs on billing-subjects). The later
    event of a case is the truth.
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "person_contact_registered.v1"
    TOPIC: ClassVar[str] = REFERRAL_PERSON_CONTACTS
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    decision_id: Text = Field(description="The decision these details were confirmed with.")
    decision_type: DecisionType = Field(
        description="That decision's type: scheduling keeps the details only for the types its team carries out."
    )
    person: PersonContact = Field(description="Name, home address and phone (personal data).")
    registered_at: PlausibleDatetime = Field(description="When the decision confirmed them.")


class DecisionEnded(_CaseEvent):
    """A decision ended before its planned end."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "decision_ended.v1"
    decision_id: Text = Field(description="The decision ended.")
    end_date: PlausibleDate = Field(description="Last day of service, inclusive.")
    reason: DecisionEndReason = Field(description="Why it ended.")
    ended_by: Text = Field(description="Who ended it (an officer, or 'system').")
    ended_at: PlausibleDatetime = Field(description="When.")


class BillingSubjectRegistered(CaseEvent):
    """Who is billed for a case: only billing consumes this topic (identity number inside).

    Carries what fee statements need and nothing else: the identity, the name and the postal
    address. No phone numbers, no relatives, no health details.
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "billing_subject_registered.v1"
    TOPIC: ClassVar[str] = REFERRAL_BILLING_SUBJECTS
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    id_type: Text = Field(description="personnummer, samordningsnummer or reservnummer.")
    identity_number: Text = Field(description="The identity number (personal data).")
    given_name: Text = Field(description="Given name, for fee statements.")
    family_name: Text = Field(description="Family name, for fee statements.")
    address: Address | None = Field(None, description="Where statements are sent.")


class SipInvitation(Part):
    """An invitation to a SIP meeting (samordnad individuell plan): no names, no free text."""

    invitation_id: Text = Field(description="The hospital message's id, or the id of an officer's record.")
    invited_at: PlausibleDatetime = Field(description="When the fast vårdkontakt sent the invitation.")
    meeting_at: PlausibleDatetime = Field(description="The SIP meeting's date and time.")
    place: SipPlace = Field(description="Where the meeting is held: the home or the hospital.")
    source: SipSource = Field(description="A hospital message (`lus`) or an officer's record (`officer`).")


class SipStatusChanged(_CaseEvent):
    """The case's SIP changed: the whole picture (deadline and first invitation), which replaces the last.

    A SIP invitation is owed within 3 calendar days of the ready notice (lagen (2017:612) 4 kap.;
    the deadline is the end of the third day after the notice's day, Europe/Stockholm) when a fast
    vårdkontakt is named. Sent when the deadline appears, moves or goes (a new or revoked ready
    notice) and when the first invitation is recorded or withdrawn (a makulering).
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "sip_status_changed.v1"
    ready_at: PlausibleDatetime | None = Field(None, description="The ready notice the SIP is owed from (null: none).")
    deadline: PlausibleDatetime | None = Field(
        None, description="When the invitation is due at the latest (null: no SIP owed now)."
    )
    invitation: SipInvitation | None = Field(None, description="The first invitation recorded (null: none yet).")
    invited_in_time: bool | None = Field(
        None, description="Whether that invitation was sent by the deadline (null: no deadline or no invitation)."
    )


class SipDeadlineLapsed(_CaseEvent):
    """The SIP deadline passed without an invitation: on-call and the officer are told (sent once per deadline)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "sip_deadline_lapsed.v1"
    ready_at: PlausibleDatetime = Field(description="The ready notice the SIP was owed from.")
    deadline: PlausibleDatetime = Field(description="The deadline that passed.")
    lapsed_at: PlausibleDatetime = Field(description="When referral found it passed (at or after the deadline).")


REFERRAL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    AdmissionNoticed,
    PlanningInformationReceived,
    ReadyForDischarge,
    ReadyRevoked,
    Discharged,
    MessageCancelled,
    LiabilityDaysCounted,
    CaseOpened,
    DecisionGranted,
    DecisionChanged,
    DecisionEnded,
    BillingSubjectRegistered,
    RelativeContactsChanged,
    PersonContactRegistered,
    SipStatusChanged,
    SipDeadlineLapsed,
)
