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


def test_the_latest_ready_event_moves_the_watch() -> None:
    moved = watch(T0, watch(T0 + timedelta(days=1)))
    assert moved.ready_at == T0
    assert moved.status is WatchStatus.WATCHING


def test_a_revocation_stops_the_watch() -> None:
    stopped = stop_watch(watch(T0), T0 + timedelta(hours=1))
    assert stopped is not None
    assert stopped.status is WatchStatus.STOPPED


def test_a_revocation_without_a_watch_creates_nothing() -> None:
    assert stop_watch(None, T0) is None
