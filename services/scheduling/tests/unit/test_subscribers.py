"""Subscribers on FastStream's TestKafkaBroker: referral's events in, plans out; repeats and poison handled."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from scheduling_support import Harness, contact_registered, granted_event, person, publish, seeded

from scheduling.adapters.codec import period_wire
from scheduling.domain import events as ev
from scheduling.domain.plan import DecisionTerms
from scheduling.domain.plan import PersonContact as Contact
from scheduling.domain.profiles import default_teams
from scheduling.domain.vocab import PeriodKind, PeriodStatus
from scheduling.service_layer.teams import configure_team
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.referral import (
    AdmissionNoticed,
    CareType,
    CareUnit,
    DecisionChanged,
    DecisionChangeKind,
    DecisionEnded,
    DecisionEndReason,
    DecisionGranted,
    DecisionType,
    ReadyRevoked,
)
from trygg_shared.contracts.topics import dead_letter_topic
from trygg_shared.kafka import raw_body

START = date(2026, 11, 25)


def granted(case_id: str, *, team: str = "Team Väst", start: date = START, length: int = 7) -> DecisionGranted:
    return granted_event(case_id, start, length, team=team)


def collect_dead_letters(broker: KafkaBroker) -> list[Any]:
    dead: list[Any] = []

    @broker.subscriber(dead_letter_topic("scheduling"), decoder=raw_body)
    async def _collect(body: bytes, msg: KafkaMessage) -> None:
        dead.append(msg)

    return dead


async def test_a_granted_decision_on_the_topic_is_planned_once_even_when_delivered_twice() -> None:
    h = await seeded()
    broker = h.broker
    case_id = uuid.uuid4().hex
    async with TestKafkaBroker(broker):
        event_id = str(uuid.uuid4())
        await publish(broker, granted(case_id), sequence=3, event_id=event_id)
        await publish(broker, granted(case_id), sequence=3, event_id=event_id)
    planned = [e for e in h.events(case_id) if isinstance(e, ev.PeriodPlanned)]
    assert len(planned) == 1
    assert (await h.plan(case_id)).period is not None


async def delivered(*sent: tuple[IntegrationEvent, int]) -> Harness:
    """A seeded harness after each (event, sequence number) went through the subscribers, in this order."""
    h = await seeded()
    async with TestKafkaBroker(h.broker):
        for event, sequence in sent:
            await publish(h.broker, event, sequence=sequence)
    return h


async def test_the_persons_contact_reaches_the_plan_from_its_own_topic_before_or_after_the_grant() -> None:
    before, after = uuid.uuid4().hex, uuid.uuid4().hex
    h = await delivered(
        (contact_registered(before, "Lindqvist", "Exempelgatan 4"), 2),  # overtook the grant
        (granted(before), 1),
        (granted(after), 1),
        (contact_registered(after, "Berg", "Storgatan 1"), 2),
    )
    for case_id, family_name, street in ((before, "Lindqvist", "Exempelgatan 4"), (after, "Berg", "Storgatan 1")):
        plan = await h.plan(case_id)
        assert plan.period is not None
        assert plan.contact is not None
        assert (plan.contact.family_name, plan.contact.street) == (family_name, street)


async def test_the_contact_reaches_the_plan_field_by_field_with_or_without_an_address() -> None:
    housed, unhoused = uuid.uuid4().hex, uuid.uuid4().hex
    h = await delivered(
        (granted(housed), 1),
        (granted(unhoused), 1),
        (contact_registered(housed, "Lindqvist", "Exempelgatan 4"), 2),
        (contact_registered(unhoused, "Berg", None), 2),
    )
    assert (await h.plan(housed)).contact == Contact(
        "Astrid", "Lindqvist", "Exempelgatan 4", "17741", "Järfälla", "+46701234567"
    )
    assert (await h.plan(unhoused)).contact == Contact("Astrid", "Berg", None, None, None, "+46701234567")


async def test_a_grant_and_its_change_reach_the_plan_s_decision_term_by_term() -> None:
    case_id = uuid.uuid4().hex
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    grant = granted_event(case_id, START, 7, hemtjanst=True, granted_at=at).model_copy(
        update={"decision_type": DecisionType.HEMGANGSBESLUT, "hours_granted": 6}
    )
    h = await delivered((grant, 1))
    terms = DecisionTerms(
        f"d-{case_id}", PeriodKind.HOURS_POT, START, START + timedelta(days=6), 7, "Team Väst", 6.0, True, at
    )
    assert (await h.plan(case_id)).decision == terms
    change = DecisionChanged(
        case_id=case_id,
        person_ref=f"p_{case_id}",
        decision_id=f"d-{case_id}",
        changes=(DecisionChangeKind.EXTENDED,),
        length_days=10,
        end_date=START + timedelta(days=9),
        hemtjanst_evenings_nights_weekends=False,
        changed_by="officer:t",
        changed_at=at + timedelta(hours=1),
        hours_granted=8,
    )
    async with TestKafkaBroker(h.broker):
        await publish(h.broker, change, sequence=2)
    changed = replace(
        terms,
        end_date=START + timedelta(days=9),
        length_days=10,
        hours_granted=8.0,
        hemtjanst=False,
        terms_at=at + timedelta(hours=1),
    )
    assert (await h.plan(case_id)).decision == changed


async def test_an_older_contact_registration_does_not_overwrite_a_newer_one() -> None:
    case_id = uuid.uuid4().hex
    h = await delivered(
        (granted(case_id), 1),
        (contact_registered(case_id, "Berg", "Nya vägen 2"), 6),  # after a new decision
        (contact_registered(case_id, "Berg", "Gamla vägen 1"), 2),  # redelivered late
    )
    plan = await h.plan(case_id)
    assert plan.contact is not None
    assert plan.contact.street == "Nya vägen 2"


async def test_the_details_of_someone_the_team_will_not_visit_are_not_kept() -> None:
    case_id = uuid.uuid4().hex
    h = await delivered((contact_registered(case_id, "Berg", "Storgatan 1", DecisionType.HEMTJANST_ONLY), 2))
    assert await h.plans.load(case_id) is None


async def test_a_grant_from_a_referral_before_the_person_contacts_topic_still_gives_the_team_the_contact() -> None:
    case_id = uuid.uuid4().hex
    old_style = granted(case_id).model_copy(update={"person": person("Holm", "Gamla vägen 1")})
    h = await delivered((old_style, 1))
    plan = await h.plan(case_id)
    assert plan.contact is not None
    assert plan.contact.family_name == "Holm"


async def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_reason_and_consumption_goes_on() -> None:
    h = await seeded()
    broker = h.broker
    dead = collect_dead_letters(broker)
    bad, good = uuid.uuid4().hex, uuid.uuid4().hex
    async with TestKafkaBroker(broker):
        broken = granted(bad).model_dump(mode="json")
        del broken["decision_id"]
        broken["start_date"] = "not a date"
        await publish(broker, granted(bad), sequence=1, data=broken)
        await publish(broker, granted(good), sequence=1)
    assert len(dead) == 1
    reason = dict(dead[0].headers)["dlq_reason"]
    assert "contract violation" in reason
    assert "decision_id" in reason
    assert await h.plans.load(bad) is None
    assert (await h.plan(good)).period is not None


async def test_a_revoked_ready_notice_after_the_decision_puts_the_plan_on_hold() -> None:
    h = await seeded()
    broker = h.broker
    case_id = uuid.uuid4().hex
    async with TestKafkaBroker(broker):
        await publish(broker, granted(case_id), sequence=2)
        await publish(
            broker, ReadyRevoked(case_id=case_id, person_ref=f"p_{case_id}", revoked_at=h.clock.now()), sequence=3
        )
    plan = await h.plan(case_id)
    assert plan.period is not None
    assert plan.period.status == PeriodStatus.ON_HOLD


async def test_a_readmission_ends_the_earlier_case_s_period() -> None:
    h = await seeded()
    broker = h.broker
    earlier, again = uuid.uuid4().hex, uuid.uuid4().hex
    async with TestKafkaBroker(broker):
        await publish(broker, granted(earlier), sequence=1)
        await publish(
            broker,
            AdmissionNoticed(
                case_id=again,
                person_ref=f"p_{earlier}",
                episode_id="E2",
                care_unit=CareUnit(hsa_id="SE1", name="Avd 61"),
                care_type=CareType.SOMATIC,
                expected_discharge_date=START + timedelta(days=10),
                readmission_of_case_id=earlier,
            ),
            sequence=1,
        )
    ended = [e for e in h.events(earlier) if isinstance(e, ev.PeriodEnded)]
    assert [e.reason.value for e in ended] == ["readmitted"]


async def test_when_a_period_ends_its_place_goes_to_the_oldest_waiting_case() -> None:
    h = await seeded()
    small = replace(default_teams()["jarfalla"], clients_per_day=1)
    await configure_team(h.deps, "jarfalla", small)
    broker = h.broker
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    async with TestKafkaBroker(broker):
        await publish(broker, granted(first, team="jarfalla", length=5), sequence=1)
        await publish(broker, granted(second, team="jarfalla", length=5), sequence=1)
        assert (await h.plan(second)).period is None
        assert [w.case_id for w in (await h.deps.teams.load("jarfalla")).state.waiting] == [second]  # type: ignore[union-attr]
        assert any(isinstance(e, ev.TeamCapacityExceeded) for e in h.team_events("jarfalla"))
        await publish(
            broker,
            DecisionEnded(
                case_id=first,
                person_ref=f"p_{first}",
                decision_id=f"d-{first}",
                end_date=START,
                reason=DecisionEndReason.DECEASED,
                ended_by="system",
                ended_at=h.clock.now(),
            ),
            sequence=2,
        )
        # Our own PeriodEnded, as the relay publishes it, frees the place (the capacity consumer).
        (ended,) = [e for e in h.events(first) if isinstance(e, ev.PeriodEnded)]
        wire = period_wire(first, ended)
        assert wire is not None
        await publish(broker, wire, sequence=99, source="urn:trygghemgang:scheduling")
    plan = await h.plan(second)
    assert plan.period is not None
    assert plan.period.status == PeriodStatus.PLANNED
    changes = [e.change for e in h.team_events("jarfalla") if isinstance(e, ev.WaitingListChanged)]
    assert changes == [ev.WaitingChange.ADDED, ev.WaitingChange.PLANNED]
