"""Liability watches: when payment liability nears and no decision is recorded, on-call staff are alerted."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class WatchStatus(StrEnum):
    WATCHING = "watching"
    STOPPED = "stopped"  # the ready notice was revoked


@dataclass(frozen=True)
class LiabilityWatch:
    case_id: str
    person_ref: str
    ready_at: datetime
    liability_starts_at: datetime
    alert_due_at: datetime
    status: WatchStatus = WatchStatus.WATCHING
    source_event_id: str = ""


def watch_ready(
    current: LiabilityWatch | None,
    *,
    case_id: str,
    person_ref: str,
    ready_at: datetime,
    liability_starts_at: datetime,
    lead_time: timedelta,
    source_event_id: str,
) -> LiabilityWatch:
    """Start (or move) the watch. The latest event applies: referral has put the hospital's
    messages in order, and Kafka keeps one case's events in order."""
    return LiabilityWatch(
        case_id=case_id,
        person_ref=person_ref,
        ready_at=ready_at,
        liability_starts_at=liability_starts_at,
        alert_due_at=liability_starts_at - lead_time,
        source_event_id=source_event_id,
    )


def stop_watch(current: LiabilityWatch | None, revoked_at: datetime) -> LiabilityWatch | None:
    if current is None:
        return None
    return replace(current, status=WatchStatus.STOPPED)
