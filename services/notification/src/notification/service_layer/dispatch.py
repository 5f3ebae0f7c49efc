"""Sending: claim a due message, check it may still go, reconcile, count it, send, record the outcome.

The guarantee (see the README): at most one SMS per message id in every case the provider can
be asked about, and exactly one once it is delivered. The intent is recorded before anything is
sent; the claim is one conditional write (the aggregate's version), so two dispatchers never
send the same message at the same time; a message whose claim lapsed (its dispatcher died
between sending and recording) is looked up at the provider before it is sent again.

Round trips: the due query returns the messages themselves, so the claim is written against
the version the query read (read again only when it changed since); the dispatcher keeps the
version its claim wrote and records the outcome against it (read again only when something,
e.g. an early delivery report, wrote the message in between). Every write is still a
compare-and-set on the version, so a stale copy can never overwrite a newer state.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from notification.domain.ids import recipient_day_key
from notification.domain.message import CancelReason, Message, MessageError, RecipientKind
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import (
    Accepted,
    Found,
    LookupFailed,
    NotFound,
    OutgoingSms,
    Rejected,
    Unavailable,
)
from trygg_shared.aggregate import (
    MAX_SAVE_ATTEMPTS,
    ConcurrencyConflict,
    Loaded,
    update_aggregate,
)
from trygg_shared.batch import Failures
from trygg_shared.logging import get_logger

log = get_logger(__name__)

# How far before the first claim the provider's log is searched when reconciling (clock skew).
LOOKUP_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class Outcome:
    message_id: str
    result: str  # sent, retry, failed, cancelled, skipped, reconciled; error, parked (see dispatch_many)

    @property
    def progressed(self) -> bool:
        """False for a message whose dispatch raised or that waits out its pause after that."""
        return self.result not in ("error", "parked")


async def dispatch_due(deps: NotificationDeps, *, limit: int = 50, concurrency: int = 1) -> list[Outcome]:
    """One round: every message due now (oldest first), up to `concurrency` of them in flight at once."""
    return await dispatch_many(deps, await deps.message_queries.due_messages(deps.clock.now(), limit), concurrency)


async def dispatch_many(
    deps: NotificationDeps, due: Sequence[str | Loaded[Message]], concurrency: int = 1
) -> list[Outcome]:
    """Dispatch each message (an id, or the message as a query read it).

    One message whose dispatch raises (a bug, a record that breaks a rule) never stops the
    others: it is reported (logged by its id and the error's type, counted in
    `trygg_batch_record_failures_total{batch="sms_dispatch"}`), its outcome is `error`, and it is
    parked (`deps.dispatch_backoff`: a pause that doubles) with outcome `parked` meanwhile. A store
    that is down stops the round.
    """
    failures, now, parked = Failures("sms_dispatch"), deps.clock.now(), deps.dispatch_backoff

    async def guarded(item: str | Loaded[Message]) -> Outcome:
        mid, read = (item, None) if isinstance(item, str) else (item.state.message_id, item)
        if parked.waiting(mid, now):
            return Outcome(mid, "parked")
        with parked.attempt(failures, mid, now):
            return await dispatch(deps, mid, read)
        return Outcome(mid, "error")

    if concurrency <= 1:
        return [await guarded(item) for item in due]
    gate = asyncio.Semaphore(concurrency)

    async def one(item: str | Loaded[Message]) -> Outcome:
        async with gate:
            return await guarded(item)

    return list(await asyncio.gather(*(one(item) for item in due)))


async def _claim(
    deps: NotificationDeps, mid: str, read: Loaded[Message] | None, now: datetime, token: str
) -> Loaded[Message] | None:
    """Move the message to `sending` for this dispatcher (one compare-and-set); None when it is not due.

    Returns the message as the claim wrote it: the outcome is written against that version.

    `read`: the message as the due query read it; written against that version, and read again
    only when it changed since (or no longer looks due).
    """
    for _ in range(MAX_SAVE_ATTEMPTS):
        fresh = read is None
        loaded = read if read is not None else await deps.messages.load(mid)
        read = None
        if loaded is None:
            return None
        state = loaded.state
        if not state.claim(now, token, deps.policy.claim_lease):
            if fresh:
                return None  # another dispatcher has it, or it is no longer due
            continue  # the query's copy is older than the message: decide on the stored one
        try:
            saved = await deps.messages.save(mid, loaded.version, state, [], last_sequence=loaded.last_sequence)
        except ConcurrencyConflict:
            continue
        return Loaded(state, saved.version, loaded.last_sequence)
    raise ConcurrencyConflict(f"{mid} kept changing; gave up after {MAX_SAVE_ATTEMPTS} tries")


async def dispatch(deps: NotificationDeps, mid: str, read: Loaded[Message] | None = None) -> Outcome:
    token = uuid.uuid4().hex
    now = deps.clock.now()
    held = await _claim(deps, mid, read, now, token)
    if held is None:
        return Outcome(mid, "skipped")  # another dispatcher has it, or it is no longer due
    # Until the outcome is saved, a delivery report in this process waits for it (`delivery`).
    in_flight = deps.in_flight[mid] = asyncio.Event()
    try:
        return await _dispatch_held(deps, mid, held)
    finally:
        in_flight.set()
        if deps.in_flight.get(mid) is in_flight:
            del deps.in_flight[mid]


async def _dispatch_held(deps: NotificationDeps, mid: str, held: Loaded[Message]) -> Outcome:
    """Check, reconcile, count and send a message this dispatcher claimed; record the outcome."""
    message = held.state
    attempt = message.attempts
    # The claim decides alone which dispatcher sends this attempt: its save claims the version it
    # writes by a unique insert (`trygg_shared.mongo.compare_and_set`), so of two dispatchers
    # that read the same version exactly one saves; the other gets a conflict, reads the message
    # `sending` under a live lease and skips. (A separate send claim per attempt was one insert
    # more per SMS for what the version claim already decides.)

    refusal = await _refusal(deps, message)
    if refusal is not None:
        await _record(deps, mid, held, lambda m: m.cancel(refusal, deps.clock.now(), attempt=attempt))
        log.info("message withheld before sending", message_id=mid, reason=refusal.value)
        return Outcome(mid, "cancelled")

    sms = OutgoingSms(message_id=mid, to=message.to, sender=deps.policy.sender, text=message.text)
    if message.reconcile:
        settled = await _reconcile(deps, mid, held, sms)
        if settled is not None:
            return settled
    refused = await _over_cap(deps, mid, held)
    if refused is not None:
        return refused
    return await _send(deps, mid, held, sms)


async def _reconcile(deps: NotificationDeps, mid: str, held: Loaded[Message], sms: OutgoingSms) -> Outcome | None:
    """An interrupted send: find it at the provider, or decide not to send again (None: send it)."""
    message, attempt = held.state, held.state.attempts
    provider = deps.provider
    if provider.supports_lookup:
        assert message.first_claimed_at is not None
        found = await provider.lookup(sms, message.first_claimed_at - LOOKUP_MARGIN)
        if isinstance(found, Found):
            await _record(
                deps,
                mid,
                held,
                lambda m: m.accepted(attempt, provider.name, found.provider_id, found.status, deps.clock.now()),
            )
            log.info("message found at the provider after an interrupted send; not sent again", message_id=mid)
            return Outcome(mid, "reconciled")
        if isinstance(found, LookupFailed):
            await _record(
                deps,
                mid,
                held,
                lambda m: m.retry_later(
                    attempt,
                    "lookup_failed",
                    deps.clock.now(),
                    deps.policy.backoff(m.attempts),
                    max_attempts=deps.policy.max_attempts,
                    ambiguous=True,
                    provider=provider.name,
                ),
            )
            return Outcome(mid, "retry")
        assert isinstance(found, NotFound)
    elif not deps.policy.resend_when_unknown:
        await _record(deps, mid, held, lambda m: m.fail(attempt, "outcome_unknown", provider.name, deps.clock.now()))
        log.warning("interrupted send cannot be reconciled with this provider; not sent again", message_id=mid)
        return Outcome(mid, "failed")
    return None


async def _over_cap(deps: NotificationDeps, mid: str, held: Loaded[Message]) -> Outcome | None:
    """The recipient's daily cap: cancelled when reached (None: room for this one)."""
    message, attempt = held.state, held.state.attempts
    cap = deps.policy.oncall_daily_cap if message.recipient is RecipientKind.ONCALL else deps.policy.relative_daily_cap
    day = deps.clock.now().astimezone(deps.policy.timezone).date().isoformat()
    # A first attempt cannot hold a slot yet (only the winner of its send claim reserves).
    if not await deps.cap.reserve(recipient_day_key(message.to, day), mid, cap, first_attempt=attempt == 1):
        await _record(deps, mid, held, lambda m: m.cancel(CancelReason.DAILY_CAP, deps.clock.now(), attempt=attempt))
        log.warning("daily cap of a recipient reached; message not sent", message_id=mid, cap=cap)
        return Outcome(mid, "cancelled")
    return None


async def _send(deps: NotificationDeps, mid: str, held: Loaded[Message], sms: OutgoingSms) -> Outcome:
    """Send through the provider and record what it said."""
    attempt = held.state.attempts
    provider = deps.provider
    outcome = await provider.send(sms)
    if isinstance(outcome, Accepted):
        await _record(
            deps,
            mid,
            held,
            lambda m: m.accepted(attempt, provider.name, outcome.provider_id, outcome.status, deps.clock.now()),
        )
        log.info("message sent", message_id=mid, provider=provider.name, status=outcome.status.value)
        deps.on_sms(provider.name, "sent")
        return Outcome(mid, "sent")
    if isinstance(outcome, Rejected):
        await _record(
            deps, mid, held, lambda m: m.fail(attempt, f"rejected:{outcome.reason}", provider.name, deps.clock.now())
        )
        log.warning("provider rejected a message; not retried", message_id=mid, reason=outcome.reason)
        deps.on_sms(provider.name, "failed")
        return Outcome(mid, "failed")
    assert isinstance(outcome, Unavailable)
    events = await _record(
        deps,
        mid,
        held,
        lambda m: m.retry_later(
            attempt,
            outcome.reason,
            deps.clock.now(),
            deps.policy.backoff(m.attempts),
            max_attempts=deps.policy.max_attempts,
            ambiguous=outcome.ambiguous,
            provider=provider.name,
        ),
    )
    if events:
        log.warning("message finally failed", message_id=mid, reason=outcome.reason)
        deps.on_sms(provider.name, "failed")
        return Outcome(mid, "failed")
    log.info("provider unavailable; message will be retried", message_id=mid, reason=outcome.reason)
    return Outcome(mid, "retry")


async def _refusal(deps: NotificationDeps, message: Message) -> CancelReason | None:
    """Why this message must not go now (consent withdrawn, case closed), checked right before sending."""
    if message.recipient is not RecipientKind.RELATIVE:
        return None
    if message.case_id is None:
        return CancelReason.CONSENT_WITHDRAWN
    loaded = await deps.cases.load(message.case_id)
    if loaded is None:
        return CancelReason.CONSENT_WITHDRAWN
    case = loaded.state
    if case.closed is not None:
        return CancelReason.CASE_CLOSED
    relative = case.may_message(message.recipient_id)
    if relative is None or relative.phone != message.to:
        return CancelReason.CONSENT_WITHDRAWN
    return None


async def _record(deps: NotificationDeps, mid: str, held: Loaded[Message], transition: object) -> list[object]:
    """Apply one transition of a claimed message; a lost claim (lease lapsed, taken over) is logged.

    Written against the version this dispatcher's claim wrote; when the message changed since
    (a delivery report that came first, a take-over), the transition is applied to the stored
    message instead, as if nothing had been held.
    """

    def change(m: Message) -> tuple[list[object], list[object]]:
        assert callable(transition)
        result: list[object] = list(transition(m) or [])
        return result, result

    first = Loaded(copy.deepcopy(held.state), held.version, held.last_sequence)  # `change` mutates it
    try:
        return await update_aggregate(deps.messages, mid, change, first=first)
    except MessageError:
        log.warning("claim on a message lost before its outcome was recorded", message_id=mid)
        return []
