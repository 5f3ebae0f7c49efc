"""The case: one per care episode (or opened by an officer without a hospital message).

A case's hospital facts are a pure function of the *set* of messages it has accepted: they are
folded in the sender's order (`sent_at`, then id), whatever order they arrived in, and a
cancelled message (`makulering`) simply drops out of the fold. So repeats and reordering
converge to the same facts, and a late older message never overwrites newer ones. Events are
the difference between the facts before and after a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from referral.domain.decision import Decision, EndReason, MunicipalityProfile, Relative
from referral.domain.decision import change as change_decision
from referral.domain.decision import end as end_decision
from referral.domain.liability import STOCKHOLM, AgreementTable, CareType, LiabilityClock, liable_days, start_clock
from referral.domain.messages import (
    CareUnit,
    Destination,
    FastVardkontakt,
    HospitalMessage,
    MessageType,
    Patient,
)
from trygg_shared.contracts import referral as ev
from trygg_shared.contracts.base import IntegrationEvent


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
    def liable_days(self) -> int:
        """Days the municipality owes the region for this stay: every period up to its end or discharge."""
        if self.discharge is None:
            return 0
        return sum(p.liable_days(self.discharge.discharged_at) for p in self.periods)


def fold(messages: dict[str, HospitalMessage], agreements: AgreementTable, region_code: str | None) -> CaseFacts:
    """The facts of a set of messages (pure; independent of arrival order)."""
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
                agreement = agreements.find(region_code, _local_date(m.ready_at))
                clock = start_clock(m.ready_at, m.care_type, agreement)
                period = ReadyPeriod(m.message_id, m.ready_at, m.planned_discharge_at, clock, agreement.daily_price_sek)
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
) -> list[tuple[tuple[object, ...], IntegrationEvent]]:
    """The clock as events in the sender's order: each period that counts, with its revocation."""
    out: list[tuple[tuple[object, ...], IntegrationEvent]] = []
    for p in facts.periods:
        if p.ended_by is PeriodEnd.REPLACED:
            continue  # superseded by a later ready notice: it never counted
        ready = ev.ReadyForDischarge(
            **common,
            episode_id=episode_id,
            care_unit=_care_unit(facts),
            care_type=ev.CareType(facts.care_type.value),
            ready_at=p.ready_at,
            planned_discharge_at=p.planned_discharge_at,
            liability_starts_at=p.clock.liability_starts_at,
            agreement_id=p.clock.agreement_id,
            agreement_version=p.clock.agreement_version,
            daily_price_sek=p.daily_price_sek,
            municipality_code=municipality,
        )
        out.append((("ready", p.message_id), ready))
        if p.ended_by is PeriodEnd.REVOKED:
            assert p.ended_at is not None
            days = p.liable_days()
            revoked = ev.ReadyRevoked(**common, revoked_at=p.ended_at, ready_at=p.ready_at, liable_days=days)
            out.append((("revoked", p.message_id, p.ended_at, days), revoked))
    return out


def _clock_events(
    common: dict[str, str],
    episode_id: str,
    municipality: str | None,
    before: CaseFacts,
    after: CaseFacts,
    message: HospitalMessage,
) -> list[IntegrationEvent]:
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
        out.append(ev.ReadyRevoked(**common, revoked_at=message.sent_at, ready_at=run_before.ready_at, liable_days=0))
    periods_changed = [(p.message_id, p.ended_at, p.ended_by) for p in before.periods] != [
        (p.message_id, p.ended_at, p.ended_by) for p in after.periods
    ]
    if after.discharge is not None and (after.discharge != before.discharge or periods_changed):
        out.append(
            ev.Discharged(
                **common,
                discharged_at=after.discharge.discharged_at,
                destination=ev.Destination(after.discharge.destination.value) if after.discharge.destination else None,
                liable_days=after.liable_days,
                daily_price_sek=after.ready.daily_price_sek if after.ready else None,
            )
        )
    return out


def _running(facts: CaseFacts) -> ReadyPeriod | None:
    return facts.ready if facts.ready is not None and facts.ready.ended_at is None else None


def _care_unit(facts: CaseFacts) -> ev.CareUnit:
    assert facts.care_unit is not None
    return ev.CareUnit(hsa_id=facts.care_unit.hsa_id, name=facts.care_unit.name)


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
) -> list[IntegrationEvent]:
    """Integration events that say how the facts changed because of `message`."""
    out: list[IntegrationEvent] = []
    municipality = after.patient.address.municipality_code if after.patient and after.patient.address else None
    common = {"case_id": case_id, "person_ref": person_ref}

    if message.message_type is MessageType.CANCELLATION and message.cancels_message_id in (
        after.cancelled_ids - before.cancelled_ids
    ):
        out.append(
            ev.MessageCancelled(
                **common,
                cancelled_message_id=message.cancels_message_id or "",
                cancelled_message_type=cancelled_type.value if cancelled_type else None,
            )
        )

    if after.admission_message_id and after.admission_message_id != before.admission_message_id:
        out.append(
            ev.AdmissionNoticed(
                **common,
                episode_id=episode_id,
                care_unit=_care_unit(after),
                care_type=ev.CareType(after.care_type.value),
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
            ev.PlanningInformationReceived(
                **common,
                expected_discharge_date=p.expected_discharge_date,
                aids=p.aids,
                medication_list_attached=p.medication_list_attached,
                has_needs_summary=bool(p.needs_summary),
                fast_vardkontakt_unit=p.fast_vardkontakt.unit_name if p.fast_vardkontakt else None,
                fast_vardkontakt_phone=p.fast_vardkontakt.phone if p.fast_vardkontakt else None,
            )
        )

    out.extend(_clock_events(common, episode_id, municipality, before, after, message))
    return out


READMISSION_WINDOW_DAYS = 30


class OpeningReason(StrEnum):
    ALREADY_AT_HOME = "already_at_home"  # at home, but the support there is not enough
    DECLINED_HOME_CARE = "declined_home_care"  # declines hemtjänst but needs support
    OTHER = "other"


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
    """The aggregate. Holds its accepted messages and decisions; facts are derived; events are recorded."""

    case_id: str
    person_ref: str
    sender_id: str | None = None
    episode_id: str | None = None
    region_code: str | None = None
    messages: dict[str, HospitalMessage] = field(default_factory=dict)
    readmission_of_case_id: str | None = None
    opening: Opening | None = None
    decisions: list[Decision] = field(default_factory=list)
    version: int = 0
    events: list[IntegrationEvent] = field(default_factory=list)
    _facts: CaseFacts | None = field(default=None, repr=False)

    # --- hospital messages ---------------------------------------------------------------

    def facts(self, agreements: AgreementTable) -> CaseFacts:
        if self._facts is None:
            if not self.messages and self.opening is not None:
                self._facts = CaseFacts(status=CaseStatus.OPENED, patient=self.opening.patient)
            else:
                self._facts = fold(self.messages, agreements, self.region_code)
        return self._facts

    def receive(
        self,
        message: HospitalMessage,
        agreements: AgreementTable,
        *,
        person_ref: str,
        readmission_of_case_id: str | None = None,
    ) -> bool:
        """Accept a hospital message; False (and no events) when the case already has it."""
        if message.message_id in self.messages:
            return False
        if self.episode_id is not None and message.episode_id != self.episode_id:
            raise CaseError("message belongs to another care episode")
        before = self.facts(agreements)
        cancelled = self.messages.get(message.cancels_message_id) if message.cancels_message_id else None
        self.messages[message.message_id] = message
        self._facts = None
        after = self.facts(agreements)
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
            ev.CaseOpened(
                case_id=case_id,
                person_ref=person_ref,
                reason=ev.CaseOpenedReason(opening.reason.value),
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
            ev.DecisionGranted(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision_id=decision.decision_id,
                decision_type=ev.DecisionType(decision.decision_type.value),
                start_date=decision.start_date,
                length_days=decision.length_days,
                end_date=decision.end_date,
                team=decision.team,
                hemtjanst_evenings_nights_weekends=decision.hemtjanst_evenings_nights_weekends,
                person=_person_contact(patient) if patient and decision.decision_type.grants_service else None,
                relatives=_consented(decision.relatives),
                granted_by=decision.granted_by,
                granted_at=decision.granted_at,
            )
        )
        if decision.decision_type.grants_service and patient is not None:
            self.events.append(_billing_subject(self.case_id, self.person_ref, patient))

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
    ) -> Decision:
        current = self.decision(decision_id)
        updated, changes = change_decision(
            current,
            profile=profile,
            length_days=length_days,
            hemtjanst_evenings_nights_weekends=hemtjanst_evenings_nights_weekends,
            relatives=relatives,
            withdraw_consent_of=withdraw_consent_of,
        )
        self._replace_decision(updated)
        self.events.append(
            ev.DecisionChanged(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision_id=decision_id,
                changes=tuple(ev.DecisionChangeKind(c) for c in changes),
                length_days=updated.length_days,
                end_date=updated.end_date,
                hemtjanst_evenings_nights_weekends=updated.hemtjanst_evenings_nights_weekends,
                relatives=_consented(updated.relatives),
                changed_by=officer,
                changed_at=now,
            )
        )
        return updated

    def end_decision(self, decision_id: str, *, end_date: date, reason: EndReason, by: str, now: datetime) -> Decision:
        ended = end_decision(self.decision(decision_id), end_date=end_date, reason=reason, ended_by=by, now=now)
        self._replace_decision(ended)
        self.events.append(
            ev.DecisionEnded(
                case_id=self.case_id,
                person_ref=self.person_ref,
                decision_id=decision_id,
                end_date=end_date,
                reason=ev.DecisionEndReason(reason.value),
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


def _person_contact(patient: Patient) -> ev.PersonContact:
    return ev.PersonContact(
        given_name=patient.given_name,
        family_name=patient.family_name,
        address=_address(patient),
        phone=patient.phone,
    )


def _address(patient: Patient) -> ev.Address | None:
    a = patient.address
    if a is None:
        return None
    return ev.Address(street=a.street, postal_code=a.postal_code, city=a.city, municipality_code=a.municipality_code)


def _consented(relatives: tuple[Relative, ...]) -> tuple[ev.Relative, ...]:
    """Only relatives the person agreed to inform leave referral (with their phone numbers)."""
    return tuple(_relative(r) for r in relatives if r.consent is not None)


def _relative(r: Relative) -> ev.Relative:
    return ev.Relative(
        relative_id=r.relative_id,
        name=r.name,
        phone=r.phone,
        language=ev.Language(r.language.value),
        consent=r.consent is not None,
        consent_recorded_by=r.consent.recorded_by if r.consent else None,
        consent_recorded_at=r.consent.recorded_at if r.consent else None,
    )


def _billing_subject(case_id: str, person_ref: str, patient: Patient) -> ev.BillingSubjectRegistered:
    return ev.BillingSubjectRegistered(
        case_id=case_id,
        person_ref=person_ref,
        id_type=patient.identity.id_type.value,
        identity_number=patient.identity.value,
        given_name=patient.given_name,
        family_name=patient.family_name,
        address=_address(patient),
    )
