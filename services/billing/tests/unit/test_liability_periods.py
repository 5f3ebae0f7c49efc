"""The case's liability record: periods open, stop, are superseded; discharge fixes the days owed.

The days are referral's count (`with_count`); billing counts none. The test of days two periods
were liable on moved to referral (`services/referral/tests/unit/test_liability_count.py`), where
the one count now is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.domain.liability import (
    CaseLiability,
    LiabilityPeriod,
    MonthLiability,
    PeriodStatus,
    liability_by_month,
    on_cancelled,
    on_discharged,
    on_ready,
    on_revoked,
    with_count,
)
from billing.domain.money import Month

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def period(ready_at: datetime) -> LiabilityPeriod:
    return LiabilityPeriod(ready_at, ready_at + timedelta(days=3), "a", 1, 9300)


def test_a_discharge_fixes_the_days_and_the_amount_owed() -> None:
    case = on_discharged(on_ready(CaseLiability("c1", "p"), period(T0)), T0 + timedelta(days=5), 2, 9300)
    assert case.periods[0].status is PeriodStatus.CLOSED
    assert case.amount_sek == 18600


def test_a_revoked_period_keeps_the_days_it_accrued() -> None:
    case = on_revoked(on_ready(CaseLiability("c1", "p"), period(T0)), T0, T0 + timedelta(days=4), liable_days=1)
    assert case.periods[0].status is PeriodStatus.REVOKED
    assert case.periods[0].liable_days == 1


def test_a_new_ready_notice_supersedes_the_open_period() -> None:
    case = on_ready(on_ready(CaseLiability("c1", "p"), period(T0)), period(T0 + timedelta(days=1)))
    assert [p.status for p in case.periods] == [PeriodStatus.SUPERSEDED, PeriodStatus.OPEN]


def test_a_period_that_runs_again_is_reopened() -> None:
    case = on_revoked(on_ready(CaseLiability("c1", "p"), period(T0)), T0, T0 + timedelta(hours=2), 0)
    case = on_ready(case, period(T0))
    assert [p.status for p in case.periods] == [PeriodStatus.OPEN]


def test_a_redelivered_ready_event_is_the_same_period_even_after_a_round_trip_to_the_database() -> None:
    stored = on_ready(CaseLiability("c1", "p"), period(T0.replace(microsecond=123000)))  # BSON keeps ms
    again = on_ready(stored, period(T0.replace(microsecond=123456)))
    assert len(again.periods) == 1


def test_a_revoked_period_referral_no_longer_counts_is_dropped_with_its_days() -> None:
    # r1 revoked (2 days kept), r3 follows; then the revocation is withdrawn, so r1 ran until r3
    # replaced it: referral re-sends the picture, which names r3 only.
    r1, r3 = T0, T0 + timedelta(days=7)
    case = on_revoked(on_ready(CaseLiability("c1", "p"), period(r1)), r1, r1 + timedelta(days=4), 2)
    case = on_ready(case, period(r3))
    assert [p.status for p in case.periods] == [PeriodStatus.REVOKED, PeriodStatus.OPEN]

    case = on_ready(case, period(r3), counting=(r3,))

    assert [p.ready_at for p in case.periods] == [r3]


def test_a_period_closed_by_discharge_is_dropped_when_a_later_arriving_notice_replaced_it() -> None:
    r1, r3 = T0, T0 + timedelta(days=7)
    discharged_at = T0 + timedelta(days=12)
    case = on_discharged(on_ready(CaseLiability("c1", "p"), period(r1)), discharged_at, 10, 9300, counting=(r1,))
    assert [p.status for p in case.periods] == [PeriodStatus.CLOSED]

    # r3 (sent before the discharge) arrives last: referral re-sends r3 and the discharge, each
    # with its count of the stay after it.
    count = (MonthLiability(Month(2026, 12), 3, 3 * 930_000),)
    case = with_count(on_ready(case, period(r3), counting=(r3,)), count)
    case = with_count(on_discharged(case, discharged_at, 3, 9300, counting=(r3,)), count)

    assert [(p.ready_at, p.status) for p in case.periods] == [(r3, PeriodStatus.CLOSED)]
    assert sum(m.days for m in liability_by_month(case)) == case.liable_days == 3


def test_a_withdrawn_ready_notice_stops_counting_at_its_makulering() -> None:
    case = on_revoked(on_ready(CaseLiability("c1", "p"), period(T0)), T0, T0 + timedelta(days=5), 2)

    assert on_cancelled(case, None) == case  # an event from before referral named the counting periods
    assert on_cancelled(case, ()).periods == ()


def test_without_the_counting_list_the_old_rule_applies() -> None:
    case = on_revoked(on_ready(CaseLiability("c1", "p"), period(T0)), T0, T0 + timedelta(days=4), 1)
    case = on_ready(case, period(T0 + timedelta(days=7)))
    assert [p.status for p in case.periods] == [PeriodStatus.REVOKED, PeriodStatus.OPEN]


def test_the_days_reported_are_referral_s_count_whatever_the_periods_would_give() -> None:
    # The periods would give 4 days (26-29 Nov); referral's count says 2 in November and 1 in
    # December at its price: billing reports exactly that, and an event without a count keeps it.
    count = (MonthLiability(Month(2026, 11), 2, 2 * 780_000), MonthLiability(Month(2026, 12), 1, 930_000))
    case = with_count(on_ready(CaseLiability("c1", "p"), period(T0)), count, T0 + timedelta(days=7))

    assert liability_by_month(on_revoked(case, T0, T0 + timedelta(days=7), 4)) == count
    assert liability_by_month(with_count(case, None)) == count
    assert case.counted_until == T0 + timedelta(days=7)
