"""Use cases on the case: consent, decisions, the period, and the messages relatives get.

Each use case is idempotent: an event handled twice (redelivered after a crash before its offset
was committed) changes nothing the second time, and queues no second message, because message
ids are derived from what caused them and who receives them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from notification.domain.casefile import CaseFile, ClosedReason, ConsentWithdrawn, GrantedDecision, Notice, Relative
from notification.domain.contacts import TeamContact
from notification.domain.message import CancelReason, RecipientKind
from notification.domain.schedule import topics_of
from notification.domain.templates import MessageKind
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.telling import (
    cancel_message,
    contact_for,
    create_message,
    local_time,
    tell,
    withdraw_topics,
)
from trygg_shared.aggregate import update_aggregate
from trygg_shared.carry import carry
from trygg_shared.logging import get_logger

# Used by the other use cases; the decision is the domain's record (the command the events entrypoint builds).
__all__ = ["GrantedDecision", "cancel_message", "contact_for", "create_message", "local_time", "tell"]

log = get_logger(__name__)

R = TypeVar("R")


def _new_case(case_id: str, person_ref: str) -> CaseFile:
    return CaseFile(case_id=case_id, person_ref=person_ref)


async def _change_case(
    deps: NotificationDeps,
    case_id: str,
    person_ref: str,
    change: Callable[[CaseFile], tuple[R, Sequence[object] | None]],
) -> R:
    """`change` applied to the case file and saved (`update_aggregate`); the case's first event makes the file."""
    return await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))


# --- the liability watch -------------------------------------------------------------------------


async def watch_liability(
    deps: NotificationDeps, case_id: str, person_ref: str, ready_at: datetime, liability_starts_at: datetime
) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        armed = case.ready_for_discharge(ready_at, liability_starts_at, deps.policy.liability_lead)
        return None, [] if armed else None

    await _change_case(deps, case_id, person_ref, change)


async def stop_liability_watch(deps: NotificationDeps, case_id: str, person_ref: str) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        return None, [] if case.ready_revoked() else None

    await _change_case(deps, case_id, person_ref, change)


async def record_discharge(deps: NotificationDeps, case_id: str, person_ref: str, *, deceased: bool) -> None:
    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        events = case.close(ClosedReason.DECEASED) if deceased else []
        disarmed = case.discharged()
        return events, events if (events or disarmed) else None

    events = await _change_case(deps, case_id, person_ref, change)
    if events:
        await cancel_queued(deps, case_id, None, CancelReason.CASE_CLOSED)


async def open_case(deps: NotificationDeps, case_id: str, person_ref: str) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        return None, None

    await _change_case(deps, case_id, person_ref, change)


# --- decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionRecorded:
    queued: int  # messages queued now (0 when repeated)
    watched: bool  # the case has had a liability watch: only then can it have a liability alert


class _Creation:
    """`update_aggregate`'s `create`, remembering the case it made: a case saved as that one was new,
    so nothing was queued for it before (its relatives' messages are queued only after it is saved)."""

    def __init__(self, case_id: str, person_ref: str) -> None:
        self.case_id, self.person_ref = case_id, person_ref
        self.made: CaseFile | None = None

    def __call__(self) -> CaseFile:
        self.made = _new_case(self.case_id, self.person_ref)
        return self.made

    def created(self, saved: CaseFile) -> bool:
        return self.made is not None and saved is self.made


async def record_decision(deps: NotificationDeps, cmd: GrantedDecision) -> int:
    """A decision stops the liability watch; for Trygg hemgång the consented relatives are told it starts
    (one text, with the homecoming time when known: `domain.schedule`).

    The relatives known by now are told (those whose contacts arrive later are told then, by
    `record_contacts`). Returns how many messages were queued (0 when repeated).
    """
    return (await record_granted(deps, cmd)).queued


async def record_granted(deps: NotificationDeps, cmd: GrantedDecision) -> DecisionRecorded:
    """`record_decision`, also saying whether the case ever had a liability watch."""

    def change(case: CaseFile) -> tuple[tuple[CaseFile, list[object]], list[object]]:
        _added, events = case.decision_granted(cmd, read_at=deps.clock.now())
        return (case, events), events

    creation = _Creation(cmd.case_id, cmd.person_ref)
    (saved, events) = await update_aggregate(deps.cases, cmd.case_id, change, create=creation)
    watched = saved.watch is not None
    await _apply_withdrawals(deps, events)
    if not cmd.trygg_hemgang:
        return DecisionRecorded(0, watched)
    if cmd.sequence is not None and saved.relatives_sequence < cmd.sequence:
        # The relatives held are from before this decision (its own list, published right after
        # it, is not read yet): `record_contacts` tells this decision's relatives when it is.
        return DecisionRecorded(0, watched)
    # Every consented relative (not only those new in this save): a redelivered event whose first
    # handling died after saving the case must still queue the messages. Ids make this idempotent.
    return DecisionRecorded(await tell(deps, saved, new=creation.created(saved)), watched)


@dataclass(frozen=True)
class RelativeContacts:
    """Referral's relative-contacts event: every relative with consent now (the full list)."""

    case_id: str
    person_ref: str
    decision_id: str
    relatives: list[Relative]
    withdrawn: tuple[str, ...]
    by: str
    at: datetime
    source_event_id: str
    sequence: int | None = None  # referral's sequence number of the event


async def record_contacts(deps: NotificationDeps, cmd: RelativeContacts) -> None:
    """The relatives to inform: a relative no longer listed gets nothing more, from now on (audited in
    the consent log); one newly listed hears that the service runs, if the decision is Trygg hemgång."""

    def change(case: CaseFile) -> tuple[tuple[CaseFile, list[object]], list[object] | None]:
        before = (dict(case.relatives), case.relatives_sequence)
        _added, events = case.contacts_changed(
            cmd.relatives,
            cmd.withdrawn,
            sequence=cmd.sequence,
            by=cmd.by,
            at=cmd.at,
            source_event_id=cmd.source_event_id,
        )
        return (case, events), events if (events or before != (case.relatives, case.relatives_sequence)) else None

    creation = _Creation(cmd.case_id, cmd.person_ref)
    saved, events = await update_aggregate(deps.cases, cmd.case_id, change, create=creation)
    await _apply_withdrawals(deps, events)
    if saved.trygg_hemgang and saved.decision_id == cmd.decision_id:
        # Contacts read after their decision, or a relative newly consented to: they hear what the
        # schedule has for them now (every relative, not only those new in this save: a redelivery
        # whose first handling died after saving must still queue them; ids make it once).
        await tell(deps, saved, new=creation.created(saved))


@dataclass(frozen=True)
class ChangedDecision:
    case_id: str
    person_ref: str
    decision_id: str
    relatives: list[Relative]  # only from decision events written before the relative-contacts topic
    by: str
    at: datetime
    source_event_id: str
    withdrawn: tuple[str, ...] = ()  # relatives whose consent this change withdrew
    sequence: int | None = None  # referral's sequence number of the event


async def record_decision_change(deps: NotificationDeps, cmd: ChangedDecision) -> None:
    """A change that withdrew consent: those relatives get nothing more, at once, even before the
    relatives' new list arrives on its own topic. The rest of the list comes from there."""
    if cmd.relatives:  # a decision event written before the relative-contacts topic: the full list
        await record_contacts(deps, carry(RelativeContacts, cmd))
        return
    if not cmd.withdrawn:
        return

    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        before = case.relatives_sequence
        events = case.consent_withdrawn(
            cmd.withdrawn, sequence=cmd.sequence, by=cmd.by, at=cmd.at, source_event_id=cmd.source_event_id
        )
        return events, events if (events or before != case.relatives_sequence) else None

    events = await _change_case(deps, cmd.case_id, cmd.person_ref, change)
    await _apply_withdrawals(deps, events)


async def record_decision_end(
    deps: NotificationDeps, case_id: str, person_ref: str, *, deceased: bool, last_day: date | None = None
) -> None:
    """A death closes the case (nothing more to anyone); any other end (early, readmitted, the case
    cancelled) withdraws the visits after its last day: their reminders and texts still waiting are
    withdrawn, and such a visit read later is not told. The end itself is told when scheduling ends
    the period."""
    if not deceased:
        if last_day is None:
            return
        tz = deps.policy.timezone

        def end(case: CaseFile) -> tuple[list[Notice], list[object] | None]:
            was = case.last_day
            after = case.decision_ended(last_day, tz)
            return after, [] if (after or was != last_day) else None

        after = await _change_case(deps, case_id, person_ref, end)
        await withdraw_topics(deps, case_id, {t for n in after for t in topics_of(n)})
        return

    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        events = case.close(ClosedReason.DECEASED)
        return events, events or None

    events = await _change_case(deps, case_id, person_ref, change)
    if events:
        await cancel_queued(deps, case_id, None, CancelReason.CASE_CLOSED)


async def _apply_withdrawals(deps: NotificationDeps, events: list[object]) -> None:
    for event in events:
        if isinstance(event, ConsentWithdrawn):
            log.info(
                "consent withdrawn; queued messages cancelled", case_id=event.case_id, relatives=len(event.relative_ids)
            )
            for relative_id in event.relative_ids:
                await cancel_queued(deps, event.case_id, relative_id, CancelReason.CONSENT_WITHDRAWN)


async def cancel_queued(deps: NotificationDeps, case_id: str, relative_id: str | None, reason: CancelReason) -> int:
    """Cancel the case's messages not yet sent (to one relative, or to all)."""
    cancelled = 0
    for message in await deps.message_queries.queued_for_case(case_id):
        if message.recipient is not RecipientKind.RELATIVE:
            continue
        if relative_id is not None and message.recipient_id != relative_id:
            continue
        cancelled += await cancel_message(deps, message.message_id, reason)
    return cancelled


# --- the period (scheduling's events) ------------------------------------------------------------


async def record_period(
    deps: NotificationDeps,
    case_id: str,
    person_ref: str,
    period_id: str,
    team_id: str,
    notice: Notice | None = None,
    *,
    withdraw: str | None = None,
) -> CaseFile:
    """Record the case's period (and what relatives are to hear of it, kept until they can be told,
    see `telling.tell`); returns the case file as stored now (callers need not read it again)."""

    def change(case: CaseFile) -> tuple[CaseFile, list[object] | None]:
        changed = notice is not None and case.noticed(notice, deps.policy.timezone)
        changed = (withdraw is not None and case.notice_withdrawn(withdraw)) or changed
        if case.period_id != period_id:  # else known (perhaps ended since: a late visit event does not revive it)
            case.period_planned(period_id, team_id)
            changed = True
        return case, [] if changed else None

    return await _change_case(deps, case_id, person_ref, change)


async def record_period_end(
    deps: NotificationDeps,
    case_id: str,
    person_ref: str,
    *,
    ended_on: date,
    tell_relatives: bool,
    deceased: bool,
    cause: str,
) -> int:
    told = tell_relatives and not deceased
    notice = Notice("period-ended", MessageKind.PERIOD_ENDED, cause, day=ended_on)

    def change(case: CaseFile) -> tuple[tuple[CaseFile, list[object]], list[object] | None]:
        events = case.close(ClosedReason.DECEASED) if deceased else []
        was_active = case.period_active
        case.period_ended()
        noticed = told and case.noticed(notice)  # told once the decision and contacts are known
        return (case, events), events if (events or was_active or noticed) else None

    saved, events = await _change_case(deps, case_id, person_ref, change)
    if events:
        await cancel_queued(deps, case_id, None, CancelReason.CASE_CLOSED)
    if not told:
        return 0
    return await tell(deps, saved)


async def configure_team(deps: NotificationDeps, contact: TeamContact, version: int) -> bool:
    """The team's phone and hours for every later message (a newer version wins)."""
    return await deps.teams.put(contact, version)


# --- helpers ---------------------------------------------------------------------------------------


def local_day(deps: NotificationDeps, moment: datetime) -> date:
    return moment.astimezone(deps.policy.timezone).date()
