"""A SIP deadline that lapsed without an invitation (referral's `sip_deadline_lapsed`): one alert to
on-call per case and deadline, routed like the others, unrouted when nobody is on call; the SMS
names the case's reference and the deadline, nothing about the person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from faststream.kafka import TestKafkaBroker
from notification_support import Harness, publish, record

from notification.domain.alert import AlertRaised, AlertResolved, Responder, Rota, Shift
from notification.domain.templates import AlertTopic
from notification.service_layer.dispatch import dispatch_due
from trygg_shared.contracts import referral as r
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # the end of Thursday in Stockholm
ANNA = Responder("anna", "+46700000001")


def lapsed(case_id: str, deadline: datetime = DEADLINE) -> r.SipDeadlineLapsed:
    return r.SipDeadlineLapsed(
        case_id=case_id,
        person_ref="p_secret_ref",
        ready_at=deadline - timedelta(days=4),
        deadline=deadline,
        lapsed_at=deadline + timedelta(seconds=1),
    )


async def test_a_lapsed_sip_deadline_is_one_alert_per_deadline_texted_without_personal_data() -> None:
    h = Harness.create(now=T0)
    await h.deps.rotas.put(Rota("default", (Shift(T0 - timedelta(days=1), T0 + timedelta(days=7), (ANNA,)),)))
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(lapsed(case_id)))
        await publish(broker, REFERRAL_CASE_EVENTS, record(lapsed(case_id)))  # published again (at least once)
        later = lapsed(case_id, DEADLINE + timedelta(days=7))  # a new ready notice's deadline
        await publish(broker, REFERRAL_CASE_EVENTS, record(later))
    await dispatch_due(h.deps)

    deadlines = (DEADLINE, DEADLINE + timedelta(days=7))
    raised = {a.alert_id: (a.topic.value, a.case_id, a.rota) for a in h.events_of(AlertRaised)}
    assert raised == {
        f"sip:{case_id}:{int(d.timestamp())}": ("sip_deadline_lapsed", case_id, "default") for d in deadlines
    }
    first, *others = sorted(s.text for s in h.provider.sent if s.to == ANNA.phone)
    assert len(others) == 1  # one SMS per alert, to whoever is on call
    assert first.startswith("Trygg hemgång LARM: Ingen SIP-kallelse, fristen gick ut fredag 27 nov kl. 00:00.")
    assert f"Ärende {case_id[:8]}" in first
    texts = [first, *others]
    assert all("p_secret_ref" not in t and case_id not in t for t in texts)


async def test_a_lapsed_sip_deadline_with_nobody_on_call_is_unrouted_and_counted() -> None:
    h = Harness.create(now=T0)
    broker = h.notification.runtime.infra.broker
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(lapsed(str(uuid.uuid4()))))
    [raised] = h.events_of(AlertRaised)
    assert (raised.responders, raised.rota) == (0, None)
    metrics = h.client().get("/metrics").text
    assert 'trygg_notification_alerts_unrouted_total{topic="sip_deadline_lapsed"} 1.0' in metrics


def invited(case_id: str) -> r.SipStatusChanged:
    at = DEADLINE + timedelta(hours=10)
    invitation = r.SipInvitation(
        invitation_id="sip-late",
        invited_at=at,
        meeting_at=at + timedelta(days=2),
        place=r.SipPlace.HOME,
        source=r.SipSource.OFFICER,
    )
    return r.SipStatusChanged(
        case_id=case_id,
        person_ref="p_secret_ref",
        ready_at=DEADLINE - timedelta(days=4),
        deadline=DEADLINE,
        invitation=invitation,
        invited_in_time=False,
    )


async def test_an_invitation_recorded_after_the_lapse_closes_the_alert_once() -> None:
    h = Harness.create(now=T0)
    broker = h.notification.runtime.infra.broker
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(lapsed(case_id)))
        await publish(broker, REFERRAL_CASE_EVENTS, record(invited(case_id)))
        await publish(broker, REFERRAL_CASE_EVENTS, record(invited(case_id)))  # published again
    [resolved] = h.events_of(AlertResolved)
    assert (resolved.alert_id, resolved.reason) == (f"sip:{case_id}:{int(DEADLINE.timestamp())}", "sip_invited")
    assert await h.deps.alert_queries.open_for_case(case_id, AlertTopic.SIP_DEADLINE_LAPSED) == []
