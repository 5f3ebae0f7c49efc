"""Wire contracts to the console's facts: the one place that reads other services' events.

Only what a page or a figure needs is kept. Enum values travel as their strings.
"""

from __future__ import annotations

from datetime import datetime

from console.domain import facts as f
from trygg_shared.contracts import billing as bl
from trygg_shared.contracts import notification as nt
from trygg_shared.contracts import referral as rf
from trygg_shared.contracts import scheduling as sc


def admission(e: rf.AdmissionNoticed) -> f.AdmissionNoticed:
    return f.AdmissionNoticed(
        person_ref=e.person_ref,
        episode_id=e.episode_id,
        care_unit=e.care_unit.name,
        care_type=e.care_type.value,
        admitted_at=e.admitted_at,
        expected_discharge_date=e.expected_discharge_date,
        municipality_code=e.municipality_code,
        readmission_of_case_id=e.readmission_of_case_id,
    )


def planning(e: rf.PlanningInformationReceived) -> f.PlanningReceived:
    return f.PlanningReceived(e.person_ref, e.expected_discharge_date, e.fast_vardkontakt_unit)


def ready(e: rf.ReadyForDischarge) -> f.ReadyNoticed:
    return f.ReadyNoticed(
        person_ref=e.person_ref,
        episode_id=e.episode_id,
        care_unit=e.care_unit.name,
        care_type=e.care_type.value,
        ready_at=e.ready_at,
        planned_discharge_at=e.planned_discharge_at,
        liability_starts_at=e.liability_starts_at,
        daily_price_sek=e.daily_price_sek,
        municipality_code=e.municipality_code,
    )


def revoked(e: rf.ReadyRevoked) -> f.ReadyRevoked:
    return f.ReadyRevoked(e.person_ref, e.revoked_at, e.ready_at, e.liable_days)


def discharged(e: rf.Discharged) -> f.Discharged:
    return f.Discharged(
        e.person_ref,
        e.discharged_at,
        e.destination.value if e.destination else None,
        e.liable_days,
        e.daily_price_sek,
    )


def cancelled(e: rf.MessageCancelled) -> f.MessageCancelled:
    return f.MessageCancelled(e.person_ref, e.cancelled_message_type)


def opened(e: rf.CaseOpened) -> f.CaseOpened:
    return f.CaseOpened(e.person_ref, e.reason.value, e.municipality_code)


def granted(e: rf.DecisionGranted) -> f.DecisionGranted:
    return f.DecisionGranted(
        person_ref=e.person_ref,
        decision_id=e.decision_id,
        decision_type=e.decision_type.value,
        start_date=e.start_date,
        length_days=e.length_days,
        end_date=e.end_date,
        team=e.team,
        granted_by=e.granted_by,
        granted_at=e.granted_at,
        given_name=e.person.given_name if e.person else None,  # only from a referral before person-contacts
        family_name=e.person.family_name if e.person else None,
    )


def person_named(e: rf.PersonContactRegistered) -> f.PersonNamed:
    """Only the name: the console shows whom a case is about, never where they live or their phone."""
    return f.PersonNamed(e.person_ref, e.decision_id, e.person.given_name, e.person.family_name, e.registered_at)


def changed(e: rf.DecisionChanged) -> f.DecisionChanged:
    return f.DecisionChanged(
        e.person_ref, e.decision_id, tuple(c.value for c in e.changes), e.length_days, e.end_date, e.changed_at
    )


def ended(e: rf.DecisionEnded) -> f.DecisionEnded:
    return f.DecisionEnded(e.person_ref, e.decision_id, e.end_date, e.reason.value, e.ended_at)


# --- scheduling ---------------------------------------------------------------------------------


def period_planned(e: sc.PeriodPlanned) -> f.PeriodPlanned:
    return f.PeriodPlanned(
        person_ref=e.person_ref,
        period_id=e.period_id,
        team_id=e.team_id,
        decision_id=e.decision_id,
        start_date=e.start_date,
        end_date=e.end_date,
        contact_person_id=e.contact_person_id,
        visits_planned=e.visits_planned,
        status=e.status.value,
        waited_days=e.waited_days,
        planned_at=e.planned_at,
    )


def period_changed(e: sc.PeriodChanged) -> f.PeriodChanged:
    return f.PeriodChanged(
        e.person_ref,
        e.period_id,
        e.team_id,
        e.change.value,
        e.status.value,
        e.start_date,
        e.end_date,
        e.contact_person_id,
        e.changed_at,
    )


def visit_scheduled(e: sc.VisitScheduled) -> f.VisitScheduled:
    return f.VisitScheduled(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.planned_start,
        e.planned_end,
        e.location.value,
        e.staff_id,
        e.by_contact_person,
    )


def visit_rescheduled(e: sc.VisitRescheduled) -> f.VisitRescheduled:
    return f.VisitRescheduled(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.planned_start,
        e.planned_end,
        e.staff_id,
        e.by_contact_person,
        e.reason.value,
    )


def visit_reassigned(e: sc.VisitReassigned) -> f.VisitReassigned:
    return f.VisitReassigned(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.planned_start,
        e.staff_id,
        e.by_contact_person,
        e.reason.value,
    )


def visit_cancelled(e: sc.VisitCancelled) -> f.VisitCancelled:
    return f.VisitCancelled(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.planned_start,
        e.reason.value,
        e.cancelled_at,
    )


def visit_started(e: sc.VisitStarted) -> f.VisitStarted:
    return f.VisitStarted(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.staff_id,
        e.planned_start,
        e.started_at,
    )


def _rating(r: sc.SelfRating | None) -> f.SelfRating | None:
    if r is None:
        return None
    return f.SelfRating(
        r.moment.value,
        r.mobility,
        r.self_care,
        r.usual_activities,
        r.pain_discomfort,
        r.anxiety_depression,
        r.vas,
        r.worry,
        r.safety,
    )


def visit_completed(e: sc.VisitCompleted) -> f.VisitCompleted:
    return f.VisitCompleted(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.staff_id,
        e.by_contact_person,
        e.planned_start,
        e.started_at,
        e.ended_at,
        e.duration_minutes,
        _rating(e.self_rating),
    )


def visit_missed(e: sc.VisitMissed) -> f.VisitMissed:
    return f.VisitMissed(
        e.case_id,
        e.person_ref,
        e.period_id,
        e.team_id,
        e.visit_id,
        e.kind.value,
        e.staff_id,
        e.planned_start,
        e.planned_end,
        e.detected_at,
    )


def follow_up_due(e: sc.FollowUpDue) -> f.FollowUpDue:
    return f.FollowUpDue(e.person_ref, e.period_id, e.team_id, e.visit_id, e.kind.value, e.follow_up.value, e.due_at)


def cover_ordered(e: sc.HemtjanstCoverOrdered) -> f.HemtjanstCoverOrdered:
    return f.HemtjanstCoverOrdered(e.person_ref, e.period_id, e.team_id, e.order_id, len(e.windows), e.ordered_at)


def handed_over(e: sc.HandedOverToHemtjanst) -> f.HandedOver:
    return f.HandedOver(e.person_ref, e.period_id, e.team_id, e.visit_id, e.handed_over_at)


def period_ended(e: sc.PeriodEnded) -> f.PeriodEnded:
    return f.PeriodEnded(
        e.person_ref,
        e.period_id,
        e.team_id,
        e.start_date,
        e.ended_on,
        e.reason.value,
        e.visits_completed,
        e.visit_minutes,
        e.ended_at,
    )


def team_configured(e: sc.TeamConfigured) -> f.TeamConfigured:
    return f.TeamConfigured(
        e.team_id,
        e.name,
        e.phone,
        e.clients_per_day,
        e.new_clients_per_month,
        tuple(f.StaffMember(m.staff_id, m.display_name, m.active) for m in e.members),
        e.version,
        e.configured_at,
    )


def waiting_list_changed(e: sc.WaitingListChanged) -> f.WaitingListChanged:
    return f.WaitingListChanged(
        e.team_id,
        e.case_id,
        e.person_ref,
        e.change.value,
        e.position,
        e.waiting_since,
        e.requested_start_date,
        e.changed_at,
    )


def capacity_exceeded(e: sc.TeamCapacityExceeded) -> f.TeamCapacityExceeded:
    return f.TeamCapacityExceeded(
        e.team_id, e.case_id, e.person_ref, e.limit.value, e.capacity, e.on_date, e.waiting_count, e.occurred_at
    )


def day_replanned(e: sc.DayReplanned) -> f.DayReplanned:
    return f.DayReplanned(e.team_id, e.day, e.absent_staff_id, e.visits_reassigned, e.visits_unstaffed, e.replanned_at)


# --- notification ---------------------------------------------------------------------------------


def alert_raised(e: nt.AlertRaised) -> f.AlertRaised:
    return f.AlertRaised(e.alert_id, e.topic.value, e.case_id, e.team_id, e.raised_at, e.due_at, e.responders_on_call)


def alert_acknowledged(e: nt.AlertAcknowledged) -> f.AlertAcknowledged:
    return f.AlertAcknowledged(e.alert_id, e.acknowledged_by, e.channel.value, e.acknowledged_at)


def alert_escalated(e: nt.AlertEscalated) -> f.AlertEscalated:
    return f.AlertEscalated(e.alert_id, e.level, e.exhausted, e.escalated_at)


def alert_resolved(e: nt.AlertResolved) -> f.AlertResolved:
    return f.AlertResolved(e.alert_id, e.reason.value, e.resolved_at)


def message_sent(e: nt.MessageSent) -> f.RelativeMessage:
    return f.RelativeMessage(e.message_id, e.kind.value, e.recipient_kind.value, e.status.value, None, e.sent_at)


def message_delivered(e: nt.MessageDelivered) -> f.RelativeMessage:
    return f.RelativeMessage(e.message_id, e.kind.value, e.recipient_kind.value, e.status.value, None, e.reported_at)


def message_failed(e: nt.MessageFailed) -> f.RelativeMessage:
    return f.RelativeMessage(e.message_id, e.kind.value, e.recipient_kind.value, e.status.value, e.reason, e.failed_at)


def message_cancelled(e: nt.MessageCancelled) -> f.RelativeMessage:
    return f.RelativeMessage(
        e.message_id, e.kind.value, e.recipient_kind.value, "cancelled", e.reason.value, e.cancelled_at
    )


# --- billing ----------------------------------------------------------------------------------------


def liability_accrued(e: bl.LiabilityDaysAccrued, at: datetime) -> f.LiabilityAccrued:
    return f.LiabilityAccrued(e.liability_days, e.amount_ore, e.home_in_time, e.ended_at or at)
