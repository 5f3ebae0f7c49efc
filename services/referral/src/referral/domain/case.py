"""The case: one per care episode (or opened by an officer without a hospital message).

A case's hospital facts are a pure function of the *set* of messages it has accepted
(`referral.domain.facts`: folded in the sender's order, `sent_at` then id, whatever order they
arrived in; a cancelled message drops out of the fold), so repeats and reordering converge to
the same facts, and a late older message never overwrites newer ones. Events are the difference
between the facts before and after a message (`referral.domain.case_events`).

The agreement that set a ready notice's clock is pinned in the case (`agreement_pins`) the
first time the notice is folded, so a later change of the agreements (a new version) never
changes a clock that already ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from referral.domain import events as de
from referral.domain.case_events import COUNTED, diff_events
from referral.domain.decision import SERVICE_DECISIONS, Decision, EndReason, MunicipalityProfile, Relative
from referral.domain.decision import change as change_decision
from referral.domain.decision import end as end_decision
from referral.domain.events import DomainEvent, OpeningReason
from referral.domain.facts import AgreementPins, CaseFacts, CaseStatus, ReadyPeriod, fold, local_date
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage, Patient
from referral.domain.sip import SipInvitation, SipPicture
from referral.domain.sip import picture as sip_picture
from trygg_shared.carry import carry

__all__ = [
    "READMISSION_WINDOW_DAYS",
    "Case",
    "CaseError",
    "CaseFacts",
    "CaseNotFound",
    "CaseStatus",
    "Opening",
    "OpeningReason",
    "ReadyPeriod",
    "Receipt",
]


class CaseError(ValueError):
    """A request that the case's rules do not allow (shown to the user as is)."""


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
    liability_days_published: int | None = None  # the liable days the last count sent said
    # The SMS-cap windows ops has been told of for this case (`SmsCapReached.window_key`).
    sms_cap_windows: set[str] = field(default_factory=set)
    sip_invitations: list[SipInvitation] = field(default_factory=list)  # recorded by officers
    sip_lapses_reported: set[str] = field(default_factory=set)  # `SipPicture.lapse_key` of each lapse told
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
        sip_before = self.sip(agreements)
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
                counted_until=receipt.received_at if receipt is not None else None,
            )
        )
        self._note_count_published()
        self._sip_changed(sip_before, self.sip(agreements))
        self._end_decision_when_case_closes(before, after, message)
        return True

    def _note_count_published(self) -> None:
        counts = [e.liable_months for e in self.events if isinstance(e, COUNTED) and e.liable_months is not None]
        if counts:
            self.liability_days_published = sum(m.days for m in counts[-1])

    def count_liability(self, agreements: AgreementTable, now: datetime) -> bool:
        """While the clock runs: record the count again when a new day has become liable (False: unchanged).

        Idempotent: a count repeated within the same liable day records nothing, so a loop may
        call it as often as it likes and consumers may apply its event twice.
        """
        facts = self.facts(agreements)
        running = facts.ready is not None and facts.ready.ended_at is None and facts.discharge is None
        if not running:
            return False
        months = facts.liable_months(now)
        days = sum(m.days for m in months)
        if days == (self.liability_days_published or 0):
            return False
        self.events.append(
            carry(de.LiabilityDaysCounted, self, facts, counted_until=now, liable_days=days, liable_months=months)
        )
        self.liability_days_published = days
        return True

    def _end_decision_when_case_closes(self, before: CaseFacts, after: CaseFacts, message: HospitalMessage) -> None:
        if after.status == before.status:
            return
        if after.status is CaseStatus.DECEASED and after.discharge is not None:
            self._end_active(EndReason.DECEASED, local_date(after.discharge.discharged_at), message.sent_at)
        elif after.status is CaseStatus.CANCELLED:
            self._end_active(EndReason.CASE_CANCELLED, local_date(message.sent_at), message.sent_at)

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

    # --- SIP: the invitation owed within 3 days of the ready notice (`referral.domain.sip`) -------

    def sip(self, agreements: AgreementTable) -> SipPicture:
        return sip_picture(self.facts(agreements), self.sip_invitations, self.sender_id)

    def record_sip_invitation(
        self, invitation: SipInvitation, agreements: AgreementTable
    ) -> tuple[SipInvitation, bool]:
        """An officer's record of an invitation; the same one recorded again is the first (False: nothing new)."""
        status = self.facts(agreements).status
        if status in (CaseStatus.CANCELLED, CaseStatus.DECEASED):
            raise CaseError("the case is closed: no SIP is planned for it")
        for known in self.sip_invitations:
            if known.same_as(invitation):
                return known, False
        before = self.sip(agreements)
        self.sip_invitations.append(invitation)
        self._sip_changed(before, self.sip(agreements), recorded=True)
        return invitation, True

    def report_sip_lapse(self, agreements: AgreementTable, now: datetime) -> bool:
        """The deadline passed without an invitation: recorded once per deadline (False: nothing to tell)."""
        sip = self.sip(agreements)
        key = sip.lapse_key
        if key is None or not sip.lapsed(now) or key in self.sip_lapses_reported or sip.ready_at is None:
            return False
        assert sip.deadline is not None
        self.sip_lapses_reported.add(key)
        self.events.append(carry(de.SipDeadlineLapsed, self, sip, lapsed_at=now))
        return True

    def sip_due_at(self, agreements: AgreementTable) -> datetime | None:
        """When the lapse timer fires: the deadline, while no invitation came and no lapse was told."""
        sip = self.sip(agreements)
        if sip.deadline is None or sip.invitation is not None or sip.lapse_key in self.sip_lapses_reported:
            return None
        return sip.deadline

    def _sip_changed(self, before: SipPicture, after: SipPicture, *, recorded: bool = False) -> None:
        """The picture again when it changed (or an invitation was recorded: the case is saved with it)."""
        if not recorded and (before.deadline, before.invitation) == (after.deadline, after.invitation):
            return
        self.events.append(carry(de.SipStatusChanged, self, after))  # the whole picture

    # --- a case without a hospital message ------------------------------------------------

    @classmethod
    def open_without_message(
        cls, case_id: str, person_ref: str, opening: Opening, region_code: str | None = None
    ) -> Case:
        case = cls(case_id=case_id, person_ref=person_ref, region_code=region_code, opening=opening)
        address = opening.patient.address
        case.events.append(
            carry(de.CaseOpened, case, opening, municipality_code=address.municipality_code if address else None)
        )
        return case

    # --- decisions -------------------------------------------------------------------------

    def active_decision(self) -> Decision | None:
        return next((d for d in reversed(self.decisions) if d.active), None)

    def team(self, profile: MunicipalityProfile) -> str | None:
        """The case's team (its id when known): the team of its latest decision that names one."""
        return next((k for d in reversed(self.decisions) if (k := d.team_key(profile)) is not None), None)

    def stored_team(self) -> str | None:
        """What the store keeps to query by team: the latest decision's team id, else its team as named."""
        return next((d.team_id or d.team for d in reversed(self.decisions) if d.team), None)

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
        person = patient if decision.decision_type in SERVICE_DECISIONS else None
        self.events.append(carry(de.DecisionGranted, self, decision=decision, person=person))

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
            carry(
                de.DecisionChanged,
                self,
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
        self.events.append(carry(de.DecisionEnded, self, ended.ending, decision_id=decision_id))
        return ended

    def end_decision_on_readmission(self, readmitted_on: date, now: datetime) -> Decision | None:
        """Back in hospital: a running decision ends on the readmission day (or before it started)."""
        active = self.active_decision()
        if active is None or (active.end_date is not None and active.end_date < readmitted_on):
            return None  # it had run its course already
        return self._end_active(EndReason.READMITTED, readmitted_on, now)

    # --- limits on relatives' SMS --------------------------------------------------------------

    def sms_cap_reached(self, hit: de.SmsCapHit, *, officer: str, now: datetime) -> bool:
        """Record that a change to this case was refused by an SMS cap: an event for ops, once per
        window (a refused request repeated, or retried after a failure, tells ops nothing new)."""
        if hit.window_key in self.sms_cap_windows:
            return False
        self.sms_cap_windows.add(hit.window_key)
        self.events.append(carry(de.SmsCapReached, self, hit=hit, officer=officer, reached_at=now))
        return True

    def _replace_decision(self, decision: Decision) -> None:
        self.decisions = [decision if d.decision_id == decision.decision_id else d for d in self.decisions]


class CaseNotFound(LookupError):
    """No such case (or no such decision on it)."""
