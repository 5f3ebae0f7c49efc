"""Wire contracts to the console's facts: the one place that reads other services' events.

Only what a page or a figure needs is kept. Fields go across by name (`trygg_shared.mapping`:
enum values become their strings, nested parts the facts' own dataclasses); only the fields
the console names otherwise, or derives, are written here.
"""

from __future__ import annotations

from datetime import datetime

from console.domain import facts as f
from console.domain import sip
from console.domain.checklist import ChecklistChanged
from trygg_shared.contracts import billing as bl
from trygg_shared.contracts import notification as nt
from trygg_shared.contracts import referral as rf
from trygg_shared.contracts import scheduling as sc
from trygg_shared.mapping import from_contract


def admission(e: rf.AdmissionNoticed) -> f.AdmissionNoticed:
    return from_contract(f.AdmissionNoticed, e, care_unit=e.care_unit.name)


def planning(e: rf.PlanningInformationReceived) -> f.PlanningReceived:
    return from_contract(f.PlanningReceived, e)


def ready(e: rf.ReadyForDischarge) -> f.ReadyNoticed:
    return from_contract(f.ReadyNoticed, e, care_unit=e.care_unit.name)


def revoked(e: rf.ReadyRevoked) -> f.ReadyRevoked:
    return from_contract(f.ReadyRevoked, e)


def discharged(e: rf.Discharged) -> f.Discharged:
    return from_contract(f.Discharged, e)


def cancelled(e: rf.MessageCancelled) -> f.MessageCancelled:
    return from_contract(f.MessageCancelled, e)


def opened(e: rf.CaseOpened) -> f.CaseOpened:
    return from_contract(f.CaseOpened, e)


def granted(e: rf.DecisionGranted) -> f.DecisionGranted:
    # The name only from a referral before person-contacts (`e.person`); None otherwise.
    return from_contract(f.DecisionGranted, e, e.person)


def person_named(e: rf.PersonContactRegistered) -> f.PersonNamed:
    """Only the name: the console shows whom a case is about, never where they live or their phone."""
    return from_contract(f.PersonNamed, e, e.person)


def changed(e: rf.DecisionChanged) -> f.DecisionChanged:
    return from_contract(f.DecisionChanged, e)


def ended(e: rf.DecisionEnded) -> f.DecisionEnded:
    return from_contract(f.DecisionEnded, e)


# --- scheduling ---------------------------------------------------------------------------------


def checklist_changed(e: sc.HomecomingChecklistChanged) -> ChecklistChanged:
    return from_contract(ChecklistChanged, e)


def period_planned(e: sc.PeriodPlanned) -> f.PeriodPlanned:
    return from_contract(f.PeriodPlanned, e)


def period_changed(e: sc.PeriodChanged) -> f.PeriodChanged:
    return from_contract(f.PeriodChanged, e)


def visit_scheduled(e: sc.VisitScheduled) -> f.VisitScheduled:
    return from_contract(f.VisitScheduled, e)


def visit_rescheduled(e: sc.VisitRescheduled) -> f.VisitRescheduled:
    return from_contract(f.VisitRescheduled, e)


def visit_reassigned(e: sc.VisitReassigned) -> f.VisitReassigned:
    return from_contract(f.VisitReassigned, e)


def visit_cancelled(e: sc.VisitCancelled) -> f.VisitCancelled:
    return from_contract(f.VisitCancelled, e)


def visit_started(e: sc.VisitStarted) -> f.VisitStarted:
    return from_contract(f.VisitStarted, e)


def visit_completed(e: sc.VisitCompleted) -> f.VisitCompleted:
    return from_contract(f.VisitCompleted, e)


def visit_missed(e: sc.VisitMissed) -> f.VisitMissed:
    return from_contract(f.VisitMissed, e)


def follow_up_due(e: sc.FollowUpDue) -> f.FollowUpDue:
    return from_contract(f.FollowUpDue, e)


def cover_ordered(e: sc.HemtjanstCoverOrdered) -> f.HemtjanstCoverOrdered:
    return from_contract(
        f.HemtjanstCoverOrdered,
        e,
        windows=len(e.windows),
        cover_windows=tuple(from_contract(f.CoverWindow, w) for w in e.windows),
        team_hours=tuple(from_contract(f.TeamHours, h) for h in e.team_hours),
    )


def handed_over(e: sc.HandedOverToHemtjanst) -> f.HandedOver:
    n = e.needs
    needs = from_contract(
        f.NeedsSummary,
        n,
        support=tuple(f.AreaSupport(area, getattr(n, area).value) for area in ("food", "medicines", "personal_care")),
        worry=(n.worry_latest, n.worry_trend.value),
        visits=(n.visits_completed, n.visits_declined, n.visits_missed),
    )
    return from_contract(f.HandedOver, e, needs=needs)


def period_ended(e: sc.PeriodEnded) -> f.PeriodEnded:
    return from_contract(f.PeriodEnded, e)


def team_configured(e: sc.TeamConfigured) -> f.TeamConfigured:
    return from_contract(f.TeamConfigured, e)


def waiting_list_changed(e: sc.WaitingListChanged) -> f.WaitingListChanged:
    return from_contract(f.WaitingListChanged, e)


def capacity_exceeded(e: sc.TeamCapacityExceeded) -> f.TeamCapacityExceeded:
    return from_contract(f.TeamCapacityExceeded, e)


def day_replanned(e: sc.DayReplanned) -> f.DayReplanned:
    return from_contract(f.DayReplanned, e)


def sip_changed(e: rf.SipStatusChanged) -> sip.SipChanged:
    return from_contract(sip.SipChanged, e, e.invitation)  # without an invitation its fields stay None


def sip_lapsed(e: rf.SipDeadlineLapsed) -> sip.SipLapsed:
    return from_contract(sip.SipLapsed, e)


# --- notification ---------------------------------------------------------------------------------


def alert_raised(e: nt.AlertRaised) -> f.AlertRaised:
    return from_contract(f.AlertRaised, e, responders=e.responders_on_call)


def alert_acknowledged(e: nt.AlertAcknowledged) -> f.AlertAcknowledged:
    return from_contract(f.AlertAcknowledged, e, by=e.acknowledged_by, at=e.acknowledged_at)


def alert_escalated(e: nt.AlertEscalated) -> f.AlertEscalated:
    return from_contract(f.AlertEscalated, e, at=e.escalated_at)


def alert_resolved(e: nt.AlertResolved) -> f.AlertResolved:
    return from_contract(f.AlertResolved, e, at=e.resolved_at)


def message_sent(e: nt.MessageSent) -> f.RelativeMessage:
    return from_contract(f.RelativeMessage, e, reason=None, at=e.sent_at)


def message_delivered(e: nt.MessageDelivered) -> f.RelativeMessage:
    return from_contract(f.RelativeMessage, e, reason=None, at=e.reported_at)


def message_failed(e: nt.MessageFailed) -> f.RelativeMessage:
    return from_contract(f.RelativeMessage, e, at=e.failed_at)


def message_cancelled(e: nt.MessageCancelled) -> f.RelativeMessage:
    return from_contract(f.RelativeMessage, e, status="cancelled", at=e.cancelled_at)


# --- billing ----------------------------------------------------------------------------------------


def liability_accrued(e: bl.LiabilityDaysAccrued, at: datetime) -> f.LiabilityAccrued:
    return from_contract(f.LiabilityAccrued, e, at=e.ended_at or at)
