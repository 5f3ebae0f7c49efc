"""What happened to a case, as the domain says it: plain frozen dataclasses, no wire format.

The `Case` aggregate records these; the store's codec (`referral.adapters.codec`) maps each
one to the wire contracts other services read (`trygg_shared.contracts.referral`), so the
domain never depends on how, or on which topic, the news travels. Every event names its case
and the person's pseudonymous reference; values are domain types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from referral.domain.decision import Decision, EndReason
from referral.domain.liability import CareType, LiabilityClock, LiableMonth
from referral.domain.messages import CareUnit, Destination, FastVardkontakt, MessageType, Patient
from referral.domain.sip import SipInvitation
from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
OpeningReason = words.CaseOpenedReason
SmsCap = words.SmsCap


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    case_id: str
    person_ref: str


@dataclass(frozen=True, kw_only=True)
class AdmissionNoticed(CaseEvent):
    episode_id: str
    care_unit: CareUnit
    care_type: CareType
    admitted_at: datetime | None
    expected_discharge_date: date
    municipality_code: str | None
    readmission_of_case_id: str | None


@dataclass(frozen=True, kw_only=True)
class PlanningInformationReceived(CaseEvent):
    expected_discharge_date: date | None
    aids: tuple[str, ...]
    medication_list_attached: bool
    has_needs_summary: bool
    fast_vardkontakt: FastVardkontakt | None


@dataclass(frozen=True, kw_only=True)
class ReadyForDischarge(CaseEvent):
    episode_id: str
    care_unit: CareUnit
    care_type: CareType
    ready_at: datetime
    planned_discharge_at: datetime | None
    clock: LiabilityClock
    daily_price_sek: int
    municipality_code: str | None
    # The ready periods that count after this event (their ready_at, sender's order); None: not known.
    counting_ready_at: tuple[datetime, ...] | None = None
    # The liable days per month over the periods that count, a running one until `counted_until`.
    liable_months: tuple[LiableMonth, ...] | None = None
    counted_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ReadyRevoked(CaseEvent):
    revoked_at: datetime
    ready_at: datetime
    liable_days: int
    # The ready periods that count after this event (their ready_at, sender's order); None: not known.
    counting_ready_at: tuple[datetime, ...] | None = None
    # The liable days per month over the periods that count, a running one until `counted_until`.
    liable_months: tuple[LiableMonth, ...] | None = None
    counted_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Discharged(CaseEvent):
    discharged_at: datetime
    destination: Destination | None
    liable_days: int
    daily_price_sek: int | None
    # The ready periods that count after this event (their ready_at, sender's order); None: not known.
    counting_ready_at: tuple[datetime, ...] | None = None
    # The liable days per month over the periods that count, a running one until `counted_until`.
    liable_months: tuple[LiableMonth, ...] | None = None
    counted_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class MessageCancelled(CaseEvent):
    cancelled_message_id: str
    cancelled_message_type: MessageType | None
    # The ready periods that count after this event (their ready_at, sender's order); None: not known.
    counting_ready_at: tuple[datetime, ...] | None = None
    # The liable days per month over the periods that count, a running one until `counted_until`.
    liable_months: tuple[LiableMonth, ...] | None = None
    counted_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class LiabilityDaysCounted(CaseEvent):
    """The running clock's count grew (a new day became liable): the whole count again."""

    counted_until: datetime
    liable_days: int
    liable_months: tuple[LiableMonth, ...]
    counting_ready_at: tuple[datetime, ...]


@dataclass(frozen=True, kw_only=True)
class CaseOpened(CaseEvent):
    reason: OpeningReason
    opened_at: datetime
    municipality_code: str | None


@dataclass(frozen=True, kw_only=True)
class DecisionGranted(CaseEvent):
    """A decision was recorded. `person` is set when it grants a service (the team visits them)."""

    decision: Decision
    person: Patient | None


@dataclass(frozen=True, kw_only=True)
class DecisionChanged(CaseEvent):
    """A granted decision changed; `decision` holds its full terms after the change."""

    decision: Decision
    changes: tuple[str, ...]
    consent_withdrawn_from: tuple[str, ...]  # relative ids whose consent was withdrawn now
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, kw_only=True)
class DecisionEnded(CaseEvent):
    decision_id: str
    end_date: date
    reason: EndReason
    ended_by: str
    ended_at: datetime


@dataclass(frozen=True)
class SmsCapHit:
    """A cap that refused a change, and its window: every refusal in one window is one alert."""

    cap: SmsCap
    limit: int
    day: date  # the local day the cap counts in
    window_key: str  # the same for every refusal the window covers


@dataclass(frozen=True, kw_only=True)
class SmsCapReached(CaseEvent):
    """A change was refused because it would pass an SMS cap: operations is told (once per window)."""

    hit: SmsCapHit
    officer: str
    reached_at: datetime


@dataclass(frozen=True, kw_only=True)
class SipStatusChanged(CaseEvent):
    """The case's SIP changed: its deadline (None: no SIP owed) or its first invitation (the whole picture)."""

    ready_at: datetime | None
    deadline: datetime | None
    invitation: SipInvitation | None
    invited_in_time: bool | None


@dataclass(frozen=True, kw_only=True)
class SipDeadlineLapsed(CaseEvent):
    """The SIP deadline passed without an invitation (recorded once per deadline)."""

    ready_at: datetime
    deadline: datetime
    lapsed_at: datetime


DomainEvent = (
    AdmissionNoticed
    | PlanningInformationReceived
    | ReadyForDischarge
    | ReadyRevoked
    | Discharged
    | MessageCancelled
    | LiabilityDaysCounted
    | CaseOpened
    | DecisionGranted
    | DecisionChanged
    | DecisionEnded
    | SmsCapReached
    | SipStatusChanged
    | SipDeadlineLapsed
)
