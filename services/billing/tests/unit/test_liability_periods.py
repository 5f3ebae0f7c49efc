"""Liability periods: open on a ready notice, end on revocation or discharge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.domain.liability import LiabilityPeriod, PeriodStatus, close, open_period, revoke

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def period(ready_at: datetime) -> LiabilityPeriod:
    return LiabilityPeriod("c1", "p_1", ready_at, ready_at + timedelta(days=3), "a", 1, 9300)


def test_a_discharge_closes_the_period_with_the_amount_owed() -> None:
    closed = close(period(T0), T0 + timedelta(days=5), liable_days=2)
    assert closed is not None
    assert closed.status is PeriodStatus.CLOSED
    assert closed.amount_sek == 18600


def test_a_revoked_period_is_not_closed_by_a_later_discharge() -> None:
    revoked = revoke(period(T0), T0 + timedelta(hours=3))
    assert revoked is not None
    assert close(revoked, T0 + timedelta(days=5), liable_days=2) == revoked


def test_a_late_older_ready_notice_does_not_replace_the_current_period() -> None:
    newer = period(T0 + timedelta(days=1))
    assert open_period(newer, period(T0)) == newer


def test_a_revocation_before_the_current_ready_notice_changes_nothing() -> None:
    current = period(T0 + timedelta(days=1))
    assert revoke(current, T0) == current
