"""Incoming referrals: the newest ready notice wins; a revocation only stops what it follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduling.domain.referrals import IncomingReferral, ReferralStatus, on_ready, on_revoked

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def referral(ready_at: datetime) -> IncomingReferral:
    return IncomingReferral("c1", "p_1", "Avd 61", ready_at, None, ready_at + timedelta(days=3))


def test_a_first_ready_notice_creates_a_referral_awaiting_decision() -> None:
    assert on_ready(None, referral(T0)).status is ReferralStatus.AWAITING_DECISION


def test_the_latest_event_applies_even_for_an_earlier_ready_notice_that_runs_again() -> None:
    # Referral re-sends an earlier ready notice when a newer one was withdrawn (makulering).
    resumed = on_ready(referral(T0 + timedelta(days=1)), referral(T0))
    assert resumed.ready_at == T0
    assert resumed.status is ReferralStatus.AWAITING_DECISION


def test_a_new_ready_notice_after_a_revocation_reopens_the_referral() -> None:
    revoked = on_revoked(referral(T0), T0 + timedelta(hours=2))
    assert revoked is not None
    assert revoked.status is ReferralStatus.REVOKED
    assert on_ready(revoked, referral(T0 + timedelta(days=1))).status is ReferralStatus.AWAITING_DECISION


def test_a_revocation_without_a_referral_creates_nothing() -> None:
    assert on_revoked(None, T0) is None
