"""What notification knows of one case: who may be told (consent), the period, the liability watch.

Consent is per relative and revocable. Only relatives whose consent is on record are kept; a
relative whose consent disappears from the list is *withdrawn*: nothing more is sent to them,
from the moment the withdrawal is recorded (the dispatcher checks this file right before every
send), and the withdrawal is written to the case's consent log (who, when, from which event). A
case closed because the person died sends nothing more to anyone.

Relatives come from referral's relative-contacts topic (the full list each time), and a
withdrawal also from the decision change on the case-events topic, whichever is read first. Both
topics number a case's events in one sequence (referral's aggregate), so `relatives_sequence`
keeps the number of the event the list is from: an older list read late (the two topics are
read independently) never brings back a relative whose consent was withdrawn since.

The liability watch: a ready notice without a decision alerts on-call staff `lead` before the
municipality's payment liability starts. It is armed by the ready notice and disarmed by a
decision, a revocation or the discharge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

from notification.domain.contacts import Language
from notification.domain.message import Message, RecipientKind
from notification.domain.templates import MeetingPlace, MessageKind


class WatchState(StrEnum):
    ARMED = "armed"
    FIRED = "fired"
    DISARMED = "disarmed"


class ClosedReason(StrEnum):
    DECEASED = "deceased"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Relative:
    """A relative the person consented to inform. No name is kept: messages do not use it."""

    relative_id: str
    phone: str
    language: Language

    def message(self, message_id: str, kind: MessageKind, text: str, case: CaseFile, when: Timing) -> Message:
        """The SMS to this relative about `case`, sent at `when.send_at` or held until `when.release` (quiet hours)."""
        return Message(
            message_id=message_id,
            kind=kind,
            recipient=RecipientKind.RELATIVE,
            recipient_id=self.relative_id,
            to=self.phone,
            text=text,
            language=self.language,
            created_at=when.now,
            not_before=when.release or when.send_at or when.now,
            case_id=case.case_id,
            team_id=case.team_id,
            topic=when.topic,
            announces=when.announces,
            held_for_quiet_hours=when.release is not None,
        )


@dataclass(frozen=True)
class Timing:
    """When a relative's text is created and goes, on which topic, and the visit time it gives."""

    now: datetime
    topic: str | None
    release: datetime | None = None  # the end of quiet hours it waits for
    send_at: datetime | None = None  # a later moment it is due (a reminder); None: now
    announces: datetime | None = None


@dataclass(frozen=True)
class ConsentEntry:
    """One line of the consent log (the audit of consent given and withdrawn)."""

    relative_id: str
    change: str  # "given" or "withdrawn"
    recorded_by: str
    recorded_at: datetime
    source_event_id: str


@dataclass(frozen=True)
class Notice:
    """What scheduling planned that relatives hear about: a visit, the handover, the period's end.

    Kept per case whether or not relatives may be told yet: scheduling's events and referral's
    decision and contacts come on different topics, so either may be read first. Once the
    decision and the contacts are known, every notice kept is told (message ids come from
    `cause`, so telling one again queues nothing new). `key` is what a newer notice replaces:
    the visit (its latest time and place), the handover, the end.
    """

    key: str
    kind: MessageKind  # the form for a relative who hears of it the first time
    cause: str
    at: datetime | None = None  # a visit's start (UTC)
    day: date | None = None  # the handover's or the end's day
    place: MeetingPlace | None = None


@dataclass(frozen=True)
class GrantedDecision:
    """A decision referral granted, as the case file records it (`CaseFile.decision_granted`)."""

    case_id: str
    person_ref: str
    decision_id: str
    trygg_hemgang: bool  # the decision is Trygg hemgång: relatives may be told about it
    team_name: str | None
    start_date: date | None
    relatives: list[Relative]  # only from decision events written before the relative-contacts topic
    by: str
    at: datetime
    source_event_id: str
    sequence: int | None = None  # referral's sequence number of the event


@dataclass(frozen=True)
class LiabilityWatch:
    ready_at: datetime
    liability_starts_at: datetime
    alert_at: datetime
    state: WatchState = WatchState.ARMED


@dataclass(frozen=True)
class ConsentWithdrawn:
    """Domain event: these relatives must get nothing more (pending messages are cancelled)."""

    case_id: str
    relative_ids: tuple[str, ...]


@dataclass(frozen=True)
class CaseClosedForMessages:
    case_id: str
    reason: ClosedReason


@dataclass
class CaseFile:
    case_id: str
    person_ref: str
    team_name: str | None = None  # from the decision (a name)
    team_id: str | None = None  # from scheduling's period
    decision_id: str | None = None
    decided: bool = False
    trygg_hemgang: bool = False  # the decision is Trygg hemgång: relatives may be told about it
    start_date: date | None = None  # the decision's first day (what relatives are told)
    decided_at: datetime | None = None  # when the decision was made
    decision_read_at: datetime | None = None  # when notification first read it (the start text's wait runs from it)
    last_day: date | None = None  # the decision ended early: no visit after this (local) day is told
    relatives: dict[str, Relative] = field(default_factory=dict)
    relatives_sequence: int = 0  # referral's sequence number of the event the relatives are from
    consent_log: list[ConsentEntry] = field(default_factory=list)
    period_id: str | None = None
    period_active: bool = False
    notices: dict[str, Notice] = field(default_factory=dict)  # by key: what relatives hear of the period
    closed: ClosedReason | None = None
    watch: LiabilityWatch | None = None

    # --- consent --------------------------------------------------------------------------------

    def may_message(self, relative_id: str) -> Relative | None:
        """The relative, when a message may go to them right now."""
        if self.closed is not None or not self.trygg_hemgang:
            return None
        return self.relatives.get(relative_id)

    def set_relatives(
        self, consented: list[Relative], *, by: str, at: datetime, source_event_id: str
    ) -> tuple[list[Relative], list[object]]:
        """Replace the consented relatives with the decision's current list.

        Returns the relatives newly consented and the events (ConsentWithdrawn for those whose
        consent is gone). Repeating the same list changes nothing.
        """
        before = self.relatives
        after = {r.relative_id: r for r in consented}
        added = [r for rid, r in after.items() if rid not in before]
        withdrawn = tuple(sorted(rid for rid in before if rid not in after))
        for r in added:
            self.consent_log.append(ConsentEntry(r.relative_id, "given", by, at, source_event_id))
        for rid in withdrawn:
            self.consent_log.append(ConsentEntry(rid, "withdrawn", by, at, source_event_id))
        self.relatives = after
        events: list[object] = [ConsentWithdrawn(self.case_id, withdrawn)] if withdrawn else []
        return added, events

    def contacts_changed(
        self,
        consented: list[Relative],
        withdrawn: tuple[str, ...] = (),
        *,
        sequence: int | None,
        by: str,
        at: datetime,
        source_event_id: str,
    ) -> tuple[list[Relative], list[object]]:
        """The relatives' full current list (referral's relative-contacts event `sequence`).

        A list older than the one held (a lower sequence number) changes nothing. Relatives in
        `withdrawn` are withdrawn even if the list still named them.
        """
        if not self._newer(sequence):
            return [], []
        return self.set_relatives(
            [r for r in consented if r.relative_id not in withdrawn], by=by, at=at, source_event_id=source_event_id
        )

    def consent_withdrawn(
        self, relative_ids: tuple[str, ...], *, sequence: int | None, by: str, at: datetime, source_event_id: str
    ) -> list[object]:
        """A decision change withdrew these relatives' consent: they get nothing more, at once."""
        if not relative_ids or not self._newer(sequence):
            return []
        kept = [r for rid, r in self.relatives.items() if rid not in relative_ids]
        return self.set_relatives(kept, by=by, at=at, source_event_id=source_event_id)[1]

    def _newer(self, sequence: int | None) -> bool:
        """Whether an event numbered `sequence` is newer than the relatives held (and record it)."""
        if sequence is None:  # not numbered: the latest word
            return True
        if sequence <= self.relatives_sequence:
            return False
        self.relatives_sequence = sequence
        return True

    # --- decisions and period -------------------------------------------------------------------

    def decision_granted(
        self, decision: GrantedDecision, read_at: datetime | None = None
    ) -> tuple[list[Relative], list[object]]:
        """A decision (read at `read_at`): the watch stops; relatives may be told about it only if it
        is Trygg hemgång.

        The relatives come on their own topic (`contacts_changed`). `decision.relatives` is for
        decision events written before that topic existed, which carried them: a non-empty list is
        then the relatives' full list.
        """
        self.decided = True
        if self.decision_id != decision.decision_id or self.decision_read_at is None:
            self.decision_read_at = read_at or decision.at  # a redelivery keeps the first reading
            self.last_day = None
        self.decision_id = decision.decision_id
        self.trygg_hemgang = decision.trygg_hemgang
        self.team_name = decision.team_name or self.team_name
        self.start_date = decision.start_date
        self.decided_at = decision.at
        self._disarm()
        if decision.relatives:
            return self.contacts_changed(
                decision.relatives,
                sequence=decision.sequence,
                by=decision.by,
                at=decision.at,
                source_event_id=decision.source_event_id,
            )
        return [], []

    def period_planned(self, period_id: str, team_id: str) -> None:
        self.period_id, self.team_id, self.period_active = period_id, team_id, True

    def period_ended(self) -> None:
        self.period_active = False

    def noticed(self, notice: Notice, timezone: tzinfo = UTC) -> bool:
        """Keep what relatives are to hear (the newer notice of a visit replaces its older time);
        False when it is known already, or a visit after the last day of a decision that ended."""
        if self.notices.get(notice.key) == notice or self._after_last_day(notice, timezone):
            return False
        self.notices[notice.key] = notice
        return True

    def decision_ended(self, last_day: date, timezone: tzinfo) -> list[Notice]:
        """The decision ended early (not a death: that closes the case) with `last_day`: visits after
        it are no longer told; returns those withdrawn (their texts still waiting are withdrawn by the
        caller). Visits up to the last day stand."""
        self.last_day = last_day
        after = [n for n in self.notices.values() if self._after_last_day(n, timezone)]
        for n in after:
            del self.notices[n.key]
        return after

    def _after_last_day(self, notice: Notice, timezone: tzinfo) -> bool:
        return (
            self.last_day is not None
            and notice.at is not None
            and notice.at.astimezone(timezone).date() > self.last_day
        )

    def notice_withdrawn(self, key: str) -> bool:
        """A cancelled visit: relatives who have not heard of it yet never will."""
        return self.notices.pop(key, None) is not None

    def notices_ahead(self, now: datetime) -> list[Notice]:
        """The notices to tell a relative now: visits still ahead, the handover and the end, in time order."""
        kept = [n for n in self.notices.values() if n.at is None or n.at > now]
        return sorted(kept, key=lambda n: (n.at.date() if n.at else n.day or date.min, n.at is None, n.key))

    def close(self, reason: ClosedReason) -> list[object]:
        """Nothing more to anyone (the person died, the case was cancelled)."""
        if self.closed is not None:
            return []
        self.closed = reason
        self.period_active = False
        self._disarm()
        return [CaseClosedForMessages(self.case_id, reason)]

    # --- liability watch ------------------------------------------------------------------------

    def ready_for_discharge(self, ready_at: datetime, liability_starts_at: datetime, lead: timedelta) -> bool:
        """Arm the watch for this ready notice; False when nothing changed (already decided, or a repeat)."""
        if self.decided or self.closed is not None:
            return False
        w = self.watch
        same = w is not None and w.ready_at == ready_at and w.liability_starts_at == liability_starts_at
        if same and w is not None and w.state is not WatchState.DISARMED:
            return False  # the same ready notice again
        self.watch = LiabilityWatch(ready_at, liability_starts_at, liability_starts_at - lead)
        return True

    def ready_revoked(self) -> bool:
        return self._disarm()

    def discharged(self) -> bool:
        return self._disarm()

    def _disarm(self) -> bool:
        if self.watch is not None and self.watch.state is WatchState.ARMED:
            self.watch = replace(self.watch, state=WatchState.DISARMED)
            return True
        return False

    def watch_due(self, now: datetime) -> LiabilityWatch | None:
        if self.watch is not None and self.watch.state is WatchState.ARMED and self.watch.alert_at <= now:
            return self.watch
        return None

    def watch_fired(self, ready_at: datetime) -> bool:
        if self.watch is not None and self.watch.ready_at == ready_at and self.watch.state is WatchState.ARMED:
            self.watch = replace(self.watch, state=WatchState.FIRED)
            return True
        return False
