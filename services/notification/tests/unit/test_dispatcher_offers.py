"""The dispatcher takes a message this process queued and that is due without a due query.

One due query is two finds; it ran once per message when each queued message woke the
dispatcher. An offered message is claimed against the version its insert wrote, with the same
compare-and-set as a queried one: sent once, also when the poll's query returned it too, and a
message withdrawn before the dispatcher got to it is not sent.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

from notification_support import BO, FakeProvider, Harness, with_rota

from notification.domain.casefile import Relative
from notification.domain.contacts import Language
from notification.domain.message import CancelReason, MessageState
from notification.domain.templates import AlertTopic
from notification.entrypoints import loops
from notification.entrypoints.loops import Dispatcher
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch_due

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KARIN = Relative("r-karin", "+46701112233", Language.SV)


class CountingQueries:
    """The message queries, counting due queries."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.due_queries = 0

    async def due_messages(self, now: Any, limit: int) -> Any:
        self.due_queries += 1
        return await self._inner.due_messages(now, limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def decide(h: Harness) -> str:
    case_id = str(uuid.uuid4())
    decision = rel.GrantedDecision(
        case_id, "p", "d_" + case_id[:8], True, "Team Väst", date(2026, 11, 25), [KARIN], "officer:a", T0, "e1"
    )
    await rel.record_decision(h.deps, decision)
    [message] = await h.deps.message_queries.for_case(case_id, 1)
    return str(message.message_id)


def harness() -> tuple[Harness, CountingQueries, Dispatcher]:
    h = Harness.create(now=T0, provider=FakeProvider())
    queries = CountingQueries(h.deps.message_queries)
    h.deps.message_queries = queries
    return h, queries, Dispatcher(h.deps, poll_seconds=3600)


async def until(done: Any) -> None:
    for _ in range(300):
        await asyncio.sleep(0.01)
        if done():
            return
    raise AssertionError("the dispatcher did not get there")


async def test_a_message_queued_and_due_is_sent_without_a_due_query() -> None:
    h, queries, dispatcher = harness()
    task = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: queries.due_queries == 1)  # the first round looks once
        mid = await decide(h)
        await until(lambda: len(h.provider.sent) == 1)
        assert [s.message_id for s in h.provider.sent] == [mid]
        assert queries.due_queries == 1  # none for the message: it was offered
    finally:
        task.cancel()
    stored = await h.deps.message_queries.get(mid)
    assert stored is not None
    assert stored.state is MessageState.ACCEPTED


async def test_an_offered_message_the_due_query_sent_first_goes_once() -> None:
    h, queries, dispatcher = harness()
    mid = await decide(h)  # offered (the dispatcher's loop not started yet) and due
    await dispatch_due(h.deps)  # another dispatcher's query round sends it first
    assert len(h.provider.sent) == 1
    task = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: queries.due_queries == 2)
        await asyncio.sleep(0.05)  # the offer is claimed (or dropped) meanwhile
    finally:
        task.cancel()
    assert [s.message_id for s in h.provider.sent] == [mid]


async def test_an_offered_message_withdrawn_before_its_claim_is_not_sent() -> None:
    h, queries, dispatcher = harness()
    mid = await decide(h)
    await rel.cancel_message(h.deps, mid, CancelReason.CONSENT_WITHDRAWN)
    task = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: queries.due_queries == 1)
        await asyncio.sleep(0.05)
    finally:
        task.cancel()
    assert h.provider.sent == []
    stored = await h.deps.message_queries.get(mid)
    assert stored is not None
    assert stored.state is MessageState.CANCELLED


async def test_offers_beyond_the_bound_are_left_to_the_poll(monkeypatch: Any) -> None:
    monkeypatch.setattr(loops, "MAX_OFFERED", 1)
    h, queries, dispatcher = harness()
    first, second = await decide(h), await decide(h)  # both offered; the second is not kept
    assert [m.state.message_id for m in dispatcher._offered] == [first]
    task = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: len(h.provider.sent) == 2)  # the first round's query finds both
    finally:
        task.cancel()
    assert sorted(s.message_id for s in h.provider.sent) == sorted([first, second])
    assert queries.due_queries == 1


async def test_an_on_call_alert_sms_is_offered_and_wakes_no_due_query() -> None:
    h, queries, dispatcher = harness()
    woken: list[None] = []
    h.deps.wake_dispatcher = lambda: woken.append(None)
    await with_rota(h, "default", BO)
    task = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: queries.due_queries == 1)  # the first round looks once
        woken.clear()
        assert await al.raise_alert(h.deps, "missed:v1", AlertTopic.VISIT_MISSED, al.AlertFacts(), team_id="t")
        await until(lambda: len(h.provider.sent) == 1)
        assert [s.to for s in h.provider.sent] == [BO.phone]
        assert queries.due_queries == 1  # offered as saved: no due query for it
        assert woken == []  # and nothing woke the dispatcher into one
    finally:
        task.cancel()
