"""A case's hospital facts: the set of accepted messages folded in the sender's order.

The fold is a pure function of the *set* of messages, whatever order they arrived in; a
cancelled message (`makulering`) simply drops out of it. A ready notice's clock uses the
agreement pinned for it in the case, so a later change of the agreements never changes a clock
that already ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from referral.domain.liability import (
    STOCKHOLM,
    AgreementTable,
    CareType,
    LiabilityClock,
    LiableMonth,
    RegionalAgreement,
    count_by_month,
    liable_days,
    start_clock,
)
from referral.domain.messages import (
    CareUnit,
    Destination,
    FastVardkontakt,
    HospitalMessage,
    MessageType,
    Patient,
)


class CaseStatus(StrEnum):
    ADMITTED = "admitted"  # admission notice or planning information, not ready yet
    READY = "ready"  # ready for discharge: the payment clock runs
    READY_REVOKED = "ready_revoked"
    DISCHARGED = "discharged"
    DECEASED = "deceased"
    CANCELLED = "cancelled"  # every hospital message was withdrawn
    OPENED = "opened"  # opened by an officer, no hospital message


class PeriodEnd(StrEnum):
    REVOKED = "revoked"
    REPLACED = "replaced"  # a newer ready notice while this one ran: superseded, it does not count
    DISCHARGED = "discharged"


@dataclass(frozen=True)
class ReadyPeriod:
    message_id: str
    ready_at: datetime
    planned_discharge_at: datetime | None
    clock: LiabilityClock
    daily_price_sek: int
    ended_at: datetime | None = None
    ended_by: PeriodEnd | None = None

    def liable_days(self, until: datetime | None = None) -> int:
        """Days of liability in this period (a superseded period counts none)."""
        if self.ended_by is PeriodEnd.REPLACED:
            return 0
        end = self.ended_at or until
        return 0 if end is None else liable_days(self.clock, end)


@dataclass(frozen=True)
class Planning:
    expected_discharge_date: date | None = None
    needs_summary: str | None = None
    aids: tuple[str, ...] = ()
    medication_list_attached: bool = False
    fast_vardkontakt: FastVardkontakt | None = None


@dataclass(frozen=True)
class Discharge:
    message_id: str
    discharged_at: datetime
    destination: Destination | None


@dataclass(frozen=True)
class CaseFacts:
    """What the hospital messages say, folded in the sender's order."""

    status: CaseStatus
    patient: Patient | None = None
    care_unit: CareUnit | None = None
    care_type: CareType = CareType.SOMATIC
    admitted_at: datetime | None = None
    admission_message_id: str | None = None
    planning: Planning = field(default_factory=Planning)
    planning_message_ids: tuple[str, ...] = ()
    ready: ReadyPeriod | None = None  # the current ready period, if the clock runs or ran
    ready_history: tuple[ReadyPeriod, ...] = ()  # earlier, revoked periods
    discharge: Discharge | None = None
    cancelled_ids: frozenset[str] = frozenset()
    sip_messages: tuple[HospitalMessage, ...] = ()  # the hospital's SIP invitations (`referral.domain.sip`)

    @property
    def periods(self) -> tuple[ReadyPeriod, ...]:
        return (*self.ready_history, self.ready) if self.ready is not None else self.ready_history

    @property
    def counting_ready_at(self) -> tuple[datetime, ...]:
        """The ready periods that count (a superseded one never does), named by their ready_at."""
        return tuple(p.ready_at for p in self.periods if p.ended_by is not PeriodEnd.REPLACED)

    @property
    def liable_days(self) -> int:
        """Days the municipality owes the region for this stay: every period up to its end or discharge."""
        if self.discharge is None:
            return 0
        return sum(p.liable_days(self.discharge.discharged_at) for p in self.periods)

    def liable_months(self, until: datetime) -> tuple[LiableMonth, ...]:
        """The liable days per calendar month, with their cost, over every period that counts.

        A stopped period counts until it stopped; the running one until the discharge, or
        ``until`` while the patient is still in hospital. After a discharge the months add up
        to `liable_days`.
        """
        end = self.discharge.discharged_at if self.discharge is not None else until
        return count_by_month(
            (p.clock, p.ended_at or end, p.daily_price_sek)
            for p in self.periods
            if p.ended_by is not PeriodEnd.REPLACED
        )


AgreementPins = dict[str, tuple[str, int]]  # ready notice's message id -> (agreement id, version)


def _agreement_for(
    m: HospitalMessage, agreements: AgreementTable, region_code: str | None, pins: AgreementPins
) -> RegionalAgreement:
    assert m.ready_at is not None
    pinned = pins.get(m.message_id)
    if pinned is not None:
        found = agreements.get(*pinned)
        if found is not None:
            return found
    return agreements.find(region_code, local_date(m.ready_at))


def fold(
    messages: dict[str, HospitalMessage],
    agreements: AgreementTable,
    region_code: str | None,
    pins: AgreementPins | None = None,
) -> CaseFacts:
    """The facts of a set of messages (pure; independent of arrival order).

    A ready notice's clock uses the agreement pinned for it, when there is one; otherwise the
    agreement in force on the notice's day.
    """
    pins = pins or {}
    cancelled = frozenset(
        m.cancels_message_id
        for m in messages.values()
        if m.message_type is MessageType.CANCELLATION and m.cancels_message_id
    )
    effective = sorted(
        (
            m
            for m in messages.values()
            if m.message_type is not MessageType.CANCELLATION and m.message_id not in cancelled
        ),
        key=lambda m: m.order_key,
    )
    if not effective:
        return CaseFacts(status=CaseStatus.CANCELLED, cancelled_ids=cancelled)

    facts = CaseFacts(status=CaseStatus.ADMITTED, cancelled_ids=cancelled)
    for m in effective:
        facts = _apply(facts, m, agreements, region_code, pins)
    return replace(facts, status=_status(facts))


def _apply(
    facts: CaseFacts, m: HospitalMessage, agreements: AgreementTable, region_code: str | None, pins: AgreementPins
) -> CaseFacts:
    """The facts after one more message (in the sender's order)."""
    facts = replace(facts, patient=m.patient, care_unit=m.care_unit, care_type=m.care_type)
    if m.admitted_at is not None:
        facts = replace(facts, admitted_at=m.admitted_at)
    facts = replace(facts, planning=_merge_planning(facts.planning, m))
    match m.message_type:
        case MessageType.ADMISSION_NOTICE:
            facts = replace(facts, admission_message_id=m.message_id)
        case MessageType.PLANNING:
            facts = replace(facts, planning_message_ids=(*facts.planning_message_ids, m.message_id))
        case MessageType.READY_FOR_DISCHARGE:
            assert m.ready_at is not None
            history = facts.ready_history
            if facts.ready is not None and facts.ready.ended_at is None:
                # A new ready notice while one runs replaces it: the clock restarts from the new one.
                history = (*history, replace(facts.ready, ended_at=m.ready_at, ended_by=PeriodEnd.REPLACED))
            elif facts.ready is not None:
                history = (*history, facts.ready)
            agreement = _agreement_for(m, agreements, region_code, pins)
            clock = start_clock(m.ready_at, m.care_type, agreement)
            price = agreement.price_for(clock.liability_starts_at.astimezone(STOCKHOLM).year)
            period = ReadyPeriod(m.message_id, m.ready_at, m.planned_discharge_at, clock, price)
            facts = replace(facts, ready=period, ready_history=history)
        case MessageType.READY_REVOKED:
            if facts.ready is not None and facts.ready.ended_at is None:
                assert m.revoked_at is not None
                facts = replace(facts, ready=replace(facts.ready, ended_at=m.revoked_at, ended_by=PeriodEnd.REVOKED))
        case MessageType.DISCHARGE_NOTICE:
            assert m.discharged_at is not None
            facts = replace(facts, discharge=Discharge(m.message_id, m.discharged_at, m.destination))
            if facts.ready is not None and facts.ready.ended_at is None:
                facts = replace(
                    facts, ready=replace(facts.ready, ended_at=m.discharged_at, ended_by=PeriodEnd.DISCHARGED)
                )
        case MessageType.SIP_INVITATION:
            facts = replace(facts, sip_messages=(*facts.sip_messages, m))
        case MessageType.CANCELLATION:  # pragma: no cover - filtered out above
            pass
    return facts


def _status(facts: CaseFacts) -> CaseStatus:
    """The case's status after the last message."""
    if facts.discharge is not None:
        status = CaseStatus.DECEASED if facts.discharge.destination is Destination.DECEASED else CaseStatus.DISCHARGED
    elif facts.ready is not None and facts.ready.ended_by is PeriodEnd.REVOKED:
        status = CaseStatus.READY_REVOKED
    elif facts.ready is not None:
        status = CaseStatus.READY
    else:
        status = CaseStatus.ADMITTED
    return status


def _merge_planning(planning: Planning, m: HospitalMessage) -> Planning:
    return Planning(
        expected_discharge_date=m.expected_discharge_date or planning.expected_discharge_date,
        needs_summary=m.needs_summary or planning.needs_summary,
        aids=m.aids if m.aids is not None else planning.aids,
        medication_list_attached=(
            m.medication_list_attached if m.medication_list_attached is not None else planning.medication_list_attached
        ),
        fast_vardkontakt=m.fast_vardkontakt or planning.fast_vardkontakt,
    )


def local_date(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()
