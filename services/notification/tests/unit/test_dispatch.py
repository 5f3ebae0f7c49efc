"""Sending: retries with backoff, no retry on 4xx, final failure, and the crash between send and record."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from notification_support import Crash, FakeProvider, Harness, make_settings

from notification.domain.casefile import Relative
from notification.domain.contacts import Language
from notification.domain.message import MessageAccepted, MessageFailed, MessageState
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch, dispatch_due
from notification.service_layer.ports import Rejected, Unavailable

KARIN = Relative("r-karin", "+46701112233", Language.SV)
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


async def queue_one(h: Harness) -> str:
    case_id = str(uuid.uuid4())
    await rel.record_decision(
        h.deps,
        rel.GrantedDecision(
            case_id, "p", "d1", True, "Team Väst", date(2026, 11, 25), [KARIN], "officer:a", NOON, str(uuid.uuid4())
        ),
    )
    [message] = await h.deps.message_queries.for_case(case_id, 1)
    return message.message_id


async def test_timeouts_and_server_errors_are_retried_with_growing_backoff_until_sent() -> None:
    provider = FakeProvider(script=[Unavailable("http_503", ambiguous=False), Unavailable("http_502", ambiguous=False)])
    h = Harness.create(now=NOON, provider=provider, settings=make_settings(retry_backoff_seconds=5))
    mid = await queue_one(h)

    assert (await dispatch(h.deps, mid)).result == "retry"
    m = await h.deps.message_queries.get(mid)
    assert m.state is MessageState.QUEUED
    assert m.not_before == NOON + timedelta(seconds=5)
    assert await dispatch_due(h.deps) == []  # not due yet

    h.clock.advance(seconds=5)
    assert (await dispatch(h.deps, mid)).result == "retry"
    assert (await h.deps.message_queries.get(mid)).not_before == h.clock.now() + timedelta(seconds=10)

    h.clock.advance(seconds=10)
    assert (await dispatch(h.deps, mid)).result == "sent"
    assert len(provider.sent) == 1
    [accepted] = h.events_of(MessageAccepted)
    assert accepted.attempts == 3


async def test_a_timeout_after_the_request_went_out_is_looked_up_before_sending_again() -> None:
    provider = FakeProvider(script=[Unavailable("ReadTimeout", ambiguous=True)])
    h = Harness.create(now=NOON, provider=provider)
    mid = await queue_one(h)
    await dispatch(h.deps, mid)
    h.clock.advance(seconds=5)
    await dispatch(h.deps, mid)
    assert provider.lookups == 1  # nothing found (the fake did not take it): sent once
    assert len(provider.sent) == 1


async def test_a_client_error_is_not_retried_and_the_final_failure_is_an_event() -> None:
    provider = FakeProvider(script=[Rejected("http_400")])
    h = Harness.create(now=NOON, provider=provider)
    mid = await queue_one(h)
    assert (await dispatch(h.deps, mid)).result == "failed"
    h.clock.advance(hours=1)
    assert await dispatch_due(h.deps) == []
    [failed] = h.events_of(MessageFailed)
    assert failed.reason == "rejected:http_400"
    assert failed.attempts == 1
    assert failed.ref.case_id is not None


async def test_retries_end_in_a_failure_event_after_the_last_attempt() -> None:
    provider = FakeProvider(script=[Unavailable("http_500", ambiguous=False)] * 3)
    h = Harness.create(now=NOON, provider=provider, settings=make_settings(max_send_attempts=3))
    mid = await queue_one(h)
    for _ in range(3):
        await dispatch(h.deps, mid)
        h.clock.advance(minutes=10)
    [failed] = h.events_of(MessageFailed)
    assert failed.reason == "gave_up_after_3_attempts:http_500"
    assert provider.sent == []


async def test_a_crash_after_the_provider_took_the_message_sends_nothing_more_after_the_restart() -> None:
    provider = FakeProvider(script=[Crash])
    h = Harness.create(now=NOON, provider=provider)
    mid = await queue_one(h)
    with pytest.raises(Crash):
        await dispatch(h.deps, mid)  # the provider has it; the process "dies" before recording it
    assert (await h.deps.message_queries.get(mid)).state is MessageState.SENDING

    restarted = Harness.create(share_backend_with=h)  # a new process on the same database
    assert await dispatch_due(restarted.deps) == []  # the claim has not lapsed yet
    h.clock.advance(seconds=61)
    [outcome] = await dispatch_due(restarted.deps)
    assert outcome.result == "reconciled"
    assert len(provider.sent) == 1
    m = await h.deps.message_queries.get(mid)
    assert m.state is MessageState.ACCEPTED
    assert m.provider_id == "fake_found_0"
    assert len(h.events_of(MessageAccepted)) == 1


async def test_a_crash_before_the_provider_got_the_message_sends_it_once_after_the_restart() -> None:
    provider = FakeProvider()
    h = Harness.create(now=NOON, provider=provider)
    mid = await queue_one(h)

    def claim(m):  # type: ignore[no-untyped-def]
        return None, [] if m.claim(NOON, "dead-dispatcher", timedelta(seconds=60)) else None

    from trygg_shared.aggregate import update_aggregate

    await update_aggregate(h.deps.messages, mid, claim)  # claimed, then the process died
    h.clock.advance(seconds=61)
    await dispatch_due(Harness.create(share_backend_with=h).deps)
    assert len(provider.sent) == 1
    assert provider.lookups == 1


async def test_without_a_provider_lookup_an_interrupted_send_is_failed_not_repeated() -> None:
    provider = FakeProvider(script=[Crash], supports_lookup=False)
    h = Harness.create(now=NOON, provider=provider)
    mid = await queue_one(h)
    with pytest.raises(Crash):
        await dispatch(h.deps, mid)
    h.clock.advance(seconds=61)
    await dispatch_due(h.deps)
    assert len(provider.sent) == 1
    [failed] = h.events_of(MessageFailed)
    assert failed.reason == "outcome_unknown"


async def test_two_dispatchers_at_once_send_a_message_once() -> None:
    import asyncio

    provider = FakeProvider()
    h = Harness.create(now=NOON, provider=provider)
    other = Harness.create(share_backend_with=h)
    await queue_one(h)
    await asyncio.gather(dispatch_due(h.deps), dispatch_due(other.deps))
    assert len(provider.sent) == 1
