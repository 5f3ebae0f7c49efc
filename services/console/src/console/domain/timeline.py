"""The case page's timeline: one line per recorded fact about the case, newest first.

Which facts go on it, under which category and at what time; the words for each line are the
presentation's (`console.entrypoints.timeline_text`, in the reader's language).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.domain import facts
from console.domain.checklist import ChecklistChanged
from console.domain.facts import CaseFact, Recorded
from console.domain.sip import SipChanged, SipLapsed


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the case page's timeline: the fact it tells of, when it happened and where it belongs."""

    at: datetime
    category: str  # message, decision, plan, visit, notification, billing, other
    fact: CaseFact
    event_id: str
    trace_id: str | None


# Each kind of fact: its category, and when it happened when that is not the event's time.
_CATEGORY: tuple[tuple[type, str, str | None], ...] = (
    (facts.AdmissionNoticed, "message", None),
    (facts.PlanningReceived, "message", None),
    (facts.ReadyNoticed, "message", "ready_at"),
    (facts.ReadyRevoked, "message", "revoked_at"),
    (facts.Discharged, "message", "discharged_at"),
    (facts.MessageCancelled, "message", None),
    (facts.CaseOpened, "message", None),
    (facts.PersonNamed, "decision", "registered_at"),
    (facts.DecisionGranted, "decision", "granted_at"),
    (facts.DecisionChanged, "decision", "changed_at"),
    (facts.DecisionEnded, "decision", "ended_at"),
    (facts.PeriodPlanned, "plan", "planned_at"),
    (facts.PeriodChanged, "plan", "changed_at"),
    (facts.PeriodEnded, "plan", "ended_at"),
    (facts.FollowUpDue, "plan", "due_at"),
    (facts.HemtjanstCoverOrdered, "plan", "ordered_at"),
    (facts.HandedOver, "plan", "handed_over_at"),
    (facts.WaitingListChanged, "plan", "changed_at"),
    (facts.TeamCapacityExceeded, "plan", "occurred_at"),
    (ChecklistChanged, "plan", "changed_at"),
    (SipChanged, "plan", "invited_at"),
    (SipLapsed, "plan", "lapsed_at"),
    (facts.VisitScheduled, "visit", None),
    (facts.VisitRescheduled, "visit", None),
    (facts.VisitReassigned, "visit", None),
    (facts.VisitCancelled, "visit", "cancelled_at"),
    (facts.VisitStarted, "visit", "started_at"),
    (facts.VisitCompleted, "visit", "ended_at"),
    (facts.VisitMissed, "visit", "detected_at"),
    (facts.AlertRaised, "notification", "raised_at"),
    (facts.AlertAcknowledged, "notification", "at"),
    (facts.AlertEscalated, "notification", "at"),
    (facts.AlertResolved, "notification", "at"),
    (facts.RelativeMessage, "notification", "at"),
    (facts.LiabilityAccrued, "billing", "at"),
)


def timeline(recorded: Iterable[Recorded[CaseFact]]) -> list[TimelineEntry]:
    """The case page's timeline: one line per fact, newest first."""
    out = [_entry(r) for r in recorded]
    return sorted(out, key=lambda e: (e.at, e.event_id), reverse=True)


def _entry(r: Recorded[CaseFact]) -> TimelineEntry:
    f = r.fact
    category, at = "other", r.occurred_at
    for kind, name, when in _CATEGORY:
        if isinstance(f, kind):
            category = name
            moment = getattr(f, when) if when else None
            at = moment or r.occurred_at
            break
    return TimelineEntry(at, category, f, r.event_id, r.trace_id)
