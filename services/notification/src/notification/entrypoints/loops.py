"""Background loops: the dispatcher and the timers (liability watches, escalations, pending alert SMS).

Every replica runs them. They never need a leader: a message is claimed, an alert raised and an
escalation made by one conditional single-document write each, so the replica that loses simply
finds nothing to do. Timers are persisted in the documents, never only in memory: the timer loop
sleeps until the earliest one is due (`trygg_shared.timers.DueTimeLoop`), is woken when this
process saves a new one, and looks again at least every `NOTIFICATION_TIMER_POLL_SECONDS` for
timers other replicas saved. The dispatcher polls, and takes a message this process queued and
that is due at once, as its insert wrote it (no due query: `Dispatcher.offer`); `wake()` (a
message withdrawn, an on-call SMS) makes it look at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from notification.domain.message import Message
from notification.service_layer import alerts as al
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.dispatch import Outcome, dispatch_many
from trygg_shared.aggregate import Loaded
from trygg_shared.telemetry import traced_work
from trygg_shared.timers import DueTimeLoop

# Offers waiting at most (an overload queues faster than it sends): more are left to the poll,
# which finds them in the database, so the waiting copies stay a few hundred kilobytes.
MAX_OFFERED = 500


class Dispatcher:
    """Sends due messages: those offered (`offer`, queued by this process and due now) at once,
    the others found by the due query every `poll_seconds` or at once after `wake()`. The query
    reads the current hour's bucket of due times, not every queued message (`due_hour`; the
    store's sweep at start-up and each new hour finds the rest: `adapters.mongo.MongoMessageQueries`).

    An offered message is claimed against the version its insert wrote, without a query (the
    query is two finds, once per message when each one woke the dispatcher). The claim is the
    same compare-and-set either way: a message another replica claimed first is skipped, one
    that changed since (withdrawn, say) is read again and decided on as stored; one the due
    query returned meanwhile is dropped from the offers (the query's copy went). Offers wait in
    memory only; a process that dies with some waiting leaves them queued in the database, where
    the next poll (of any replica) finds them.

    `wake()` asks for a due query now (it also sets the poll's clock back: the query just ran).
    """

    def __init__(self, deps: NotificationDeps, poll_seconds: float, *, batch: int = 50, concurrency: int = 8) -> None:
        self._deps = deps
        self._poll = poll_seconds
        self._batch = batch
        self._concurrency = concurrency
        self._event = asyncio.Event()
        self._offered: list[Loaded[Message]] = []
        self._look = True  # the first round queries
        deps.offer_message = self.offer

    def wake(self) -> None:
        self._look = True
        self._event.set()

    def offer(self, message: Loaded[Message]) -> None:
        if len(self._offered) < MAX_OFFERED:
            self._offered.append(message)
        self._event.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while True:
            self._event.clear()
            if self._look or loop.time() >= next_poll:
                self._look, next_poll = False, loop.time() + self._poll
                outcomes = await dispatch_due_traced(self._deps, self._batch, self._concurrency)
                if outcomes and self._offered:  # the query's copies went first: the offered ones are done
                    done = {o.message_id for o in outcomes}
                    self._offered = [m for m in self._offered if m.state.message_id not in done]
                if len(outcomes) >= self._batch and any(o.progressed for o in outcomes):
                    self._look = True  # more are waiting (a full batch of failing or parked ones waits for the poll)
                    continue
            if self._offered:
                offered, self._offered = self._offered[: self._batch], self._offered[self._batch :]
                await dispatch_offered(self._deps, offered, self._concurrency)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), max(next_poll - loop.time(), 0))


async def dispatch_offered(deps: NotificationDeps, offered: list[Loaded[Message]], concurrency: int) -> list[Outcome]:
    """One traced dispatch round of these messages (offered, or found by the due query)."""
    with traced_work("notification.dispatch", attributes={"messages": len(offered)}):
        return list(await dispatch_many(deps, offered, concurrency))


async def dispatch_due_traced(deps: NotificationDeps, batch: int, concurrency: int) -> list[Outcome]:
    due = await deps.message_queries.due_messages(deps.clock.now(), batch)
    return await dispatch_offered(deps, due, concurrency) if due else []


async def fire_due_timers(deps: NotificationDeps) -> None:
    """One round: due liability watches, due escalations, alert SMS still to queue, alerts to route."""
    if await deps.case_queries.due_watches(deps.clock.now()):
        with traced_work("notification.liability_watches"):
            await al.fire_liability_watches(deps)
    if await deps.alert_queries.escalation_due(deps.clock.now()):
        with traced_work("notification.escalations"):
            await al.escalate_due(deps)
    if await deps.alert_queries.notify_pending():
        with traced_work("notification.alert_sms"):
            await al.notify_pending_alerts(deps)
    # Alerts that reached nobody, once a rota has someone on call: traced only when one is routed
    # (while nobody is on call the look is idle polling, untraced like the rest of the loop).
    routable = await al.routable_alerts(deps)
    if routable:
        with traced_work("notification.route_alerts"):
            await al.route_unrouted(deps, routable)


async def next_timer_at(deps: NotificationDeps) -> datetime | None:
    """The earliest armed liability watch or open alert's escalation.

    A timer that failed and waits out its pause (`deps.timer_backoff`) counts at the end of its
    pause, not at its own (past) due time: the loop neither spins on it nor sleeps past the others.
    """
    now, backoff = deps.clock.now(), deps.timer_backoff
    parked = backoff.parked(now)
    watches = [ref.removeprefix("watch:") for ref in parked if ref.startswith("watch:")]
    escalations = [ref.removeprefix("escalate:") for ref in parked if ref.startswith("escalate:")]
    times = [
        t
        for t in (
            await deps.case_queries.next_watch_at(watches),
            await deps.alert_queries.next_escalation_at(escalations),
            backoff.next_try(now),
        )
        if t
    ]
    return min(times, default=None)


def timer_loop(deps: NotificationDeps, recheck_seconds: float) -> DueTimeLoop:
    """Sleeps until the earliest timer; woken when this process saves a timer (`deps.wake_timers`)."""
    loop = DueTimeLoop(
        lambda: fire_due_timers(deps),
        lambda: next_timer_at(deps),
        deps.clock.now,
        recheck_seconds=recheck_seconds,
    )
    deps.wake_timers = loop.wake
    return loop
