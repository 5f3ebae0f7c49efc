"""Telling relatives: the schedule's texts (`domain.schedule`) queued, what no longer stands withdrawn.

`tell(case)` is called whenever something relatives may hear of changed (the decision, the
relatives' list, a visit scheduled, moved or cancelled, the handover, the end), in whichever order
those arrive. It reads the case's messages once, asks the schedule which texts each relative is to
have now, queues those that do not exist yet (one message per cause and relative: an insert of a
deterministic id, so a repeated event or two replicas queue it once) and withdraws a text still
waiting on one of the case's topics that the schedule no longer wants (a visit moved or moved
back before its text went, a start text replaced by one with the homecoming time).

A text to be sent later (a reminder the day before a meeting, the start text's short wait) is a
queued message whose `not_before` is that moment: the dispatcher is its timer. It survives
restarts (it is a document), goes once however many replicas run (the claim of each attempt is
a unique insert), and is withdrawn or moved like any waiting message.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date, datetime

from notification.domain.casefile import CaseFile, Relative, Timing
from notification.domain.contacts import TeamContact
from notification.domain.ids import message_id
from notification.domain.message import CancelReason, Message, MessageState, RecipientKind
from notification.domain.schedule import Decision, Said, Text, schedule, start_topic, topics_of
from notification.domain.templates import Facts, MessageKind, render
from notification.service_layer.deps import NotificationDeps
from trygg_shared.aggregate import ConcurrencyConflict, Loaded, update_aggregate
from trygg_shared.audit import AuditRecord
from trygg_shared.logging import get_logger

log = get_logger(__name__)

# Far more than one case's messages (relatives x texts, on-call SMS): all of them are read.
_CASE_MESSAGES = 2000


async def tell(deps: NotificationDeps, case: CaseFile, *, new: bool = False) -> int:
    """Queue every text the case's relatives are to have now and withdraw what no longer stands;
    returns how many texts were queued now (0 when nothing changed).

    `new`: the case was created by the save just made, so it has no messages yet (a relative's
    message is queued only after its case is saved, and cases are never deleted): not read."""
    if case.closed is not None or not case.trygg_hemgang or not case.relatives or case.decision_id is None:
        return 0
    now = deps.clock.now()
    decided_at = case.decided_at or now
    read_at = case.decision_read_at or decided_at
    decision = Decision(case.decision_id, first_day(deps, case.start_date, decided_at), read_at)
    notices = list(case.notices.values())
    topics = {start_topic(decision.decision_id), *(t for n in notices for t in topics_of(n))}
    by_relative: dict[str, list[Message]] = defaultdict(list)
    for m in [] if new else await deps.message_queries.for_case(case.case_id, _CASE_MESSAGES):
        if m.recipient is RecipientKind.RELATIVE:
            by_relative[m.recipient_id].append(m)
    contact: TeamContact | None = None
    queued = refused = withdrawn = 0
    for relative in case.relatives.values():
        if deps.policy.sms_numbers.refusal(relative.phone) is not None:
            # Defence in depth: referral checks the number when consent is recorded; one that got
            # past it (or an allow-list narrowed since) is recorded here and never sent.
            await deps.audit.append(
                AuditRecord.new(now, "notification", (), "sms_number_refused", subject=f"case:{case.case_id}")
            )
            refused += 1
            continue
        mine = {m.message_id: m for m in by_relative[relative.relative_id]}
        wanted: set[str] = set()
        said = [_said(m) for m in mine.values() if m.topic]
        for text in schedule(decision, notices, said, now, deps.policy.schedule):
            mid = _fresh_id(text.cause, relative.relative_id, mine)
            wanted.add(mid)
            if mid in mine:
                continue
            contact = contact or await contact_for(deps, case)
            if await create_message(deps, _message(deps, case, relative, text, mid, contact, now)):
                queued += 1
        for m in mine.values():
            if m.state is MessageState.QUEUED and m.topic in topics and m.message_id not in wanted:
                withdrawn += await cancel_message(deps, m.message_id, CancelReason.SUPERSEDED)
    if refused:
        log.warning("numbers off the SMS allow-list: not sent", case_id=case.case_id, count=refused)
    if queued or withdrawn:
        log.info("relatives' texts queued", case_id=case.case_id, count=queued, withdrawn=withdrawn)
    if withdrawn:
        deps.nudge()  # (a text queued now and due was handed to the dispatcher by `create_message`)
    return queued


def _said(m: Message) -> Said:
    went = m.state not in (MessageState.QUEUED, MessageState.CANCELLED)
    return Said(m.message_id, m.topic or "", m.announces, m.created_at, went, m.state is MessageState.QUEUED)


def _fresh_id(cause: str, relative_id: str, mine: dict[str, Message]) -> str:
    """The message id of a cause; when that message was replaced before it went (a visit moved,
    then moved back), the cause told again is a message of its own."""
    mid, n = message_id(cause, relative_id), 0
    while (m := mine.get(mid)) is not None and m.failure_reason == CancelReason.SUPERSEDED.value:
        n += 1
        mid = message_id(f"{cause}#{n}", relative_id)
    return mid


def _message(
    deps: NotificationDeps,
    case: CaseFile,
    relative: Relative,
    text: Text,
    mid: str,
    contact: TeamContact,
    now: datetime,
) -> Message:
    at = local_time(deps, text.at) if text.at is not None else None
    call = (contact.hemtjanst_phone or deps.policy.hemtjanst_phone) if text.kind is MessageKind.HANDED_OVER else None
    facts = Facts(at=at, day=text.day, place=text.place, call_phone=call, new_time=text.new_time)
    send_at = text.send_at if text.send_at is not None and text.send_at > now else now
    release = deps.policy.quiet_hours.release_at(send_at, about=at.date() if at is not None else None)
    when = Timing(now, text.topic, release, send_at, text.at)
    return relative.message(mid, text.kind, render(text.kind, facts, relative.language, contact), case, when)


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


async def create_message(deps: NotificationDeps, message: Message) -> bool:
    """Record the intent (an insert of its deterministic id); False when this message exists already.

    A message due now goes to this process's dispatcher as the insert wrote it (`deps.offer`):
    its claim is written against that version without a due query (one due query is two finds).
    The claim is the same compare-and-set as for a message a query found, so a dispatcher of
    another replica that found it first wins and this one skips it. One due later (quiet hours,
    a reminder) is found by the dispatcher's poll when its time comes."""
    try:
        saved = await deps.messages.save(message.message_id, 0, message, [])
    except ConcurrencyConflict:
        return False
    if message.due(deps.clock.now()):
        deps.offer(Loaded(copy.deepcopy(message), saved.version, 0))
    return True


async def cancel_message(deps: NotificationDeps, mid: str, reason: CancelReason) -> int:
    """Cancel one message not yet sent; 1 when it was cancelled now, else 0."""
    now = deps.clock.now()
    return int(await update_aggregate(deps.messages, mid, lambda m: _cancelled(m, reason, now)))


def _cancelled(m: Message, reason: CancelReason, now: datetime) -> tuple[bool, list[object] | None]:
    events = m.cancel(reason, now)
    return events is not None, events


async def withdraw_topics(deps: NotificationDeps, case_id: str, topics: set[str]) -> int:
    """Withdraw the relatives' texts still waiting on these topics (a visit cancelled, the decision ended)."""
    withdrawn = 0
    for m in await deps.message_queries.queued_for_case(case_id):
        if m.recipient is RecipientKind.RELATIVE and m.topic in topics:
            withdrawn += await cancel_message(deps, m.message_id, CancelReason.SUPERSEDED)
    return withdrawn


def first_day(deps: NotificationDeps, start_date: date | None, decided_at: datetime) -> date:
    """The day relatives are told the service runs from: the decision's first day, not before the decision."""
    decided_on = local_time(deps, decided_at).date()
    return start_date if start_date is not None and start_date >= decided_on else decided_on


def local_time(deps: NotificationDeps, moment: datetime) -> datetime:
    return moment.astimezone(deps.policy.timezone)
