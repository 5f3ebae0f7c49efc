"""Use cases on the case: consent, decisions, the period, and the messages relatives get.

Each use case is idempotent: an event handled twice (redelivered after a crash before its offset
was committed) changes nothing the second time, and queues no second message, because message
ids are derived from what caused them and who receives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from notification.domain.casefile import CaseFile, ClosedReason, ConsentWithdrawn, Notice, Relative
from notification.domain.contacts import TeamContact
from notification.domain.ids import message_id
from notification.domain.message import CancelReason, Message, RecipientKind
from notification.domain.templates import Facts, MessageKind, render
from notification.service_layer.deps import NotificationDeps
from trygg_shared.aggregate import ConcurrencyConflict, update_aggregate
from trygg_shared.audit import AuditRecord
from trygg_shared.logging import get_logger

log = get_logger(__name__)


def _new_case(case_id: str, person_ref: str) -> CaseFile:
    return CaseFile(case_id=case_id, person_ref=person_ref)


# --- the liability watch -------------------------------------------------------------------------


async def watch_liability(
    deps: NotificationDeps, case_id: str, person_ref: str, ready_at: datetime, liability_starts_at: datetime
) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        armed = case.ready_for_discharge(ready_at, liability_starts_at, deps.policy.liability_lead)
        return None, [] if armed else None

    await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))


async def stop_liability_watch(deps: NotificationDeps, case_id: str, person_ref: str) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        return None, [] if case.ready_revoked() else None

    await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))


async def record_discharge(deps: NotificationDeps, case_id: str, person_ref: str, *, deceased: bool) -> None:
    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        events = case.close(ClosedReason.DECEASED) if deceased else []
        disarmed = case.discharged()
        return events, events if (events or disarmed) else None

    events = await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))
    if events:
        await cancel_queued(deps, case_id, None, CancelReason.CASE_CLOSED)


async def open_case(deps: NotificationDeps, case_id: str, person_ref: str) -> None:
    def change(case: CaseFile) -> tuple[None, list[object] | None]:
        return None, None

    await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))


# --- decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantedDecision:
    case_id: str
    person_ref: str
    decision_id: str
    trygg_hemgang: bool
    team_name: str | None
    start_date: date | None
    relatives: list[Relative]  # only from decision events written before the relative-contacts topic
    by: str
    at: datetime
    source_event_id: str
    sequence: int | None = None  # referral's sequence number of the event


async def record_decision(deps: NotificationDeps, cmd: GrantedDecision) -> int:
    """A decision stops the liability watch; for Trygg hemgång the consented relatives are told it starts.

    The relatives known by now are told (those whose contacts arrive later are told then, by
    `record_contacts`). Returns how many messages were queued (0 when repeated).
    """

    def change(case: CaseFile) -> tuple[tuple[CaseFile, list[object]], list[object]]:
        _added, events = case.decision_granted(
            decision_id=cmd.decision_id,
            trygg_hemgang=cmd.trygg_hemgang,
            team_name=cmd.team_name,
            start_date=cmd.start_date,
            relatives=cmd.relatives,
            by=cmd.by,
            at=cmd.at,
            source_event_id=cmd.source_event_id,
            sequence=cmd.sequence,
        )
        return (case, events), events

    (saved, events) = await update_aggregate(
        deps.cases, cmd.case_id, change, create=lambda: _new_case(cmd.case_id, cmd.person_ref)
    )
    await _apply_withdrawals(deps, events)
    if not cmd.trygg_hemgang:
        return 0
    if cmd.sequence is not None and saved.relatives_sequence < cmd.sequence:
        # The relatives held are from before this decision (its own list, published right after
        # it, is not read yet): `record_contacts` tells this decision's relatives when it is.
        return 0
    # Every consented relative (not only those new in this save): a redelivered event whose first
    # handling died after saving the case must still queue the messages. Ids make this idempotent.
    started = await notify_relatives(
        deps,
        cmd.case_id,
        MessageKind.SERVICE_STARTED,
        Facts(day=_first_day(deps, cmd.start_date, cmd.at)),
        cause=f"decision:{cmd.decision_id}:started",
        about=None,
        case=saved,
    )
    return started + await tell_planned(deps, saved)


def _first_day(deps: NotificationDeps, start_date: date | None, decided_at: datetime) -> date:
    """The day relatives are told the service runs from: the decision's first day, not before the decision."""
    decided_on = local_day(deps, decided_at)
    return start_date if start_date is not None and start_date >= decided_on else decided_on


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

    saved, events = await update_aggregate(
        deps.cases, cmd.case_id, change, create=lambda: _new_case(cmd.case_id, cmd.person_ref)
    )
    await _apply_withdrawals(deps, events)
    if saved.trygg_hemgang and saved.decision_id == cmd.decision_id:
        # Contacts read after their decision, or a relative newly consented to: they hear that the
        # service runs. Every relative, not only those new in this save (a redelivery whose first
        # handling died after saving must still queue them); the id per decision and relative
        # makes it once.
        await notify_relatives(
            deps,
            cmd.case_id,
            MessageKind.SERVICE_STARTED,
            Facts(day=_first_day(deps, saved.start_date, cmd.at)),
            cause=f"decision:{cmd.decision_id}:started",
            about=None,
            case=saved,
        )
        await tell_planned(deps, saved)


async def tell_planned(deps: NotificationDeps, case: CaseFile) -> int:
    """Tell the relatives what scheduling planned before they could be told (returns how many were new).

    Scheduling's events are read on their own topic: a visit may be planned (or moved) before
    notification reads the decision or the relatives' contacts, when `notify_relatives` has nobody
    to tell. The case file keeps each visit's latest time, the handover and the end (`Notice`), and
    once the decision and contacts are known every relative hears of the visits still ahead, the
    handover and the end: in their latest form only (a visit moved before is told at its new time,
    one cancelled not at all). Message ids come from the cause, so what was told already (when the
    decision came first) is not told again; the end state is the same whichever topic came first.
    """
    if case.closed is not None or not case.trygg_hemgang or not case.relatives or not case.notices:
        return 0
    contact = await contact_for(deps, case)
    queued = 0
    for notice in case.notices_ahead(deps.clock.now()):
        at = local_time(deps, notice.at) if notice.at is not None else None
        handover = notice.kind is MessageKind.HANDED_OVER
        call = (contact.hemtjanst_phone or deps.policy.hemtjanst_phone) if handover else None
        queued += await notify_relatives(
            deps,
            case.case_id,
            notice.kind,
            Facts(at=at, day=notice.day, place=notice.place, call_phone=call),
            cause=notice.cause,
            about=at.date() if at is not None else None,
            topic=notice.key if at is not None else None,
            case=case,
            contact=contact,
        )
    return queued


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
        await record_contacts(
            deps,
            RelativeContacts(
                cmd.case_id,
                cmd.person_ref,
                cmd.decision_id,
                cmd.relatives,
                cmd.withdrawn,
                cmd.by,
                cmd.at,
                cmd.source_event_id,
                cmd.sequence,
            ),
        )
        return
    if not cmd.withdrawn:
        return

    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        before = case.relatives_sequence
        events = case.consent_withdrawn(
            cmd.withdrawn, sequence=cmd.sequence, by=cmd.by, at=cmd.at, source_event_id=cmd.source_event_id
        )
        return events, events if (events or before != case.relatives_sequence) else None

    events = await update_aggregate(
        deps.cases, cmd.case_id, change, create=lambda: _new_case(cmd.case_id, cmd.person_ref)
    )
    await _apply_withdrawals(deps, events)


async def record_decision_end(deps: NotificationDeps, case_id: str, person_ref: str, *, deceased: bool) -> None:
    if not deceased:
        return

    def change(case: CaseFile) -> tuple[list[object], list[object] | None]:
        events = case.close(ClosedReason.DECEASED)
        return events, events or None

    events = await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))
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


async def cancel_message(deps: NotificationDeps, message_id: str, reason: CancelReason) -> int:
    """Cancel one message not yet sent; 1 when it was cancelled now, else 0."""
    now = deps.clock.now()

    def change(m: Message) -> tuple[bool, list[object] | None]:
        events = m.cancel(reason, now)
        return events is not None, events

    return int(await update_aggregate(deps.messages, message_id, change))


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
    see `tell_planned`); returns the case file as stored now (callers need not read it again)."""

    def change(case: CaseFile) -> tuple[CaseFile, list[object] | None]:
        changed = notice is not None and case.noticed(notice)
        changed = (withdraw is not None and case.notice_withdrawn(withdraw)) or changed
        if case.period_id != period_id:  # else known (perhaps ended since: a late visit event does not revive it)
            case.period_planned(period_id, team_id)
            changed = True
        return case, [] if changed else None

    return await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))


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

    saved, events = await update_aggregate(deps.cases, case_id, change, create=lambda: _new_case(case_id, person_ref))
    if events:
        await cancel_queued(deps, case_id, None, CancelReason.CASE_CLOSED)
    if not told:
        return 0
    return await notify_relatives(
        deps, case_id, MessageKind.PERIOD_ENDED, Facts(day=ended_on), cause=cause, about=None, case=saved
    )


async def configure_team(deps: NotificationDeps, contact: TeamContact, version: int) -> bool:
    """The team's phone and hours for every later message (a newer version wins)."""
    return await deps.teams.put(contact, version)


# --- queuing messages to relatives ---------------------------------------------------------------


async def contact_for(deps: NotificationDeps, case: CaseFile) -> TeamContact:
    """The team's phone and hours: from scheduling's team configuration, else the deployment's default."""
    if case.team_id:
        found = await deps.teams.get(case.team_id)
        if found is not None:
            return found
    if case.team_name:
        found = await deps.teams.by_name(case.team_name)
        if found is not None:
            return found
    return deps.policy.fallback_contact


async def notify_relatives(
    deps: NotificationDeps,
    case_id: str,
    kind: MessageKind,
    facts: Facts,
    *,
    cause: str,
    about: date | None,
    topic: str | None = None,
    case: CaseFile | None = None,
    contact: TeamContact | None = None,
) -> int:
    """Queue one message per consented relative of the case; returns how many were new.

    `about`: the local day the message is about (a message about today is not held by quiet
    hours). `topic`: a newer message on the same topic replaces an older one still queued
    (e.g. two changes of the homecoming time during the night: only the latest goes out).
    `case`: the case file when the caller has just read or saved it; `contact`: the team's
    contact when the caller has looked it up already (each is read once per call, not per message).
    """
    if case is None:  # given when the caller has just saved it
        loaded = await deps.cases.load(case_id)
        if loaded is None:
            return 0
        case = loaded.state
    if case.closed is not None or not case.trygg_hemgang or not case.relatives:
        return 0
    if contact is None:
        contact = await contact_for(deps, case)
    now = deps.clock.now()
    release = deps.policy.quiet_hours.release_at(now, about=about)
    queued = refused = 0
    for relative in case.relatives.values():
        mid = message_id(cause, relative.relative_id)
        if deps.policy.sms_numbers.refusal(relative.phone) is not None:
            # Defence in depth: referral checks the number when consent is recorded; one that got
            # past it (or an allow-list narrowed since) is recorded here and never sent.
            await deps.audit.append(
                AuditRecord.new(now, "notification", (), "sms_number_refused", subject=f"case:{case_id}")
            )
            refused += 1
            continue
        text = render(kind, facts, relative.language, contact)
        message = relative.message(
            mid, kind, text, case_id=case_id, team_id=case.team_id, topic=topic, now=now, release=release
        )
        if await create_message(deps, message):
            queued += 1
            if topic is not None:
                await _supersede(deps, message)
    if refused:
        log.warning("numbers off the SMS allow-list: not sent", case_id=case_id, kind=kind.value, count=refused)
    if queued:
        log.info(
            "messages to relatives queued", case_id=case_id, kind=kind.value, count=queued, held=release is not None
        )
        deps.nudge()
    return queued


async def create_message(deps: NotificationDeps, message: Message) -> bool:
    """Record the intent (an insert of its deterministic id); False when this message exists already."""
    try:
        await deps.messages.save(message.message_id, 0, message, [])
    except ConcurrencyConflict:
        return False
    return True


async def _supersede(deps: NotificationDeps, newer: Message) -> None:
    assert newer.case_id is not None
    for older in await deps.message_queries.queued_for_case(newer.case_id):
        if (
            older.message_id != newer.message_id
            and older.topic == newer.topic
            and older.recipient_id == newer.recipient_id
            and older.created_at <= newer.created_at
        ):
            now = deps.clock.now()

            def change(m: Message, now: datetime = now) -> tuple[None, list[object] | None]:
                return None, m.cancel(CancelReason.SUPERSEDED, now)

            await update_aggregate(deps.messages, older.message_id, change)


def local_day(deps: NotificationDeps, moment: datetime) -> date:
    return moment.astimezone(deps.policy.timezone).date()


def local_time(deps: NotificationDeps, moment: datetime) -> datetime:
    return moment.astimezone(deps.policy.timezone)
