"""Referral counts the liable days, split by calendar month, and publishes the count (the only count:
billing reports these figures). A running clock is counted again when a new day becomes liable."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from referral_support import AGREEMENTS, STOCKHOLM_2024, ApiHarness, wire

from referral.domain import events as ev
from referral.domain.case import Case
from referral.domain.liability import (
    NATIONAL_DEFAULT,
    CareType,
    LiabilityClock,
    LiableMonth,
    count_by_month,
    liable_dates,
    liable_days,
    start_clock,
)
from referral.domain.messages import HospitalMessage
from referral.entrypoints.lus_format import parse_lus, to_domain
from referral.service_layer.liability import count_running_liability
from trygg_shared.contracts import referral as wire_contracts

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PRICE = STOCKHOLM_2024.price_for(2026)


def msg(lus_body: Any, message_type: str, **fields: Any) -> HospitalMessage:
    return to_domain(f"msg-{uuid.uuid4().hex[:8]}", parse_lus(lus_body(message_type, **fields)))


def clock_from(ready_at: datetime) -> LiabilityClock:
    """A clock liable three days after its notice, to the minute (as billing's test had it)."""
    return LiabilityClock(ready_at, CareType.SOMATIC, "a", 1, ready_at.date(), ready_at + timedelta(days=3))


def new_case() -> Case:
    return Case(case_id=str(uuid.uuid4()), person_ref="p_test", episode_id="TC-2026-004711", region_code="01")


def test_the_days_are_split_by_stockholm_calendar_month_at_the_period_s_price() -> None:
    clock = start_clock(datetime(2026, 11, 26, 9, tzinfo=UTC), CareType.SOMATIC, NATIONAL_DEFAULT)  # liable 30 Nov
    until = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # exactly local midnight: 3 Dec is not touched

    months = count_by_month([(clock, until, 9300)])

    assert months == (LiableMonth("2026-11", 1, 9300), LiableMonth("2026-12", 2, 18600))
    assert sum(m.days for m in months) == liable_days(clock, until) == len(liable_dates(clock, until))


def test_days_two_periods_were_liable_on_count_once_per_period_as_the_stay_adds_them_up() -> None:
    # Moved from billing (test_liability_periods): a ready notice dated before the revocation of the
    # previous one; its clock starts before that one ended. Each period's days count.
    first, second = clock_from(T0), clock_from(T0 + timedelta(days=1))
    periods = [(first, T0 + timedelta(days=5), 9300), (second, T0 + timedelta(days=6), 9300)]

    months = count_by_month(periods)

    assert [(m.month, m.days) for m in months] == [("2026-11", 3 + 3)]  # 26-28 Nov, then 27-29 Nov
    assert months[0].days == sum(liable_days(c, u) for c, u, _ in periods)


def test_the_discharge_publishes_the_stay_s_days_per_month_adding_up_to_its_liable_days(lus_body: Any) -> None:
    case = new_case()
    for m in (
        msg(lus_body, "utskrivningsklar"),  # Monday 23 Nov 09:00: liable from Thursday 26 Nov
        msg(
            lus_body,
            "utskrivningsmeddelande",
            discharged_at="2026-12-01T10:00:00+01:00",
            sent_at="2026-12-01T10:05:00+01:00",
        ),
    ):
        case.receive(m, AGREEMENTS, person_ref="p_test")

    discharged = case.events[-1]
    assert isinstance(discharged, ev.Discharged)
    assert discharged.liable_days == 6  # 26-30 Nov and 1 Dec
    assert discharged.liable_months == (LiableMonth("2026-11", 5, 5 * PRICE), LiableMonth("2026-12", 1, PRICE))
    [on_wire] = wire([discharged])
    assert isinstance(on_wire, wire_contracts.Discharged)
    assert [(m.month, m.days, m.amount_sek) for m in on_wire.liable_months or ()] == [
        ("2026-11", 5, 5 * PRICE),
        ("2026-12", 1, PRICE),
    ]


def test_a_running_clock_is_counted_again_once_per_new_liable_day_and_not_after_discharge(lus_body: Any) -> None:
    case = new_case()
    case.receive(msg(lus_body, "utskrivningsklar"), AGREEMENTS, person_ref="p_test")
    ready = case.take_events()[0]
    assert isinstance(ready, ev.ReadyForDischarge)
    assert ready.liable_months == ()  # nothing liable yet when the notice came

    assert not case.count_liability(AGREEMENTS, datetime(2026, 11, 25, 22, 59, tzinfo=UTC))  # not liable yet
    assert case.count_liability(AGREEMENTS, datetime(2026, 11, 26, 8, tzinfo=UTC))  # Thursday: 1 day
    assert not case.count_liability(AGREEMENTS, datetime(2026, 11, 26, 20, tzinfo=UTC))  # the same day again
    assert case.count_liability(AGREEMENTS, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 1 Dec, local
    counts = case.take_events()
    assert [(type(e), e.liable_days) for e in counts] == [(ev.LiabilityDaysCounted, 1), (ev.LiabilityDaysCounted, 6)]
    last = counts[-1]
    assert isinstance(last, ev.LiabilityDaysCounted)
    assert last.liable_months == (LiableMonth("2026-11", 5, 5 * PRICE), LiableMonth("2026-12", 1, PRICE))

    case.receive(
        msg(
            lus_body,
            "utskrivningsmeddelande",
            discharged_at="2026-12-01T10:00:00+01:00",
            sent_at="2026-12-01T10:05:00+01:00",
        ),
        AGREEMENTS,
        person_ref="p_test",
    )
    assert not case.count_liability(AGREEMENTS, datetime(2026, 12, 3, 8, tzinfo=UTC))


def test_the_counting_loop_publishes_each_running_clock_s_new_day_once(lus_body: Any) -> None:
    harness = ApiHarness()
    deps = harness.referral.deps
    case = new_case()
    case.receive(msg(lus_body, "utskrivningsklar"), AGREEMENTS, person_ref="p_test")
    asyncio.run(harness.store.save(case.case_id, 0, case, case.take_events()))

    harness.clock.moment = datetime(2026, 11, 27, 6, tzinfo=UTC)  # Friday: Thursday and Friday are liable
    assert asyncio.run(count_running_liability(deps)) == 1
    assert asyncio.run(count_running_liability(deps)) == 0  # again: nothing new, nothing sent

    counted = [e for e in harness.events if isinstance(e, wire_contracts.LiabilityDaysCounted)]
    assert [(c.liable_days, [(m.month, m.days, m.amount_sek) for m in c.liable_months]) for c in counted] == [
        (2, [("2026-11", 2, 2 * PRICE)])
    ]
