"""The Kafka subscribers on FastStream's TestKafkaBroker: real envelopes in, messages and alerts out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from notification_support import Harness, contacts, granted, of_visit, publish, record

from notification.domain.alert import AlertRaised, Responder, Rota, Shift
from notification.domain.templates import AlertTopic
from notification.service_layer.dispatch import dispatch_due
from trygg_shared.contracts import notification as own
from trygg_shared.contracts import referral as r
from trygg_shared.contracts import scheduling as s
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, REFERRAL_RELATIVE_CONTACTS, dead_letter_topic
from trygg_shared.envelope import EventMeta, KafkaRecord, encode
from trygg_shared.kafka import raw_body

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PHONE = "+46701112233"
PHONE_2 = "+46709998877"


def legacy_granted(case_id: str, consent: bool = True, language: r.Language = r.Language.SV) -> r.DecisionGranted:
    """A decision written before the relative-contacts topic: its relatives (with phones) inside."""
    relative = r.Relative(relative_id="rel1", name="Karin Lindqvist", phone=PHONE, language=language, consent=consent)
    return granted(case_id).model_copy(update={"relatives": (relative,)})


def withdrawal(case_id: str, *relative_ids: str) -> r.DecisionChanged:
    """A decision change on the case-events topic that withdrew consent (ids only, no relatives)."""
    return r.DecisionChanged(
        case_id=case_id,
        person_ref="p_1",
        decision_id="d_" + case_id[:8],
        changes=(r.DecisionChangeKind.CONSENT_WITHDRAWN,),
        changed_by="officer:bo",
        changed_at=T0,
        consent_withdrawn_relative_ids=relative_ids,
    )


def homecoming(case_id: str) -> s.VisitScheduled:
    return s.VisitScheduled(
        **of_visit(case_id),
        kind=s.VisitKind.HOMECOMING,
        planned_start=datetime(2026, 11, 25, 9, tzinfo=UTC),
        planned_end=datetime(2026, 11, 25, 10, tzinfo=UTC),
        location=s.VisitLocation.HOME,
    )


def harness() -> tuple[Harness, KafkaBroker, list[Any]]:
    h = Harness.create(now=T0)
    broker = h.notification.runtime.infra.broker
    dead: list[Any] = []

    @broker.subscriber(dead_letter_topic("notification"), decoder=raw_body)
    async def collect(body: bytes, msg: KafkaMessage) -> None:
        dead.append(msg)

    @broker.subscriber(dead_letter_topic("notification.contacts"), decoder=raw_body)
    async def collect_contacts(body: bytes, msg: KafkaMessage) -> None:
        dead.append(msg)

    return h, broker, dead


async def test_a_granted_decision_with_consent_becomes_one_sms_even_when_delivered_twice() -> None:
    h, broker, dead = harness()
    case_id = str(uuid.uuid4())
    decision, listed = record(granted(case_id), sequence=1), record(contacts(case_id, "rel1"), sequence=2)
    async with TestKafkaBroker(broker):
        for _ in range(2):
            await publish(broker, REFERRAL_CASE_EVENTS, decision)
            await publish(broker, REFERRAL_RELATIVE_CONTACTS, listed)
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1
    assert "onsdag 25 nov" in h.provider.sent[0].text  # the decision's first day
    assert dead == []


async def test_contacts_read_before_their_decision_wait_for_it_and_the_relative_is_told_once() -> None:
    h, broker, _ = harness()
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel1"), sequence=2))
        await dispatch_due(h.deps)
        assert h.provider.sent == []  # no decision yet: nothing to tell
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id), sequence=1))
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1
    assert "onsdag 25 nov" in h.provider.sent[0].text


@pytest.mark.parametrize(
    ("decision", "sequence", "texts"),
    [
        pytest.param(granted, 1, 0, id="without its contacts it tells nobody"),
        pytest.param(
            partial(legacy_granted, consent=False), None, 0, id="old format: a relative without consent gets nothing"
        ),
        pytest.param(legacy_granted, 1, 1, id="old format: the relatives inside are still understood"),
    ],
)
async def test_a_decision_read_alone_tells_only_the_consented_relatives_it_carries(
    decision: Callable[[str], r.DecisionGranted], sequence: int | None, texts: int
) -> None:
    h, broker, _ = harness()
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(decision(str(uuid.uuid4())), sequence=sequence))
    await dispatch_due(h.deps)
    assert len(h.provider.sent) == texts
    assert len(h.provider.texts_to(PHONE)) == texts


@pytest.mark.parametrize(
    ("listed", "topic", "withdrawn", "texts_to_the_other", "log"),
    [
        pytest.param(
            ("rel1", "rel2"),
            REFERRAL_CASE_EVENTS,
            lambda case_id: record(withdrawal(case_id, "rel1"), sequence=3),
            2,  # the other relative still hears about the visit
            [("rel1", "given"), ("rel2", "given"), ("rel1", "withdrawn")],
            id="on the case-events topic, before the new list arrives",
        ),
        pytest.param(
            ("rel1",),
            REFERRAL_RELATIVE_CONTACTS,
            lambda case_id: record(contacts(case_id, withdrawn=("rel1",)), sequence=4),
            0,
            [("rel1", "given"), ("rel1", "withdrawn")],
            id="on the contacts topic alone",
        ),
    ],
)
async def test_consent_withdrawn_stops_the_next_messages(
    listed: tuple[str, ...],
    topic: str,
    withdrawn: Callable[[str], KafkaRecord],
    texts_to_the_other: int,
    log: list[tuple[str, str]],
) -> None:
    h, broker, _ = harness()
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id), sequence=1))
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, *listed), sequence=2))
        await dispatch_due(h.deps)
        await publish(broker, topic, withdrawn(case_id))
        await publish(broker, s.VisitScheduled.TOPIC, record(homecoming(case_id), sequence=1, source="urn:scheduling"))
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1  # only the first, before the withdrawal
    assert len(h.provider.texts_to(PHONE_2)) == texts_to_the_other
    consent_log = (await h.deps.cases.load(case_id)).state.consent_log
    assert [(e.relative_id, e.change) for e in consent_log] == log


async def test_an_older_list_read_after_a_withdrawal_does_not_bring_the_relative_back() -> None:
    h, broker, _ = harness()
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id), sequence=1))
        # The case-events consumer is ahead: the withdrawal (3) is read before the grant's list (2).
        await publish(broker, REFERRAL_CASE_EVENTS, record(withdrawal(case_id, "rel1"), sequence=3))
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel1"), sequence=2))
        await publish(broker, s.VisitScheduled.TOPIC, record(homecoming(case_id), sequence=1, source="urn:scheduling"))
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, withdrawn=("rel1",)), sequence=4))
    await dispatch_due(h.deps)
    assert h.provider.sent == []
    assert (await h.deps.cases.load(case_id)).state.relatives == {}


async def test_a_new_decision_read_before_its_own_list_tells_nobody_of_the_previous_list() -> None:
    h, broker, _ = harness()
    case_id = str(uuid.uuid4())
    async with TestKafkaBroker(broker):
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id, "d1"), sequence=1))
        await publish(
            broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel1", decision_id="d1"), sequence=2)
        )
        await dispatch_due(h.deps)
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id, "d2"), sequence=5))
        await dispatch_due(h.deps)
        assert len(h.provider.texts_to(PHONE)) == 1  # d1's relative is not told about d2
        await publish(
            broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel2", decision_id="d2"), sequence=6)
        )
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1
    assert len(h.provider.texts_to(PHONE_2)) == 1


async def test_scheduling_events_tell_relatives_the_homecoming_time_with_the_teams_phone() -> None:
    h, broker, _ = harness()
    case_id = str(uuid.uuid4())
    team = s.TeamConfigured(
        team_id="team-vast",
        name="Team Väst",
        phone="+46812345678",
        hemtjanst_phone="+46858512345",
        municipality_profile="jarfalla",
        hours=tuple(s.WeekdayHours(weekday=d, start=time(7), end=time(17)) for d in list(s.Weekday)[:5]),
        works_on_holidays=True,
        clients_per_day=5,
        new_clients_per_month=25,
        max_period_days=14,
        version=1,
        configured_at=T0,
    )
    async with TestKafkaBroker(broker):
        await publish(broker, s.TeamConfigured.TOPIC, record(team))
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id)))
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel1")))
        await publish(broker, s.VisitScheduled.TOPIC, record(homecoming(case_id), sequence=1))
    await dispatch_due(h.deps)
    text = h.provider.texts_to(PHONE)[-1]
    assert "onsdag 25 nov kl. 10:00" in text
    assert "Team Väst, tel +46812345678 (mån-fre 07:00-17:00)" in text
    stored = await h.deps.teams.get("team-vast")
    assert stored is not None
    assert stored.hemtjanst_phone == "+46858512345"  # told to relatives at the handover


async def test_a_missed_visit_and_a_full_team_raise_alerts_to_whoever_is_on_call() -> None:
    h, broker, _ = harness()
    anna = Responder("anna", "+46700000001")
    await h.deps.rotas.put(Rota("team-vast", (Shift(T0.replace(hour=0), T0.replace(hour=23), (anna,)),)))
    case_id = str(uuid.uuid4())
    missed = s.VisitMissed(
        **of_visit(case_id, "v7"),
        kind=s.VisitKind.DAILY,
        planned_start=T0,
        planned_end=T0,
        grace_minutes=30,
        detected_at=T0,
    )
    full = s.TeamCapacityExceeded(
        team_id="team-vast",
        case_id=case_id,
        person_ref="p_1",
        limit=s.CapacityLimit.CLIENTS_PER_DAY,
        capacity=5,
        on_date=date(2026, 11, 23),
        waiting_count=2,
        occurred_at=T0,
    )
    async with TestKafkaBroker(broker):
        await publish(broker, missed.TOPIC, record(missed))
        await publish(broker, missed.TOPIC, record(missed))
        await publish(broker, full.TOPIC, record(full))
    await dispatch_due(h.deps)
    assert sorted(e.topic for e in h.events_of(AlertRaised)) == [AlertTopic.TEAM_AT_CAPACITY, AlertTopic.VISIT_MISSED]
    assert len(h.provider.texts_to(anna.phone)) == 2


async def test_a_relatives_sms_that_finally_failed_becomes_an_on_call_alert() -> None:
    h, broker, _ = harness()
    failed = own.MessageFailed(
        stream_key="c-1",
        case_id="c-1",
        team_id=None,
        message_id="m_1",
        kind=own.MessageKind.HOMECOMING_SCHEDULED,
        recipient_kind=own.RecipientKind.RELATIVE,
        status=own.DeliveryStatus.FAILED,
        reason="rejected:http_400",
        provider="46elks",
        attempts=1,
        failed_at=T0,
    )
    async with TestKafkaBroker(broker):
        await publish(broker, failed.TOPIC, record(failed))
    [raised] = h.events_of(AlertRaised)
    assert raised.alert_id == "sms-failed:m_1"
    assert raised.topic is AlertTopic.SMS_FAILED


async def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_reason_and_consumption_goes_on() -> None:
    h, broker, dead = harness()
    case_id = str(uuid.uuid4())
    broken = encode(
        EventMeta(id=str(uuid.uuid4()), type=r.DecisionGranted.EVENT_TYPE, source="urn:test", subject=case_id, time=T0),
        {"case_id": case_id, "relatives": "not a list"},
    )
    broken_list = encode(
        EventMeta(
            id=str(uuid.uuid4()), type=r.RelativeContactsChanged.EVENT_TYPE, source="urn:test", subject=case_id, time=T0
        ),
        {"case_id": case_id, "relatives": [{"relative_id": "rel1"}]},  # no phone
    )
    async with TestKafkaBroker(broker):
        await broker.publish(b"not a cloud event", topic=REFERRAL_CASE_EVENTS, key=b"k")
        await publish(broker, REFERRAL_CASE_EVENTS, broken)
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, broken_list)
        await publish(broker, REFERRAL_CASE_EVENTS, record(granted(case_id)))
        await publish(broker, REFERRAL_RELATIVE_CONTACTS, record(contacts(case_id, "rel1")))
    reasons = [m.headers.get("dlq_reason") for m in dead]
    assert len(reasons) == 3
    assert "missing CloudEvents headers" in reasons[0]
    assert reasons[1].startswith("contract violation")
    assert reasons[2].startswith("contract violation")  # on the contacts topic: its own dead letters
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(PHONE)) == 1  # the good one after the poison was handled
