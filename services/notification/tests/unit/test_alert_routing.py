"""Alerts mean what they say: routed to the fallback rota, unrouted ones reported, the liability alert
closes itself when the decision comes, and the timer loop sleeps until the next due time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import TestKafkaBroker
from notification_support import ANNA, BO, T0, Harness, granted, make_settings, publish, record, with_rota

from notification.adapters.codec import AlertCodec
from notification.bootstrap import seed_dev_rota
from notification.domain.alert import (
    Alert,
    AlertEscalated,
    AlertRaised,
    AlertResolved,
    AlertState,
    Rota,
    Shift,
)
from notification.domain.templates import AlertTopic
from notification.entrypoints.loops import fire_due_timers
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer.dispatch import dispatch_due
from trygg_shared.contracts import referral as r
from trygg_shared.contracts import referral_ops as ro
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.http import Degraded
from trygg_shared.timers import DueTimeLoop


async def test_an_alert_for_a_team_with_nobody_on_call_goes_to_the_fallback_rota() -> None:
    h = Harness.create(now=T0)
    await h.deps.rotas.put(Rota("team-vast", ()))  # the team has a rota, but nobody on call now
    await with_rota(h, "default", BO)
    assert await al.raise_alert(h.deps, "missed:v1", AlertTopic.VISIT_MISSED, al.AlertFacts(), team_id="team-vast")
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [BO.phone]
    [raised] = h.events_of(AlertRaised)
    assert (raised.responders, raised.rota) == (1, "default")


async def test_an_alert_that_reaches_nobody_is_counted_reported_by_readiness_and_listed_as_unrouted() -> None:
    h = Harness.create(now=T0)
    on_call = h.notification.runtime.degraded_checks["oncall"]
    with pytest.raises(Degraded, match="nobody on call"):
        await on_call()

    assert await al.raise_alert(h.deps, "capacity:t:c", AlertTopic.TEAM_AT_CAPACITY, al.AlertFacts(), team_id="t")
    [raised] = h.events_of(AlertRaised)
    assert (raised.responders, raised.rota) == (0, None)
    assert await h.deps.alert_queries.unrouted() == 1
    metrics = h.client().get("/metrics")
    assert metrics.status_code == 200
    assert 'trygg_notification_alerts_unrouted_total{topic="team_at_capacity"} 1.0' in metrics.text

    await with_rota(h, "default", ANNA)
    await on_call()  # somebody is on call again: no longer degraded


async def test_the_liability_alert_closes_itself_when_the_decision_arrives_and_stops_escalating() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA, BO)
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    await rel.watch_liability(h.deps, case_id, "p_1", T0, T0 + timedelta(hours=1))
    assert await al.fire_liability_watches(h.deps) == 1
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone]

    h.clock.advance(minutes=5)
    async with TestKafkaBroker(broker):
        for _ in range(2):  # delivered twice: closed once
            await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id)))
    [alert_id] = [a.alert_id for a in await h.deps.alert_queries.list(state=None, team_id=None, limit=10)]
    loaded = await h.deps.alerts.load(alert_id)
    assert loaded is not None
    assert loaded.state.state is AlertState.RESOLVED
    [resolved] = h.events_of(AlertResolved)
    assert resolved.reason == "decision_granted"

    h.clock.advance(hours=2)
    assert await al.escalate_due(h.deps) == 0
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone]  # Bo is never told
    assert h.events_of(AlertEscalated) == []


async def test_a_queued_alert_sms_is_withdrawn_when_the_alert_closes_itself() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA)
    case_id = str(uuid.uuid4())
    await rel.watch_liability(h.deps, case_id, "p_1", T0, T0 + timedelta(hours=1))
    assert await al.fire_liability_watches(h.deps) == 1  # its SMS is queued, not yet sent
    assert await al.resolve_liability_alerts(h.deps, case_id, "discharged") == 1
    assert await al.resolve_liability_alerts(h.deps, case_id, "discharged") == 0
    await dispatch_due(h.deps)
    assert h.provider.sent == []  # the SMS queued before the decision never goes out


async def test_a_discharge_closes_the_liability_alert_through_the_subscriber() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA)
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    await rel.watch_liability(h.deps, case_id, "p_1", T0, T0 + timedelta(hours=1))
    assert await al.fire_liability_watches(h.deps) == 1
    discharged = r.Discharged(
        case_id=case_id,
        person_ref="p_1",
        discharged_at=T0,
        destination=r.Destination.HOME,
    )
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(discharged))
    [resolved] = h.events_of(AlertResolved)
    assert resolved.reason == "discharged"


async def test_the_dev_fallback_rota_is_created_once_and_never_replaces_a_rota() -> None:
    h = Harness.create(now=T0)
    assert await seed_dev_rota(h.deps.rotas, "default", ["+46700000901", "+46700000902"], T0)
    rota = await h.deps.rotas.get("default")
    assert rota is not None
    assert [x.phone for x in rota.on_call(T0 + timedelta(days=300))] == ["+46700000901", "+46700000902"]
    await with_rota(h, "default", ANNA)  # ops put their own
    assert not await seed_dev_rota(h.deps.rotas, "default", ["+46700000901"], T0)
    rota = await h.deps.rotas.get("default")
    assert rota is not None
    assert rota.on_call(T0) == (ANNA,)


def test_the_dev_fallback_rota_is_refused_outside_local_environments() -> None:
    from notification_support import FixedClock

    from notification.bootstrap import bootstrap, memory_backend

    clock = FixedClock(T0)
    settings = make_settings(
        telemetry={"environment": "production"},
        callback_secret="a-production-secret-of-enough-length",
        api_tokens=[],
        provider="46elks",
        dev_fallback_rota=["+46700000901"],
    )
    with pytest.raises(RuntimeError, match="NOTIFICATION_DEV_FALLBACK_ROTA"):
        bootstrap(settings, backend=memory_backend(clock), clock=clock)


async def test_the_timer_loop_sleeps_until_the_next_due_time_and_is_woken_by_a_new_timer() -> None:
    fired: list[float] = []
    due: list[datetime] = []
    fired_once = asyncio.Event()

    def now() -> datetime:
        return datetime.now(UTC)

    async def fire() -> None:
        current = now()
        for d in [d for d in due if d <= current]:
            fired.append((current - d).total_seconds())
            due.remove(d)
            fired_once.set()

    async def next_due() -> datetime | None:
        return min(due, default=None)

    loop = DueTimeLoop(fire, next_due, now, recheck_seconds=30)
    task = asyncio.create_task(loop.run())
    try:
        await asyncio.sleep(0.05)  # asleep for 30 s: nothing is due
        due.append(now() + timedelta(seconds=0.4))
        loop.wake()
        await asyncio.wait_for(fired_once.wait(), 3)
        assert 0 <= fired[0] < 0.1
        rounds = loop.rounds
        await asyncio.sleep(0.3)
        assert loop.rounds == rounds  # no busy polling while nothing is due
    finally:
        task.cancel()


def test_a_timer_still_due_after_firing_is_looked_at_again_after_a_pause_that_doubles() -> None:
    moment = datetime(2026, 11, 23, 9, tzinfo=UTC)

    async def nothing() -> None:
        return None

    async def none() -> datetime | None:
        return None

    loop = DueTimeLoop(nothing, none, lambda: moment, recheck_seconds=5)
    assert loop.delay(None, 0.05) == (5, False)
    assert loop.delay(moment - timedelta(seconds=1), 0.05) == (0.05, True)
    delay, overdue = loop.delay(moment + timedelta(seconds=2), 0.05)
    assert not overdue
    assert 2 <= delay < 2.1
    assert loop.delay(moment + timedelta(hours=2), 0.05) == (5, False)


async def test_each_sms_sent_is_counted_per_provider_for_the_failure_rate_alert() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", BO)
    assert await al.raise_alert(h.deps, "missed:v2", AlertTopic.VISIT_MISSED, al.AlertFacts())
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [BO.phone]
    metrics = h.client().get("/metrics").text
    assert f'trygg_notification_sms_total{{outcome="sent",provider="{h.deps.provider.name}"}} 1.0' in metrics
    assert BO.phone not in metrics
    # Every series from 0 at start, so that the rules' increase() sees the first unrouted alert.
    assert 'trygg_notification_alerts_unrouted_total{topic="team_at_capacity"} 0.0' in metrics


def cap_reached(case_id: str, cap: ro.SmsCap, window_key: str) -> ro.SmsCapReached:
    return ro.SmsCapReached(
        case_id=case_id,
        person_ref="p_1",
        cap=cap,
        limit=5,
        officer="officer:anna",
        day=T0.date(),
        window_key=window_key,
        reached_at=T0,
    )


async def test_an_sms_cap_hit_in_referral_is_one_alert_per_window_routed_to_the_fallback_rota() -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA)
    broker = h.notification.runtime.infra.broker
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    per_case = f"per_case:{first}:2026-11-23"
    officer_day = "officer_day:0123456789abcdef:2026-11-23"
    async with TestKafkaBroker(broker):
        for event in (
            cap_reached(first, ro.SmsCap.PER_CASE, per_case),
            cap_reached(first, ro.SmsCap.PER_CASE, per_case),  # published again (at least once)
            cap_reached(first, ro.SmsCap.OFFICER_DAY, officer_day),
            cap_reached(second, ro.SmsCap.OFFICER_DAY, officer_day),  # the officer's day: the same window
        ):
            await publish(broker, REFERRAL_CASE_EVENTS, record(event))
    await dispatch_due(h.deps)

    raised = h.events_of(AlertRaised)
    assert sorted((a.alert_id, a.topic.value, a.case_id, a.rota) for a in raised) == [
        (f"sms-cap:{officer_day}", "sms_cap_officer_day", first, "default"),
        (f"sms-cap:{per_case}", "sms_cap_case", first, "default"),
    ]
    texts = sorted(s.text for s in h.provider.sent)
    assert len(texts) == 2
    assert all(s.to == ANNA.phone for s in h.provider.sent)
    assert "Sms-gräns nådd, fler än 5 anhöriga med samtycke" in texts[0]
    assert all("anna" not in t for t in texts)  # the officer is not named in a text


async def test_an_sms_cap_alert_with_nobody_on_call_is_unrouted_and_counted() -> None:
    h = Harness.create(now=T0)
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(
            broker, REFERRAL_CASE_EVENTS, record(cap_reached(case_id, ro.SmsCap.PER_CASE, f"per_case:{case_id}:d"))
        )
    [raised] = h.events_of(AlertRaised)
    assert (raised.responders, raised.rota) == (0, None)
    assert 'trygg_notification_alerts_unrouted_total{topic="sms_cap_case"} 1.0' in h.client().get("/metrics").text


def test_the_stored_alert_keeps_the_caps_limit_for_its_escalations() -> None:
    alert, _ = Alert.raise_(
        "sms-cap:per_case:c:d",
        AlertTopic.SMS_CAP_CASE,
        al.AlertFacts(case_ref="c", limit=5),
        now=T0,
        ack_code="ABCDEFGH",
        responders=(ANNA,),
        ack_timeout=timedelta(minutes=15),
        case_id="c",
    )
    codec = AlertCodec()
    stored = codec.from_document({"_id": alert.alert_id, **codec.to_document(alert)})
    assert stored.facts == alert.facts
    assert stored.topic is AlertTopic.SMS_CAP_CASE


async def test_an_alert_that_reached_nobody_goes_once_to_the_first_responder_of_a_rota_put_later() -> None:
    h = Harness.create(now=T0)
    assert await al.raise_alert(h.deps, "capacity:t:c", AlertTopic.TEAM_AT_CAPACITY, al.AlertFacts(), team_id="t")
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert h.provider.sent == []  # nobody to tell

    h.clock.advance(minutes=30)
    response = h.client().put(
        "/rotas/t",
        json={
            "shifts": [
                {
                    "starts_at": (T0 - timedelta(hours=1)).isoformat(),
                    "minutes": 600,
                    "responders": [
                        {"responder_id": ANNA.responder_id, "phone": ANNA.phone},
                        {"responder_id": BO.responder_id, "phone": BO.phone},
                    ],
                }
            ]
        },
        headers={"Authorization": "Bearer dev-ops"},
    )
    assert response.status_code == 200, response.text
    for _ in range(3):  # every timer round, and on every replica: still once
        await fire_due_timers(h.deps)
    await dispatch_due(h.deps)

    assert [s.to for s in h.provider.sent] == [ANNA.phone]
    assert await h.deps.alert_queries.unrouted() == 0
    loaded = await h.deps.alerts.load("capacity:t:c")
    assert loaded is not None
    assert (loaded.state.rota, loaded.state.level) == ("t", 0)
    # Then it escalates like any alert: Bo after the acknowledgement timeout.
    h.clock.advance(minutes=h.deps.policy.ack_timeout.total_seconds() / 60 + 1)
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [ANNA.phone, BO.phone]


async def test_an_alert_that_reached_nobody_waits_for_a_shift_that_starts_later() -> None:
    h = Harness.create(now=T0)
    assert await al.raise_alert(h.deps, "missed:v9", AlertTopic.VISIT_MISSED, al.AlertFacts(), team_id="t")
    await h.deps.rotas.put(Rota("default", (Shift(T0 + timedelta(hours=2), T0 + timedelta(hours=10), (BO,)),)))
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert h.provider.sent == []

    h.clock.advance(hours=2)
    await fire_due_timers(h.deps)
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [BO.phone]


def test_only_an_open_unrouted_alert_is_routed() -> None:
    alert, _ = Alert.raise_(
        "a",
        AlertTopic.VISIT_MISSED,
        al.AlertFacts(),
        now=T0,
        ack_code="X",
        responders=(),
        ack_timeout=timedelta(minutes=10),
    )
    assert alert.route((), "default", T0, timedelta(minutes=10)) is None  # still nobody
    assert alert.route((ANNA,), "default", T0, timedelta(minutes=10)) == []
    assert alert.route((BO,), "default", T0, timedelta(minutes=10)) is None  # once
    assert (alert.responders, alert.notify_pending, alert.exhausted) == ((ANNA,), True, False)


async def test_a_rota_of_another_team_does_not_take_an_alert_that_reached_nobody() -> None:
    h = Harness.create(now=T0)
    assert await al.raise_alert(h.deps, "missed:v7", AlertTopic.VISIT_MISSED, al.AlertFacts(), team_id="t")
    await with_rota(h, "u", ANNA)
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert h.provider.sent == []
    assert await h.deps.alert_queries.unrouted() == 1

    await with_rota(h, "t", BO)
    await fire_due_timers(h.deps)
    await dispatch_due(h.deps)
    assert [s.to for s in h.provider.sent] == [BO.phone]
