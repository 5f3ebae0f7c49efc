"""The case: hospital messages folded in the sender's order, whatever order they arrive in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from referral_support import AGREEMENTS, STOCKHOLM_2024, wire

from referral.domain import events as ev
from referral.domain.case import Case, CaseStatus
from referral.domain.messages import Destination, HospitalMessage
from referral.entrypoints.lus_format import parse_lus, to_domain


def msg(lus_body: Any, message_type: str, message_id: str | None = None, **fields: Any) -> HospitalMessage:
    return to_domain(message_id or f"msg-{uuid.uuid4().hex[:8]}", parse_lus(lus_body(message_type, **fields)))


def new_case(region: str | None = "01") -> Case:
    return Case(case_id=str(uuid.uuid4()), person_ref="p_test", episode_id="TC-2026-004711", region_code=region)


def receive_all(case: Case, *messages: HospitalMessage) -> list[type]:
    for m in messages:
        case.receive(m, AGREEMENTS, person_ref="p_test")
    return [type(e) for e in case.events]


def test_a_ready_notice_before_noon_in_stockholm_starts_liability_after_day_zero_plus_two(lus_body: Any) -> None:
    case = new_case()
    events = receive_all(case, msg(lus_body, "utskrivningsklar"))  # ready Monday 2026-11-23 09:00

    assert events == [ev.ReadyForDischarge]
    ready = case.events[0]
    assert isinstance(ready, ev.ReadyForDischarge)
    assert ready.clock.liability_starts_at == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # Thursday 00:00 local
    assert ready.clock.agreement_id == STOCKHOLM_2024.agreement_id
    assert case.facts(AGREEMENTS).status is CaseStatus.READY


def test_without_a_regional_agreement_the_national_default_applies(lus_body: Any) -> None:
    case = new_case(region=None)
    receive_all(case, msg(lus_body, "utskrivningsklar"))
    ready = case.events[0]
    assert isinstance(ready, ev.ReadyForDischarge)
    assert ready.clock.agreement_id == "national-default"
    assert ready.clock.liability_starts_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # Friday 00:00 local


def test_the_journey_in_order_emits_one_event_per_step_and_the_sip_deadline(lus_body: Any) -> None:
    case = new_case()
    events = receive_all(
        case,
        msg(lus_body, "inskrivningsmeddelande"),
        msg(lus_body, "planeringsunderlag"),
        msg(lus_body, "utskrivningsklar"),
        msg(lus_body, "utskrivningsmeddelande"),
    )
    # The planning information names a fast vårdkontakt: with the ready notice a SIP is owed.
    assert events == [
        ev.AdmissionNoticed,
        ev.PlanningInformationReceived,
        ev.ReadyForDischarge,
        ev.SipStatusChanged,
        ev.Discharged,
    ]
    discharged = case.events[-1]
    assert isinstance(discharged, ev.Discharged)
    # Liable from Thursday 00:00; discharged Wednesday 11:30: nothing owed.
    assert discharged.liable_days == 0
    assert case.facts(AGREEMENTS).status is CaseStatus.DISCHARGED


def test_liable_days_are_counted_when_discharge_comes_late(lus_body: Any) -> None:
    case = new_case()
    receive_all(
        case,
        msg(lus_body, "utskrivningsklar"),
        msg(
            lus_body,
            "utskrivningsmeddelande",
            discharged_at="2026-11-27T10:00:00+01:00",
            sent_at="2026-11-27T10:05:00+01:00",
        ),
    )
    discharged = case.events[-1]
    assert isinstance(discharged, ev.Discharged)
    assert discharged.liable_days == 2  # Thursday and Friday
    assert discharged.daily_price_sek == STOCKHOLM_2024.daily_price_sek


def test_a_revocation_stops_the_clock_and_a_new_ready_notice_starts_a_new_one(lus_body: Any) -> None:
    case = new_case()
    receive_all(case, msg(lus_body, "utskrivningsklar"), msg(lus_body, "aterkallad_utskrivningsklar"))
    assert [type(e) for e in case.events] == [ev.ReadyForDischarge, ev.ReadyRevoked]
    assert case.facts(AGREEMENTS).status is CaseStatus.READY_REVOKED

    case.events.clear()
    receive_all(
        case,
        msg(lus_body, "utskrivningsklar", ready_at="2026-11-24T13:00:00+01:00", sent_at="2026-11-24T13:05:00+01:00"),
    )
    assert [type(e) for e in case.events] == [ev.ReadyForDischarge]
    ready = case.events[0]
    assert isinstance(ready, ev.ReadyForDischarge)
    # After noon on Tuesday: day 0 is Wednesday, liability from Saturday 00:00.
    assert ready.clock.liability_starts_at == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


def test_a_late_older_message_never_overwrites_newer_facts(lus_body: Any) -> None:
    case = new_case()
    receive_all(case, msg(lus_body, "utskrivningsklar"), msg(lus_body, "utskrivningsmeddelande"))
    case.events.clear()
    receive_all(case, msg(lus_body, "inskrivningsmeddelande"))  # sent on the 20th, arrives last

    facts = case.facts(AGREEMENTS)
    assert facts.status is CaseStatus.DISCHARGED
    assert facts.ready is not None
    assert [type(e) for e in case.events] == [ev.AdmissionNoticed]


def test_a_repeated_message_changes_nothing_and_emits_nothing(lus_body: Any) -> None:
    case = new_case()
    ready = msg(lus_body, "utskrivningsklar")
    receive_all(case, ready)
    case.events.clear()
    assert case.receive(ready, AGREEMENTS, person_ref="p_test") is False
    assert case.events == []


def test_a_cancellation_withdraws_the_named_message(lus_body: Any) -> None:
    case = new_case()
    receive_all(
        case,
        msg(lus_body, "inskrivningsmeddelande"),
        msg(lus_body, "utskrivningsklar", message_id="ready-1"),
    )
    case.events.clear()
    receive_all(case, msg(lus_body, "makulering", cancels_message_id="ready-1", sent_at="2026-11-23T10:00:00+01:00"))

    assert [type(e) for e in case.events] == [ev.MessageCancelled, ev.ReadyRevoked]
    assert case.facts(AGREEMENTS).status is CaseStatus.ADMITTED


def test_a_cancellation_that_arrives_before_its_message_makes_that_message_void(lus_body: Any) -> None:
    case = new_case()
    receive_all(
        case,
        msg(lus_body, "makulering", cancels_message_id="ready-1"),
        msg(lus_body, "utskrivningsklar", message_id="ready-1"),
    )
    assert ev.ReadyForDischarge not in [type(e) for e in case.events]
    assert case.facts(AGREEMENTS).status is CaseStatus.CANCELLED


def test_a_case_whose_only_message_is_cancelled_is_cancelled(lus_body: Any) -> None:
    case = new_case()
    receive_all(case, msg(lus_body, "inskrivningsmeddelande", message_id="adm-1"))
    receive_all(case, msg(lus_body, "makulering", cancels_message_id="adm-1"))
    assert case.facts(AGREEMENTS).status is CaseStatus.CANCELLED


def test_a_discharge_to_deceased_closes_the_case_as_deceased(lus_body: Any) -> None:
    case = new_case()
    receive_all(
        case, msg(lus_body, "utskrivningsklar"), msg(lus_body, "utskrivningsmeddelande", destination="deceased")
    )
    assert case.facts(AGREEMENTS).status is CaseStatus.DECEASED
    discharged = case.events[-1]
    assert isinstance(discharged, ev.Discharged)
    assert discharged.destination is Destination.DECEASED


def test_events_carry_the_person_reference_and_never_the_identity_number(lus_body: Any) -> None:
    case = new_case()
    receive_all(case, *(msg(lus_body, t) for t in ("inskrivningsmeddelande", "planeringsunderlag", "utskrivningsklar")))
    for event in wire(case.events):
        dumped = event.model_dump_json()
        assert event.person_ref == "p_test"  # type: ignore[attr-defined]
        assert "19401009" not in dumped
        assert "Astrid" not in dumped
        assert "Hip fracture" not in dumped  # health details stay in referral


# Convergence of what consumers see, for any arrival order and repeats: tests/contract/test_event_convergence.py
