"""On-call alerts: the liability alert once, escalation down the rota, acknowledgements."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from notification_support import ANNA, BO, T0, Harness, with_rota

from notification.domain.alert import (
    AckChannel,
    AlertAcknowledged,
    AlertError,
    AlertEscalated,
    AlertRaised,
)
from notification.domain.templates import AlertTopic
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch_due


async def ready(h: Harness, case_id: str, liability_in: timedelta) -> None:
    await rel.watch_liability(h.deps, case_id, "p1", h.clock.now(), h.clock.now() + liability_in)


async def test_a_ready_notice_without_a_decision_alerts_on_call_once_the_lead_time_is_reached() -> None:
    h = Harness.create(now=T0)
    await with_rota(h)
    case_id = str(uuid.uuid4())
    await ready(h, case_id, timedelta(hours=48))
    assert await al.fire_liability_watches(h.deps) == 0

    h.clock.advance(hours=24)  # the default lead time is 24 h
    assert await al.fire_liability_watches(h.deps) == 1
    assert await al.fire_liability_watches(h.deps) == 0
    await dispatch_due(h.deps)
    [sms] = h.provider.sent
    assert sms.to == ANNA.phone
    assert case_id[:8] in sms.text
    assert "betalningsansvar" in sms.text
    [raised] = h.events_of(AlertRaised)
    assert raised.topic is AlertTopic.LIABILITY_NO_DECISION
    assert raised.case_id == case_id


async def test_a_decision_before_the_alert_time_means_no_alert() -> None:
    h = Harness.create(now=T0)
    case_id = str(uuid.uuid4())
    await ready(h, case_id, timedelta(hours=30))
    await rel.record_decision(
        h.deps, rel.GrantedDecision(case_id, "p1", "d", True, None, None, [], "officer:a", T0, "e")
    )
    h.clock.advance(hours=10)
    assert await al.fire_liability_watches(h.deps) == 0
    assert h.events_of(AlertRaised) == []


async def test_two_replicas_and_a_restart_raise_the_liability_alert_exactly_once() -> None:
    first = Harness.create(now=T0)
    second = Harness.create(share_backend_with=first)
    await with_rota(first)
    case_id = str(uuid.uuid4())
    await ready(first, case_id, timedelta(hours=1))
    fired = await asyncio.gather(al.fire_liability_watches(first.deps), al.fire_liability_watches(second.deps))
    assert sum(fired) == 1
    restarted = Harness.create(share_backend_with=first)
    assert await al.fire_liability_watches(restarted.deps) == 0
    await dispatch_due(restarted.deps)
    assert len(first.events_of(AlertRaised)) == 1
    assert len(first.provider.sent) == 1


async def test_an_alert_raised_before_a_crash_gets_its_sms_from_the_sweep() -> None:
    h = Harness.create(now=T0)
    await with_rota(h)
    alert, events = al.Alert.raise_(
        "missed:v1",
        AlertTopic.VISIT_MISSED,
        al.AlertFacts(),
        now=T0,
        ack_code="ABCDEFGH",
        responders=(ANNA, BO),
        ack_timeout=timedelta(minutes=15),
    )
    await h.deps.alerts.save("missed:v1", 0, alert, events)  # saved; the process died before queuing the SMS
    assert await al.notify_pending_alerts(h.deps) == 1
    assert await al.notify_pending_alerts(h.deps) == 0
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone]


async def test_an_unacknowledged_alert_escalates_to_the_next_on_the_rota_and_stops_when_acknowledged() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "team-vast")
    assert await al.raise_alert(
        h.deps, "missed:v1", AlertTopic.VISIT_MISSED, al.AlertFacts(case_ref="c1"), team_id="team-vast"
    )
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone]

    h.clock.advance(minutes=14)
    assert await al.escalate_due(h.deps) == 0
    h.clock.advance(minutes=1)
    assert await al.escalate_due(h.deps) == 1
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone, BO.phone]
    assert "(eskalerat)" in h.provider.sent[1].text

    await al.acknowledge(h.deps, "missed:v1", "oncall:bo", AckChannel.API)
    h.clock.advance(hours=1)
    assert await al.escalate_due(h.deps) == 0
    with pytest.raises(AlertError):
        await al.acknowledge(h.deps, "missed:v1", "oncall:anna", AckChannel.API)
    [escalated] = h.events_of(AlertEscalated)
    assert escalated.level == 1
    [acked] = h.events_of(AlertAcknowledged)
    assert acked.by == "oncall:bo"
    assert acked.channel is AckChannel.API


async def test_a_reply_with_the_code_from_a_responders_phone_acknowledges_the_alert() -> None:
    h = Harness.create(now=T0)
    await with_rota(h)
    await al.raise_alert(h.deps, "missed:v2", AlertTopic.VISIT_MISSED, al.AlertFacts())
    code = (await h.deps.alerts.load("missed:v2")).state.ack_code
    assert await al.acknowledge_by_reply(h.deps, BO.phone, f"ok {code}") is None  # Bo was not told yet
    acked = await al.acknowledge_by_reply(h.deps, ANNA.phone, f"Ok {code.lower()} jag tar det")
    assert acked is not None
    assert acked.acknowledged_by == "oncall:anna"
    assert acked.channel is AckChannel.REPLY


async def test_an_alert_with_nobody_on_call_is_raised_and_kept_open_for_the_console() -> None:
    h = Harness.create(now=T0)
    assert await al.raise_alert(
        h.deps, "capacity:t:c", AlertTopic.TEAM_AT_CAPACITY, al.AlertFacts(waiting=3), team_id="t"
    )
    await dispatch_due(h.deps)
    assert h.provider.sent == []
    [raised] = h.events_of(AlertRaised)
    assert raised.responders == 0


async def test_a_readmission_during_a_running_period_alerts_once() -> None:
    h = Harness.create(now=T0)
    await with_rota(h)
    earlier = str(uuid.uuid4())
    await rel.record_period(h.deps, earlier, "p-same", "per-1", "team-vast")
    assert await al.readmission_noticed(h.deps, str(uuid.uuid4()), "p-same", earlier) == 1
    assert await al.readmission_noticed(h.deps, str(uuid.uuid4()), "p-same", None) == 0  # the same period
    assert await al.readmission_noticed(h.deps, str(uuid.uuid4()), "p-other", None) == 0
