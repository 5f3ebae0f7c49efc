"""The case page's timeline: one line per recorded fact about the case, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from console.domain import facts
from console.domain.alerts import TOPICS as ALERT_TOPICS
from console.domain.facts import CaseFact, Recorded
from console.domain.visits import STOCKHOLM


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the case page's timeline."""

    at: datetime
    category: str  # message, decision, plan, visit, notification, billing
    title: str
    detail: str
    event_id: str
    trace_id: str | None


def _fmt_time(moment: datetime | None) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") if moment else "—"


def timeline(recorded: Iterable[Recorded[CaseFact]]) -> list[TimelineEntry]:
    """The case page's timeline: one line per fact, newest first."""
    out = [_entry(r) for r in recorded]
    return sorted(out, key=lambda e: (e.at, e.event_id), reverse=True)


class _Line(NamedTuple):
    category: str  # message, decision, plan, visit, notification, billing
    title: str
    detail: str = ""
    at: datetime | None = None  # when it happened, if not the event's time


def _entry(r: Recorded[CaseFact]) -> TimelineEntry:
    f = r.fact
    found = (
        _message_line(f)
        or _decision_line(f)
        or _plan_line(f)
        or _visit_line(f)
        or _notification_line(f)
        or _Line("other", type(f).__name__)
    )
    return TimelineEntry(found.at or r.occurred_at, found.category, found.title, found.detail, r.event_id, r.trace_id)


def _message_line(f: CaseFact) -> _Line | None:
    """The hospital's messages, and a case opened without one."""
    if isinstance(f, facts.AdmissionNoticed):
        detail = f"{f.care_unit}; expected discharge {f.expected_discharge_date.isoformat()}"
        if f.readmission_of_case_id:
            detail += "; readmission within 30 days"
        return _Line("message", "Admission notice (inskrivningsmeddelande)", detail)
    if isinstance(f, facts.PlanningReceived):
        unit = f"named care contact: {f.fast_vardkontakt_unit}" if f.fast_vardkontakt_unit else ""
        return _Line("message", "Planning information (planeringsunderlag)", unit)
    if isinstance(f, facts.ReadyNoticed):
        return _Line(
            "message",
            "Ready for discharge (utskrivningsklar)",
            f"payment liability from {_fmt_time(f.liability_starts_at)} at {f.daily_price_sek} kr/day",
            f.ready_at,
        )
    if isinstance(f, facts.ReadyRevoked):
        days = f"; {f.liable_days} liable days" if f.liable_days else ""
        return _Line("message", "Ready notice revoked (återkallad)", f"the payment clock stopped{days}", f.revoked_at)
    if isinstance(f, facts.Discharged):
        return _Line(
            "message",
            "Discharged (utskriven)",
            f"to {f.destination or 'unknown'}; {f.liable_days} liable days",
            f.discharged_at,
        )
    if isinstance(f, facts.MessageCancelled):
        return _Line("message", "Message cancelled (makulering)", f.cancelled_message_type or "")
    if isinstance(f, facts.CaseOpened):
        return _Line("message", "Case opened without a hospital message", f.reason.replace("_", " "))
    return None


def _decision_line(f: CaseFact) -> _Line | None:
    """The person's name confirmed, and the decision, its changes and its end."""
    if isinstance(f, facts.PersonNamed):
        return _Line("decision", "Name and home address confirmed", "for the team's visits", f.registered_at)
    if isinstance(f, facts.DecisionGranted):
        span = f"{f.length_days} days from {f.start_date}" if f.length_days and f.start_date else ""
        team = f"; {f.team}" if f.team else ""
        return _Line(
            "decision",
            f"Decision (biståndsbeslut): {f.decision_type.replace('_', ' ')}",
            f"{span}{team}; by {f.granted_by}",
            f.granted_at,
        )
    if isinstance(f, facts.DecisionChanged):
        return _Line("decision", "Decision changed", ", ".join(c.replace("_", " ") for c in f.changes), f.changed_at)
    if isinstance(f, facts.DecisionEnded):
        return _Line("decision", "Decision ended", f"{f.reason.replace('_', ' ')}; last day {f.end_date}", f.ended_at)
    return None


def _plan_line(f: CaseFact) -> _Line | None:
    """Scheduling's period, its follow-ups and handover, the waiting list and a full team."""
    if isinstance(f, facts.PeriodPlanned):
        waited = f"; waited {f.waited_days} days" if f.waited_days else ""
        return _Line(
            "plan",
            "Period planned",
            f"{f.start_date} to {f.end_date}; {f.visits_planned} visits; {f.status}{waited}",
            f.planned_at,
        )
    if isinstance(f, facts.PeriodChanged):
        return _Line(
            "plan", "Period changed", f"{f.change.replace('_', ' ')}; now {f.status}, to {f.end_date}", f.changed_at
        )
    if isinstance(f, facts.PeriodEnded):
        return _Line(
            "plan",
            "Period ended",
            f"{f.reason.replace('_', ' ')} on {f.ended_on}; {f.visits_completed} visits completed",
            f.ended_at,
        )
    if isinstance(f, facts.FollowUpDue):
        return _Line("plan", f"Follow-up {f.follow_up} due", "", f.due_at)
    if isinstance(f, facts.HemtjanstCoverOrdered):
        return _Line("plan", "Hemtjänst cover ordered", f"{f.windows} windows outside the team's hours", f.ordered_at)
    if isinstance(f, facts.HandedOver):
        return _Line("plan", "Handed over to hemtjänst (överlämning)", "", f.handed_over_at)
    if isinstance(f, facts.WaitingListChanged):
        where = f" at place {f.position}" if f.position else ""
        return _Line("plan", f"Waiting list: {f.change}{where}", f"team {f.team_id}", f.changed_at)
    if isinstance(f, facts.TeamCapacityExceeded):
        return _Line("plan", "Team full", f"{f.limit.replace('_', ' ')} {f.capacity} reached", f.occurred_at)
    return None


def _visit_line(f: CaseFact) -> _Line | None:
    """A visit scheduled, moved, reassigned, cancelled, started, completed or missed."""
    if isinstance(f, facts.VisitScheduled):
        who = f.staff_id or "unstaffed"
        return _Line("visit", f"Visit scheduled: {_kind(f.kind)}", f"{_fmt_time(f.planned_start)}; {who}")
    if isinstance(f, facts.VisitRescheduled):
        return _Line(
            "visit",
            f"Visit moved: {_kind(f.kind)}",
            f"to {_fmt_time(f.planned_start)} ({f.reason.replace('_', ' ')})",
        )
    if isinstance(f, facts.VisitReassigned):
        return _Line("visit", f"Visit reassigned: {_kind(f.kind)}", f"to {f.staff_id or 'nobody (unstaffed)'}")
    if isinstance(f, facts.VisitCancelled):
        return _Line("visit", f"Visit cancelled: {_kind(f.kind)}", f.reason.replace("_", " "), f.cancelled_at)
    if isinstance(f, facts.VisitStarted):
        return _Line("visit", f"Visit started: {_kind(f.kind)}", f"by {f.staff_id}", f.started_at)
    if isinstance(f, facts.VisitCompleted):
        rating = "; self-rating recorded" if f.self_rating else ""
        return _Line(
            "visit",
            f"Visit completed: {_kind(f.kind)}",
            f"by {f.staff_id}, {f.duration_minutes} min{rating}",
            f.ended_at,
        )
    if isinstance(f, facts.VisitMissed):
        return _Line("visit", f"Visit missed: {_kind(f.kind)}", f"planned {_fmt_time(f.planned_start)}", f.detected_at)
    return None


def _notification_line(f: CaseFact) -> _Line | None:
    """On-call alerts, SMS to relatives and staff, and the payment liability billing counted."""
    if isinstance(f, facts.AlertRaised):
        return _Line("notification", f"On-call alert: {ALERT_TOPICS.get(f.topic, f.topic)}", "", f.raised_at)
    if isinstance(f, facts.AlertAcknowledged):
        return _Line("notification", "On-call alert acknowledged", f"by {f.by} ({f.channel})", f.at)
    if isinstance(f, facts.RelativeMessage):
        to = "relative" if f.recipient_kind == "relative" else "on-call staff"
        why = f" ({f.reason.replace('_', ' ')})" if f.reason else ""
        return _Line("notification", f"SMS to {to}: {f.kind.replace('_', ' ')}", f"{f.status}{why}", f.at)
    if isinstance(f, facts.LiabilityAccrued):
        what = "home in time: nothing owed" if f.home_in_time else f"{f.liability_days} liable days"
        return _Line("billing", "Payment liability counted", f"{what}; {f.amount_ore // 100} kr", f.at)
    return None


_KINDS = {
    "hospital_visit": "at hospital",
    "homecoming": "homecoming",
    "daily": "daily",
    "follow_up_meeting": "follow-up meeting (uppföljning)",
    "handover": "handover",
    "follow_up_call": "follow-up call",
}


def _kind(kind: str) -> str:
    return _KINDS.get(kind, kind.replace("_", " "))
