"""Fewer database round trips per SMS, the same behaviour: each shortcut is checked against the case it skips.

- the consumer guard reads a numbered event's handled-record only when its position says
  "handled or older": a redelivered event still queues nothing and sends nothing twice;
- the dispatcher claims the message as the due query read it and records the outcome against
  the version its claim wrote: a copy that is stale by then never overwrites the newer state;
- the daily cap takes a slot without looking first on a first attempt, never a second slot
  for a message on a retry;
- a visit message reads the case and the team's contact once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faststream.kafka import TestKafkaBroker
from notification_support import (
    FakeProvider,
    Harness,
    MemoryGuard,
    contacts,
    granted,
    make_settings,
    publish,
    record,
)

from notification.bootstrap import bootstrap
from notification.domain.casefile import Relative
from notification.domain.contacts import DayHours, Language, TeamContact
from notification.domain.message import DeliveryStatus, MessageState
from notification.domain.templates import MeetingPlace
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.delivery import apply_report
from notification.service_layer.dispatch import dispatch, dispatch_due
from notification.service_layer.ports import Accepted, DeliveryReport, OutgoingSms, SendOutcome, Unavailable
from trygg_shared.contracts import referral as r
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, REFERRAL_RELATIVE_CONTACTS

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PHONE = "+46701112233"
KARIN = Relative("r-karin", PHONE, Language.SV)


@dataclass
class CountingGuard(MemoryGuard):
    """The in-memory guard, counting reads of the handled-event records."""

    seen_calls: list[str] = field(default_factory=list)

    async def seen(self, event_id: str) -> bool:
        self.seen_calls.append(event_id)
        return await super().seen(event_id)


async def queue_one(h: Harness) -> str:
    case_id = str(uuid.uuid4())
    await rel.record_decision(
        h.deps,
        rel.GrantedDecision(
            case_id,
            "p",
            "d_" + case_id[:8],
            True,
            "Team Väst",
            date(2026, 11, 25),
            [KARIN],
            "officer:a",
            T0,
            str(uuid.uuid4()),
        ),
    )
    [message] = await h.deps.message_queries.for_case(case_id, 1)
    return str(message.message_id)


# --- the consumer guard -----------------------------------------------------------------------


async def test_a_numbered_event_is_recorded_by_its_position_alone_and_a_redelivery_sends_nothing_twice() -> None:
    guards: dict[str, CountingGuard] = {}
    h = Harness.create(now=T0)
    h.notification = bootstrap(
        h.settings,
        backend=h.notification.backend,
        provider=h.provider,
        clock=h.clock,
        guard_factory=lambda group: guards.setdefault(group, CountingGuard()),
    )
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    decision, listed = record(granted(case_id), sequence=1), record(contacts(case_id, "rel1"), sequence=2)
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, decision)
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, listed)
        await dispatch_due(h.deps)
        # Redelivered (a crash before the offset commit): the positions say they were handled.
        await publish(broker, REFERRAL_CASE_EVENTS, decision)
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, listed)
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1
    assert len(await h.deps.message_queries.for_case(case_id, 10)) == 1
    # The positions decide, first delivery and repeat alike: no handled-record read or written.
    for group in ("notification", "notification.contacts"):
        assert guards[group].seen_calls == []
        assert guards[group].ids == set()
    assert guards["notification"].positions == {(f"{REFERRAL_CASE_EVENTS}|urn:test", case_id): 1}


# --- the dispatcher's claim and outcome -------------------------------------------------------


async def test_a_due_copy_that_is_stale_by_the_time_it_is_claimed_never_sends_a_second_sms() -> None:
    h = Harness.create(now=T0, settings=make_settings(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    mid = await queue_one(h)
    [stale] = await h.deps.message_queries.due_messages(h.clock.now(), 10)
    assert (await dispatch(h.deps, mid, stale)).result == "sent"
    # The same copy again (another dispatcher's query read it before the first claim): re-read, not sent.
    assert (await dispatch(h.deps, mid, stale)).result == "skipped"
    assert len(h.provider.sent) == 1
    assert (await h.deps.message_queries.get(mid)).state is MessageState.ACCEPTED


async def test_a_due_copy_of_a_message_cancelled_since_is_not_sent() -> None:
    h = Harness.create(now=T0, settings=make_settings(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    mid = await queue_one(h)
    [stale] = await h.deps.message_queries.due_messages(h.clock.now(), 10)
    message = await h.deps.message_queries.get(mid)
    assert message.case_id is not None
    await rel.record_decision_end(h.deps, message.case_id, "p", deceased=True)  # cancels what is queued
    assert (await dispatch(h.deps, mid, stale)).result == "skipped"
    assert h.provider.sent == []
    assert (await h.deps.message_queries.get(mid)).state is MessageState.CANCELLED


@dataclass
class ReportsWhileSending(FakeProvider):
    """The provider's delivery report reaches us before the dispatcher has recorded the send."""

    h: Any = None

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        outcome = await super().send(sms)
        assert isinstance(outcome, Accepted)
        report = DeliveryReport(sms.message_id, outcome.provider_id, DeliveryStatus.DELIVERED)
        await apply_report(self.h.deps, report, self.name)
        return outcome


async def test_an_outcome_written_after_an_early_delivery_report_keeps_the_report() -> None:
    provider = ReportsWhileSending()
    h = Harness.create(
        now=T0, provider=provider, settings=make_settings(quiet_hours_start="00:00", quiet_hours_end="00:00")
    )
    provider.h = h
    mid = await queue_one(h)
    [outcome] = await dispatch_due(h.deps)
    assert outcome.result == "sent"
    message = await h.deps.message_queries.get(mid)
    assert message.state is MessageState.DELIVERED  # the claim's version was stale: applied to the stored one
    assert len(provider.sent) == 1


# --- the daily cap ----------------------------------------------------------------------------


async def test_a_retried_message_keeps_its_one_cap_slot_and_the_cap_still_holds() -> None:
    provider = FakeProvider(script=[Unavailable("http_503", ambiguous=False)])
    settings = make_settings(
        quiet_hours_start="00:00", quiet_hours_end="00:00", relative_daily_cap=1, retry_backoff_seconds=1
    )
    h = Harness.create(now=T0, provider=provider, settings=settings)
    mid = await queue_one(h)
    assert (await dispatch(h.deps, mid)).result == "retry"  # attempt 1 took the day's only slot
    h.clock.advance(seconds=2)
    # Attempt 2 finds its own slot (the memory cap refuses a "first attempt" that holds one).
    assert (await dispatch(h.deps, mid)).result == "sent"
    other = await queue_one(h)  # another decision, the same relative, the same day
    assert (await dispatch(h.deps, other)).result == "cancelled"
    assert len(provider.sent) == 1


# --- visits: the case and the team's contact read once ----------------------------------------


async def test_the_handover_message_reads_the_case_and_the_team_once() -> None:
    h = Harness.create(now=T0, settings=make_settings(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    team = TeamContact("team-vast", "Team Väst", "+46855512345", (DayHours(0, T0.time(), T0.time()),), "+46855599999")
    await h.deps.teams.put(team, 1)
    case_id = str(uuid.uuid4())
    await rel.record_decision(
        h.deps,
        rel.GrantedDecision(
            case_id, "p", "d1", True, "Team Väst", date(2026, 11, 25), [KARIN], "officer:a", T0, str(uuid.uuid4())
        ),
    )
    reads = {"cases": 0, "teams": 0}
    load, get = h.deps.cases.load, h.deps.teams.get

    async def counted_load(aggregate_id: str) -> Any:
        reads["cases"] += 1
        return await load(aggregate_id)

    async def counted_get(team_id: str) -> Any:
        reads["teams"] += 1
        return await get(team_id)

    h.deps.cases.load, h.deps.teams.get = counted_load, counted_get
    assert await vis.handed_over(h.deps, case_id, "p", "per1", "team-vast", T0) == 1
    assert reads == {"cases": 1, "teams": 1}
    await dispatch_due(h.deps)  # the start went: the homecoming time is a text of its own
    reads.update(cases=0, teams=0)
    planned = vis.VisitPlanned(
        case_id,
        "p",
        "per1",
        "team-vast",
        "v1",
        vis.VisitType.HOMECOMING,
        T0 + timedelta(days=1),
        MeetingPlace.HOME,
        moved=False,
    )
    assert await vis.visit_planned(h.deps, planned) == 1
    assert reads == {"cases": 1, "teams": 1}
    await dispatch_due(h.deps)
    texts = h.provider.texts_to(PHONE)
    assert len(texts) == 3  # service started, handover, homecoming
    assert sum("+46855599999" in t for t in texts) == 1  # the hemtjänst unit's number, in the handover SMS
    assert sum("+46855512345" in t for t in texts) == 3  # the team's own line in each


# --- the decision of a new case -----------------------------------------------------------------


def with_karin(case_id: str) -> Any:
    """A decision carrying its consented relative (as decisions before the relative-contacts topic did)."""
    karin = r.Relative(relative_id="r-karin", name="Karin", phone=PHONE, language=r.Language.SV, consent=True)
    return granted(case_id).model_copy(update={"relatives": (karin,)})


async def test_a_decision_that_creates_its_case_reads_neither_the_cases_messages_nor_its_alerts() -> None:
    h = Harness.create(now=T0)
    reads: list[str] = []
    messages, alerts = h.deps.message_queries, h.deps.alert_queries
    for_case, open_for_case = messages.for_case, alerts.open_for_case

    async def counted_for_case(case_id: str, limit: int) -> Any:
        reads.append("messages")
        return await for_case(case_id, limit)

    async def counted_open_for_case(case_id: str, topic: Any) -> Any:
        reads.append("alerts")
        return await open_for_case(case_id, topic)

    messages.for_case = counted_for_case  # type: ignore[method-assign]
    alerts.open_for_case = counted_open_for_case  # type: ignore[method-assign]
    broker = h.notification.runtime.infra.broker
    new_case, watched_case = str(uuid.uuid4()), str(uuid.uuid4())
    await rel.watch_liability(h.deps, watched_case, "p_1", T0, T0 + timedelta(hours=30))
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(with_karin(new_case)))
        assert reads == []  # a new case: no message and no alert can be stored for it yet
        assert len(await for_case(new_case, 10)) == 1
        # Delivered again (its offset not committed): the case exists now, its messages are read.
        await publish(broker, REFERRAL_CASE_EVENTS, record(with_karin(new_case)))
        assert reads == ["messages"]
        # A case with a liability watch: its liability alerts are looked for (and closed).
        await publish(broker, REFERRAL_CASE_EVENTS, record(with_karin(watched_case)))
        assert reads == ["messages", "messages", "alerts"]
    await dispatch_due(h.deps)
    assert h.provider.texts_to(PHONE)  # the new case's relative was told, once
    assert len(await for_case(new_case, 10)) == 1
