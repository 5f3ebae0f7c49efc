"""The case: one per care episode (or opened by an officer without a hospital message).

A case's hospital facts are a pure function of the *set* of messages it has accepted: they are
folded in the sender's order (`sent_at`, then id), whatever order they arrived in, and a
cancelled message (`makulering`) simply drops out of the fold. So repeats and reordering
converge to the same facts, and a late older message never overwrites newer ones. Events are
the difference between the facts before and after a message: plain domain events
(`referral.domain.events`); the store's codec turns them into wire contracts.

The agreement that set a ready notice's clock is pinned in the case (`agreement_pins`) the
first time the notice is folded, so a later change of the agreements (a new version) never
changes a clock that already ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from referral.domain import events as de
from referral.domain.decision import Decision, EndReason, MunicipalityProfile, Relative
from referral.domain.decision import change as change_decision
from referral.domain.decision import end as end_decision
from referral.domain.events import DomainEvent, OpeningReason
from referral.domain.liability import (
    STOCKHOLM,
    AgreementTable,
    CareType,
    LiabilityClock,
    RegionalAgreement,
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

__all__ = ["Case", "CaseError", "CaseFacts", "CaseNotFound", "CaseStatus", "Opening", "OpeningReason", "Receipt"]


class CaseStatus(StrEnum):
    ADMITTED = "admitted"  # admission notice or planning information, not ready yet
    READY = "ready"  # ready for discharge: the payment clock runs
    READY_REVOKED = "ready_revoked"
    DISCHARGED = "discharged"
    DECEASED = "deceased"
    CANCELLED = "cancelled"  # every hospital message was withdrawn
    OPENED = "opened"  # opened by an officer, no hospital message


class CaseError(ValueError):
    """A request that the case's rules do not allow (shown to the user as is)."""


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
    return agreements.find(region_code, _local_date(m.ready_at))


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
                    facts = replace(
                        facts, ready=replace(facts.ready, ended_at=m.revoked_at, ended_by=PeriodEnd.REVOKED)
                    )
            case MessageType.DISCHARGE_NOTICE:
                assert m.discharged_at is not None
                facts = replace(facts, discharge=Discharge(m.message_id, m.discharged_at, m.destination))
                if facts.ready is not None and facts.ready.ended_at is None:
                    facts = replace(
                        facts, ready=replace(facts.ready, ended_at=m.discharged_at, ended_by=PeriodEnd.DISCHARGED)
                    )
            case MessageType.CANCELLATION:  # pragma: no cover - filtered out above
                pass

    if facts.discharge is not None:
        status = CaseStatus.DECEASED if facts.discharge.destination is Destination.DECEASED else CaseStatus.DISCHARGED
    elif facts.ready is not None and facts.ready.ended_by is PeriodEnd.REVOKED:
        status = CaseStatus.READY_REVOKED
    elif facts.ready is not None:
        status = CaseStatus.READY
    else:
        status = CaseStatus.ADMITTED
    return replace(facts, status=status)


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


def _local_date(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()


def _picture(
    common: dict[str, str], episode_id: str, municipality: str | None, facts: CaseFacts
) -> list[tuple[tuple[object, ...], DomainEvent]]:
    """The clock as events in the sender's order: each period that counts, with its revocation."""
    out: list[tuple[tuple[object, ...], DomainEvent]] = []
    for p in facts.periods:
        if p.ended_by is PeriodEnd.REPLACED:
            continue  # superseded by a later ready notice: it never counted
        ready = de.ReadyForDischarge(
            **common,
            episode_id=episode_id,
            care_unit=_care_unit(facts),
            care_type=facts.care_type,
            ready_at=p.ready_at,
            planned_discharge_at=p.planned_discharge_at,
            clock=p.clock,
            daily_price_sek=p.daily_price_sek,
            municipality_code=municipality,
            counting_ready_at=facts.counting_ready_at,
        )
        out.append((("ready", p.message_id), ready))
        if p.ended_by is PeriodEnd.REVOKED:
            assert p.ended_at is not None
            days = p.liable_days()
            revoked = de.ReadyRevoked(
                **common,
                revoked_at=p.ended_at,
                ready_at=p.ready_at,
                liable_days=days,
                counting_ready_at=facts.counting_ready_at,
            )
            out.append((("revoked", p.message_id, p.ended_at, days), revoked))
    return out


def _clock_events(
    common: dict[str, str],
    episode_id: str,
    municipality: str | None,
    before: CaseFacts,
    after: CaseFacts,
    message: HospitalMessage,
) -> list[DomainEvent]:
    """Events about ready periods and discharge.

    Consumers apply a case's events in order, so what they hold is the last picture sent. When
    the new picture extends the old one (messages in order), only the new part is sent;
    otherwise the whole picture is sent again, running period last and discharge after all, so
    consumers end in the same state whatever order the hospital's messages arrived in.
    """
    old = _picture(common, episode_id, municipality, before) if before.care_unit is not None else []
    new = _picture(common, episode_id, municipality, after)
    old_keys, new_keys = [k for k, _ in old], [k for k, _ in new]
    extends = new_keys[: len(old_keys)] == old_keys
    out = [e for _, e in (new[len(old_keys) :] if extends else new)]
    run_before = _running(before)
    if run_before is not None and not new and after.discharge is None:
        # The only ready notice was withdrawn (makulering): the clock stops, nothing accrued.
        out.append(
            de.ReadyRevoked(
                **common,
                revoked_at=message.sent_at,
                ready_at=run_before.ready_at,
                liable_days=0,
                counting_ready_at=after.counting_ready_at,
            )
        )
    periods_changed = [(p.message_id, p.ended_at, p.ended_by) for p in before.periods] != [
        (p.message_id, p.ended_at, p.ended_by) for p in after.periods
    ]
    if after.discharge is not None and (after.discharge != before.discharge or periods_changed):
        out.append(
            de.Discharged(
                **common,
                discharged_at=after.discharge.discharged_at,
                destination=after.discharge.destination,
                liable_days=after.liable_days,
                daily_price_sek=after.ready.daily_price_sek if after.ready else None,
                counting_ready_at=after.counting_ready_at,
            )
        )
    return out


def _running(facts: CaseFacts) -> ReadyPeriod | None:
    return facts.ready if facts.ready is not None and facts.ready.ended_at is None else None


def _care_unit(facts: CaseFacts) -> CareUnit:
    assert facts.care_unit is not None
    return facts.care_unit


def diff_events(
    case_id: str,
    person_ref: str,
    episode_id: str,
    before: CaseFacts,
    after: CaseFacts,
    message: HospitalMessage,
    *,
    readmission_of_case_id: str | None = None,
    cancelled_type: MessageType | None = None,
) -> list[DomainEvent]:
    """Domain events that say how the facts changed because of `message`."""
    out: list[DomainEvent] = []
    municipality = after.patient.address.municipality_code if after.patient and after.patient.address else None
    common = {"case_id": case_id, "person_ref": person_ref}

    if message.message_type is MessageType.CANCELLATION and message.cancels_message_id in (
        after.cancelled_ids - before.cancelled_ids
    ):
        out.append(
            de.MessageCancelled(
                **common,
                cancelled_message_id=message.cancels_message_id or "",
                cancelled_message_type=cancelled_type,
                counting_ready_at=after.counting_ready_at,
            )
        )

    if after.admission_message_id and after.admission_message_id != before.admission_message_id:
        out.append(
            de.AdmissionNoticed(
                **common,
                episode_id=episode_id,
                care_unit=_care_unit(after),
                care_type=after.care_type,
                admitted_at=after.admitted_at,
                expected_discharge_date=after.planning.expected_discharge_date or _local_date(message.sent_at),
                municipality_code=municipality,
                readmission_of_case_id=readmission_of_case_id,
            )
        )

    new_planning = set(after.planning_message_ids) - set(before.planning_message_ids)
    # The admission notice's own planning fields travel in AdmissionNoticed; a ready notice may
    # also carry planning fields, and a cancellation may withdraw some.
    planning_changed = after.planning != before.planning and message.message_type in (
        MessageType.READY_FOR_DISCHARGE,
        MessageType.CANCELLATION,
    )
    if (new_planning or planning_changed) and after.status is not CaseStatus.CANCELLED:
        p = after.planning
        out.append(
            de.PlanningInformationReceived(
                **common,
                expected_discharge_date=p.expected_discharge_date,
                aids=p.aids,
                medication_list_attached=p.medication_list_attached,
                has_needs_summary=bool(p.needs_summary),
                fast_vardkontakt=p.fast_vardkontakt,
            )
        )

    out.extend(_clock_events(common, episode_id, municipality, before, after, message))
    return out


READMISSION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Receipt:
    """When the municipality received a hospital message, and the id it answered with.

    Kept in the case for as long as the case exists, so the message history and the answer to
    a repeated webhook-id outlive the inbox record (which is swept after its retention).
    """

    received_at: datetime
    intake_id: str


@dataclass(frozen=True)
class Opening:
    """A case opened by an officer without any hospital message."""

    reason: OpeningReason
    opened_by: str
    opened_at: datetime
    patient: Patient
    notes: str | None = None


@dataclass
class Case:
    """The aggregate. Holds its accepted messages and decisions; facts are derived; events are recorded.

    Recorded events wait in `events` until the use case takes them (`take_events`) and saves
    them with the state; the store keeps the version, not the case.
    """

    case_id: str
    person_ref: str
    sender_id: str | None = None
    episode_id: str | None = None
    region_code: str | None = None
    messages: dict[str, HospitalMessage] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    agreement_pins: AgreementPins = field(default_factory=dict)
    readmission_of_case_id: str | None = None
    opening: Opening | None = None
    decisions: list[Decision] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    _facts: CaseFacts | None = field(default=None, repr=False)

    def take_events(self) -> list[DomainEvent]:
        """The events recorded since the last call (the case forgets them)."""
        taken, self.events = self.events, []
        return taken

    # --- hospital messages ---------------------------------------------------------------

    def facts(self, agreements: AgreementTable) -> CaseFacts:
        if self._facts is None:
            if not self.messages and self.opening is not None:
                self._facts = CaseFacts(status=CaseStatus.OPENED, patient=self.opening.patient)
            else:
                self._facts = fold(self.messages, agreements, self.region_code, self.agreement_pins)
        return self._facts

    def receipt(self, message_id: str) -> Receipt | None:
        return self.receipts.get(message_id)

    def receive(
        self,
        message: HospitalMessage,
        agreements: AgreementTable,
        *,
        person_ref: str,
        readmission_of_case_id: str | None = None,
        receipt: Receipt | None = None,
    ) -> bool:
        """Accept a hospital message; False (and no events) when the case already has it."""
        if message.message_id in self.messages:
            return False
        if self.episode_id is not None and message.episode_id != self.episode_id:
            raise CaseError("message belongs to another care episode")
        before = self.facts(agreements)
        cancelled = self.messages.get(message.cancels_message_id) if message.cancels_message_id else None
        self.messages[message.message_id] = message
        if receipt is not None:
            self.receipts[message.message_id] = receipt
        self._facts = None
        after = self.facts(agreements)
        for period in after.periods:
            clock = period.clock
            self.agreement_pins.setdefault(period.message_id, (clock.agreement_id, clock.agreement_version))
        if after.patient is not None and after.patient.identity == message.patient.identity:
            self.person_ref = person_ref
        if readmission_of_case_id and self.readmission_of_case_id is None:
            self.readmission_of_case_id = readmission_of_case_id
        self.events.extend(
            diff_events(
                self.case_id,
                self.person_ref,
                self.episode_id or message.episode_id,
                before,
                after,
                message,
                readmission_of_case_id=self.readmission_of_case_id,
                cancelled_type=cancelled.message_type if cancelled else None,
            )
        )
        self._end_decision_when_case_closes(before, after, message)
        return True

    def _end_decision_when_case_closes(self, before: CaseFacts, after: CaseFacts, message: HospitalMessage) -> None:
        if after.status == before.status:
            return
        if after.status is CaseStatus.DECEASED and after.discharge is not None:
            self._end_active(EndReason.DECEASED, _local_date(after.discharge.discharged_at), message.sent_at)
        elif after.status is CaseStatus.CANCELLED:
            self._end_active(EndReason.CASE_CANCELLED, _local_date(message.sent_at), message.sent_at)

    def _end_active(self, reason: EndReason, day: date, now: datetime) -> Decision | None:
        """End the running decision on `day`, kept within its own dates: never raises for an event."""
        active = self.active_decision()
        if active is None:
            return None
        end_date = day
        if active.start_date is not None:
            end_date = max(end_date, active.start_date - timedelta(days=1))  # before it began: zero days
        if active.end_date is not None:
            end_date = min(end_date, active.end_date)
        return self.end_decision(active.decision_id, end_date=end_date, reason=reason, by="system", now=now)

    # --- a case without a hospital message ------------------------------------------------

    @classmethod
    def open_without_message(
        cls, case_id: str, person_ref: str, opening: Opening, region_code: str | None = None
    ) -> Case:
        case = cls(case_id=case_id, person_ref=person_ref, region_code=region_code, opening=opening)
        address = opening.patient.address
        case.events.append(
            de.CaseOpened(
                case_id=case_id,
                person_ref=person_ref,
                reason=opening.reason,
                opened_at=opening.opened_at,
                municipality_code=address.municipality_code if address else None,
            )
        )
        return case

    # --- decisions -------------------------------------------------------------------------

    def active_decision(self) -> Decision | None:
        return next((d for d in reversed(self.decisions) if d.active), None)

    def decision(self, decision_id: str) -> Decision:
        for d in self.decisions:
            if d.decision_id == decision_id:
                return d
        raise CaseNotFound(f"no decision {decision_id} on this case")

    def grant_decision(self, decision: Decision, agreements: AgreementTable) -> None:
        facts = self.facts(agreements)
        status = facts.status
        if status is CaseStatus.CANCELLED:
            raise CaseError("the case is cancelled: every hospital message was withdrawn")
        if status is CaseStatus.DECEASED:
            raise CaseError("the person has died")
        if self.active_decision() is not None:
            raise CaseError("the case already has an active decision: change or end it instead")
        self.decisions.append(decision)
        patient = facts.patient
        self.events.append(
            de.DecisionGranted(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision=decision,
                person=patient if decision.decision_type.grants_service else None,
            )
        )

    def change_decision(
        self,
        decision_id: str,
        *,
        profile: MunicipalityProfile,
        officer: str,
        now: datetime,
        length_days: int | None = None,
        hemtjanst_evenings_nights_weekends: bool | None = None,
        relatives: tuple[Relative, ...] | None = None,
        withdraw_consent_of: tuple[str, ...] = (),
        hours_granted: int | None = None,
    ) -> Decision:
        current = self.decision(decision_id)
        updated, changes = change_decision(
            current,
            profile=profile,
            length_days=length_days,
            hemtjanst_evenings_nights_weekends=hemtjanst_evenings_nights_weekends,
            relatives=relatives,
            withdraw_consent_of=withdraw_consent_of,
            hours_granted=hours_granted,
        )
        if not changes:
            return current
        self._replace_decision(updated)
        self.events.append(
            de.DecisionChanged(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision=updated,
                changes=changes,
                consent_withdrawn_from=withdraw_consent_of,
                changed_by=officer,
                changed_at=now,
            )
        )
        return updated

    def end_decision(self, decision_id: str, *, end_date: date, reason: EndReason, by: str, now: datetime) -> Decision:
        ended = end_decision(self.decision(decision_id), end_date=end_date, reason=reason, ended_by=by, now=now)
        self._replace_decision(ended)
        self.events.append(
            de.DecisionEnded(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision_id=decision_id,
                end_date=end_date,
                reason=reason,
                ended_by=by,
                ended_at=now,
            )
        )
        return ended

    def end_decision_on_readmission(self, readmitted_on: date, now: datetime) -> Decision | None:
        """Back in hospital: a running decision ends on the readmission day (or before it started)."""
        active = self.active_decision()
        if active is None or (active.end_date is not None and active.end_date < readmitted_on):
            return None  # it had run its course already
        return self._end_active(EndReason.READMITTED, readmitted_on, now)

    def _replace_decision(self, decision: Decision) -> None:
        self.decisions = [decision if d.decision_id == decision.decision_id else d for d in self.decisions]


class CaseNotFound(LookupError):
    """No such case (or no such decision on it)."""
