"""What notification told the console of on-call alerts and messages (facts; see `console.domain.facts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AlertRaised:
    alert_id: str
    topic: str  # liability_no_decision, visit_missed, team_at_capacity, readmitted_during_period, sms_failed, sms_cap_*
    case_id: str | None
    team_id: str | None
    raised_at: datetime
    due_at: datetime | None
    responders: int


@dataclass(frozen=True)
class AlertAcknowledged:
    alert_id: str
    by: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class AlertEscalated:
    alert_id: str
    level: int
    exhausted: bool
    at: datetime


@dataclass(frozen=True)
class AlertResolved:
    """The alert closed itself: its cause is gone (e.g. the decision came before payment liability)."""

    alert_id: str
    reason: str  # decision_granted, discharged, ready_revoked
    at: datetime


@dataclass(frozen=True)
class RelativeMessage:
    """An SMS (to a relative or to on-call staff) was sent, delivered, failed or withdrawn: no number, no text."""

    message_id: str
    kind: str  # what it is about, e.g. homecoming_scheduled
    recipient_kind: str  # relative or oncall
    status: str  # sent, delivered, failed, expired, cancelled
    reason: str | None
    at: datetime
