"""Liability watches: alert lead time before liability starts; revocations stop the watch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notification.domain.watches import WatchStatus, stop_watch, watch_ready

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def watch(ready_at: datetime, current=None):  # type: ignore[no-untyped-def]
    return watch_ready(
        current,
        case_id="c1",
        person_ref="p_1",
        ready_at=ready_at,
        liability_starts_at=ready_at + timedelta(days=3),
        lead_time=timedelta(hours=24),
        source_event_id="e",
    )


def test_the_alert_is_due_the_lead_time_before_liability_starts() -> None:
    assert watch(T0).alert_due_at == T0 + timedelta(days=2)


def test_a_late_older_ready_notice_does_not_move_the_watch() -> None:
    newer = watch(T0 + timedelta(days=1))
    assert watch(T0, newer) == newer


def test_a_revocation_stops_the_watch() -> None:
    stopped = stop_watch(watch(T0), T0 + timedelta(hours=1))
    assert stopped is not None
    assert stopped.status is WatchStatus.STOPPED


def test_a_revocation_before_the_current_ready_notice_does_not_stop_it() -> None:
    current = watch(T0 + timedelta(days=1))
    assert stop_watch(current, T0) == current
