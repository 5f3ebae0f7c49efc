"""The case's liability record: periods open, stop, are superseded; discharge fixes the days owed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.domain.liability import CaseLiability, LiabilityPeriod, PeriodStatus, on_discharged, on_ready, on_revoked

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
