"""Events the scheduling service publishes (wire contracts: frozen, data only, a description per field).

Two streams:

- `SCHEDULING_PERIOD_EVENTS`, keyed by case id: one Trygg hemgång period and its visits, follow-ups,
  hemtjänst cover, handover and end. Every event carries the pseudonymous `person_ref`, the
  `period_id` and the `team_id` (join with `TeamConfigured` for the team's phone and hours).
- `SCHEDULING_TEAM_EVENTS`, keyed by team id: team configuration, capacity, the waiting list and
  day re-plans (declared in `scheduling_team.py`, re-exported here).

Personal data: no names, identity numbers, addresses or phone numbers of the person or relatives
(notification takes relatives from referral's decision events). Visit notes written in the field
stay in scheduling (read them there, audited); the wire carries structured, coded facts only
(support levels, counts, EQ-5D-5L numbers). Staff ids identify team members, not clients. All
times are timezone-aware (UTC on the wire); dates are the team's local (Europe/Stockholm) dates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import CaseEvent, IntegrationEvent, Part
from trygg_shared.contracts.scheduling_checklist import (
    CHECKLIST_EVENTS,
    ChecklistItemState,
    HomecomingChecklistChanged,
    HomecomingChecklistOverdue,
)
from trygg_shared.contracts.scheduling_team import (
    TEAM_EVENTS,
    DayReplanned,
    TeamCapacityExceeded,
    TeamConfigured,
    TeamMember,
    WaitingListChanged,
    Weekday,
    WeekdayHours,
)
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS
from trygg_shared.fields import PlausibleDate, PlausibleDatetime, Text
from trygg_shared.vocabulary.scheduling import (
    CapacityLimit,
    ChecklistChangeKind,
    CoverCause,
    CoverReason,
    FollowUpKind,
    PeriodChangeKind,
    PeriodEndReason,
    PeriodKind,
    SelfRatingMoment,
    SupportLevel,
    Trend,
    VisitCancelReason,
    VisitChangeReason,
    VisitKind,
    VisitLocation,
    WaitingListChange,
)

_PREFIX = "se.trygghemgang.scheduling."

# The team and checklist events are declared in `scheduling_team` and `scheduling_checklist` and are
# this module's contracts too.
__all__ = [
    "SCHEDULING_EVENTS",
    "CapacityLimit",
    "ChecklistChangeKind",
    "ChecklistItemState",
    "CoverCause",
    "CoverReason",
    "CoverWindow",
    "DayReplanned",
    "FollowUpDue",
    "FollowUpKind",
    "HandedOverToHemtjanst",
    "HemtjanstCoverOrdered",
    "HomecomingChecklistChanged",
    "HomecomingChecklistOverdue",
    "NeedsSummary",
    "PeriodChangeKind",
    "PeriodChanged",
    "PeriodEndReason",
    "PeriodEnded",
    "PeriodKind",
    "PeriodPlanned",
    "PeriodStatus",
    "SelfRating",
    "SelfRatingMoment",
    "SupportLevel",
    "TeamCapacityExceeded",
    "TeamConfigured",
    "TeamMember",
    "Trend",
    "VisitCancelReason",
    "VisitCancelled",
    "VisitChangeReason",
    "VisitCompleted",
    "VisitKind",
    "VisitLocation",
    "VisitMissed",
    "VisitReassigned",
    "VisitRescheduled",
    "VisitScheduled",
    "VisitStarted",
    "WaitingListChange",
    "WaitingListChanged",
    "Weekday",
    "WeekdayHours",
]


# --- vocabularies -------------------------------------------------------------------------------


class PeriodStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    ENDED = "ended"


# --- parts ----------------------------------------------------------------------------------------


class SelfRating(Part):
    """EQ-5D-5L (levels 1 = no problems .. 5 = extreme problems) plus the two extra questions."""

    moment: SelfRatingMoment = Field(description="At the first or the last visit of the period.")
    mobility: int = Field(ge=1, le=5, description="EQ-5D-5L mobility level, 1-5.")
    self_care: int = Field(ge=1, le=5, description="EQ-5D-5L self-care level, 1-5.")
    usual_activities: int = Field(ge=1, le=5, description="EQ-5D-5L usual activities level, 1-5.")
    pain_discomfort: int = Field(ge=1, le=5, description="EQ-5D-5L pain/discomfort level, 1-5.")
    anxiety_depression: int = Field(ge=1, le=5, description="EQ-5D-5L anxiety/depression level, 1-5.")
    vas: int = Field(ge=0, le=100, description="EQ VAS: own health today, 0 (worst) to 100 (best).")
    worry: int = Field(ge=1, le=5, description="Extra question: worry about managing at home, 1 (none) to 5 (very).")
    safety: int = Field(ge=1, le=5, description="Extra question: feeling safe at home, 1 (not at all) to 5 (fully).")


class CoverWindow(Part):
    start: PlausibleDatetime = Field(description="Start of a window the team does not cover (inclusive).")
    end: PlausibleDatetime = Field(description="End of the window (exclusive).")
    reason: CoverReason = Field(description="Why the team does not cover it.")
    cause: CoverCause | None = Field(
        None,
        description="What the window is for hemtjänst: morning (07:00 until the team starts), evening (from the "
        "team's end until 22:00), night (22:00-07:00), weekend, day_off, holiday. None in orders made before it "
        "was sent.",
    )
    holiday: Text | None = Field(
        None, max_length=100, description="The public holiday's Swedish name (cause holiday), e.g. Midsommarafton."
    )


class NeedsSummary(Part):
    """Kartläggning in coded form, built from the period's visit notes: the officer's basis."""

    visits_completed: int = Field(ge=0, description="Visits completed in the period so far.")
    visits_declined: int = Field(ge=0, description="Visits the person declined.")
    visits_missed: int = Field(ge=0, description="Visits not started in time.")
    average_visit_minutes: int | None = Field(None, ge=0, description="Mean length of completed visits.")
    food: SupportLevel = Field(description="Help needed with food and meals (latest assessment).")
    medicines: SupportLevel = Field(description="Help needed with medicines (latest assessment).")
    personal_care: SupportLevel = Field(
        SupportLevel.NOT_ASSESSED, description="Help needed with personal care (latest assessment)."
    )
    aids_in_use: tuple[Text, ...] = Field(
        (), description="Assistive aids in use at home (coded names, e.g. 'rollator')."
    )
    aids_missing: tuple[Text, ...] = Field((), description="Aids noted as missing or needed.")
    worry_latest: int | None = Field(None, ge=1, le=5, description="Latest worry rating noted, 1-5.")
    worry_trend: Trend = Field(Trend.UNKNOWN, description="Worry from the first to the latest rating.")
    suggested_visits_per_day: int | None = Field(
        None, ge=0, description="Visits per day the team judged needed at the end (0 = none)."
    )
    has_free_text_notes: bool = Field(
        False, description="Free-text visit notes exist; read them in scheduling (audited), never on the wire."
    )


# --- period events (keyed by case id) -----------------------------------------------------------


class _PeriodEvent(CaseEvent):
    TOPIC: ClassVar[str] = SCHEDULING_PERIOD_EVENTS

    person_ref: Text = Field(description="Pseudonymous reference to the person (as in referral's events).")
    period_id: Text = Field(description="The Trygg hemgång period (one per granted decision).")
    team_id: Text = Field(description="The team that carries out the period (see TeamConfigured).")


class _VisitEvent(_PeriodEvent):
    visit_id: Text = Field(description="The visit.")
    kind: VisitKind = Field(description="What the visit is for.")


class PeriodPlanned(_PeriodEvent):
    """A granted decision was planned: the team has a period with visits for the person."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "period_planned.v1"
    decision_id: Text = Field(description="The referral decision this period carries out.")
    period_kind: PeriodKind = Field(description="Days (rambeslut) or a pot of hours (hemgångsbeslut).")
    start_date: PlausibleDate = Field(description="First day of the period.")
    end_date: PlausibleDate = Field(description="Last planned day of the period, inclusive.")
    hours_granted: float | None = Field(None, ge=0, description="The pot of hours (hours_pot periods only).")
    contact_person_id: Text | None = Field(None, description="Staff id of the person's contact person.")
    visits_planned: int = Field(ge=0, description="Visits scheduled in this plan.")
    status: PeriodStatus = Field(description="planned, or on_hold when the ready notice is revoked.")
    hemtjanst_cover_ordered: bool = Field(description="A hemtjänst cover order accompanies this plan.")
    waited_days: int = Field(0, ge=0, description="Days the case waited on the waiting list first.")
    planned_at: PlausibleDatetime = Field(description="When the period was planned.")


class PeriodChanged(_PeriodEvent):
    """The period's terms or state changed; carries the current terms."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "period_changed.v1"
    change: PeriodChangeKind = Field(description="What changed.")
    status: PeriodStatus = Field(description="The period's state after the change.")
    start_date: PlausibleDate = Field(description="First day of the period.")
    end_date: PlausibleDate = Field(description="Last planned day, inclusive, after the change.")
    hours_granted: float | None = Field(None, ge=0, description="The pot of hours after the change.")
    contact_person_id: Text | None = Field(None, description="Staff id of the contact person after the change.")
    changed_at: PlausibleDatetime = Field(description="When.")


class VisitScheduled(_VisitEvent):
    """A visit was put in the plan."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_scheduled.v1"
    planned_start: PlausibleDatetime = Field(description="Start of the planned visit window.")
    planned_end: PlausibleDatetime = Field(description="End of the planned visit window.")
    location: VisitLocation = Field(description="Where the visit takes place.")
    staff_id: Text | None = Field(None, description="Staff id of who makes the visit; None = not yet staffed.")
    by_contact_person: bool = Field(False, description="The contact person makes the visit.")
    officer_invited: bool = Field(False, description="Follow-up meeting: the needs-assessment officer is invited.")
    with_hemtjanst: bool = Field(False, description="Handover: a joint visit with hemtjänst.")


class VisitRescheduled(_VisitEvent):
    """A visit moved in time (and possibly to another team member)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_rescheduled.v1"
    previous_start: PlausibleDatetime = Field(description="Planned start before the change.")
    planned_start: PlausibleDatetime = Field(description="New planned start.")
    planned_end: PlausibleDatetime = Field(description="New planned end.")
    staff_id: Text | None = Field(None, description="Staff id after the change; None = not staffed.")
    by_contact_person: bool = Field(False, description="The contact person makes the visit.")
    reason: VisitChangeReason = Field(description="Why it moved.")


class VisitReassigned(_VisitEvent):
    """A visit got another team member (same time), e.g. after a sick call."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_reassigned.v1"
    planned_start: PlausibleDatetime = Field(description="Planned start (unchanged).")
    previous_staff_id: Text | None = Field(None, description="Staff id before.")
    staff_id: Text | None = Field(None, description="Staff id after; None = nobody free (unstaffed).")
    by_contact_person: bool = Field(False, description="The contact person makes the visit after the change.")
    reason: VisitChangeReason = Field(description="Why.")


class VisitCancelled(_VisitEvent):
    """A planned visit will not take place."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_cancelled.v1"
    planned_start: PlausibleDatetime = Field(description="When it was planned to start.")
    reason: VisitCancelReason = Field(description="Why it was cancelled.")
    cancelled_by: Text = Field(description="Staff id of who cancelled it, or 'system'.")
    cancelled_at: PlausibleDatetime = Field(description="When.")


class VisitStarted(_VisitEvent):
    """The team member started the visit (from the field app)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_started.v1"
    staff_id: Text = Field(description="Staff id of who started it.")
    planned_start: PlausibleDatetime = Field(description="Planned start.")
    started_at: PlausibleDatetime = Field(description="Actual start.")


class VisitCompleted(_VisitEvent):
    """A visit took place: billing counts visit hours, the console continuity and EQ-5D change."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_completed.v1"
    staff_id: Text = Field(description="Staff id of who made the visit.")
    by_contact_person: bool = Field(description="The person's contact person made the visit.")
    planned_start: PlausibleDatetime = Field(description="Planned start.")
    started_at: PlausibleDatetime = Field(description="Actual start.")
    ended_at: PlausibleDatetime = Field(description="Actual end.")
    duration_minutes: int = Field(ge=0, description="Actual length in whole minutes (rounded half up).")
    self_rating: SelfRating | None = Field(None, description="EQ-5D-5L + extra questions, at the first/last visit.")
    minutes_used_total: int | None = Field(
        None, ge=0, description="Hours-pot periods: visit minutes used so far in the period, this visit included."
    )


class VisitMissed(_VisitEvent):
    """A visit was not started within the grace time after its window opened."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "visit_missed.v1"
    staff_id: Text | None = Field(None, description="Staff id of who should have made it.")
    planned_start: PlausibleDatetime = Field(description="Planned start.")
    planned_end: PlausibleDatetime = Field(description="Planned end.")
    grace_minutes: int = Field(ge=0, description="Minutes after the planned start the check waited.")
    detected_at: PlausibleDatetime = Field(description="When it was found missed.")


class FollowUpDue(_VisitEvent):
    """A follow-up meeting or call is due now (fired from a persisted timer)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "follow_up_due.v1"
    follow_up: FollowUpKind = Field(description="Meeting (uppföljning) or call (~14 days after the period).")
    due_at: PlausibleDatetime = Field(description="When it is due.")
    staff_id: Text | None = Field(None, description="Staff id of who holds it.")
    officer_invited: bool = Field(False, description="The needs-assessment officer is invited (meeting).")
    location: VisitLocation = Field(description="Home, digital or phone.")


class HemtjanstCoverOrdered(_PeriodEvent):
    """Time the team does not cover, handed to hemtjänst so nobody is left without support.

    Each order carries the complete set of windows for the period from `valid_from`; it replaces
    earlier orders for the same period from that time on.
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "hemtjanst_cover_ordered.v1"
    order_id: Text = Field(description="Id of this order.")
    valid_from: PlausibleDatetime = Field(description="This order replaces earlier ones from this time on.")
    windows: tuple[CoverWindow, ...] = Field(description="Windows hemtjänst must cover, in time order.")
    decision_orders_hemtjanst: bool = Field(
        description="The decision already orders hemtjänst for evenings, nights and weekends."
    )
    ordered_at: PlausibleDatetime = Field(description="When the order was made.")
    team_hours: tuple[WeekdayHours, ...] = Field(
        (), description="The team's working hours per weekday when the order was made (empty in older orders)."
    )
    team_works_holidays: bool | None = Field(
        None, description="The team works public holidays within its hours (None in older orders)."
    )


class HandedOverToHemtjanst(_PeriodEvent):
    """Överlämning: the joint handover visit took place; the needs summary is the officer's basis."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "handed_over_to_hemtjanst.v1"
    visit_id: Text = Field(description="The handover visit.")
    staff_id: Text = Field(description="Staff id of who made the handover.")
    handed_over_at: PlausibleDatetime = Field(description="When the handover visit ended.")
    needs: NeedsSummary = Field(description="Coded needs summary built from the period's visit notes.")


class PeriodEnded(_PeriodEvent):
    """The period ended: its figures for billing (visit hours) and the console (continuity)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "period_ended.v1"
    decision_id: Text = Field(description="The referral decision the period carried out.")
    period_kind: PeriodKind = Field(description="Days or a pot of hours.")
    start_date: PlausibleDate = Field(description="First day of the period.")
    planned_end_date: PlausibleDate = Field(description="Last day as planned, inclusive.")
    ended_on: PlausibleDate = Field(
        description="Actual last day, inclusive; the day before `start_date` when the period ended before its "
        "first day (0 days)."
    )
    reason: PeriodEndReason = Field(description="Why it ended.")
    visits_completed: int = Field(ge=0, description="Visits completed (follow-up call excluded).")
    visits_missed: int = Field(ge=0, description="Visits missed.")
    visits_cancelled: int = Field(ge=0, description="Visits cancelled (declined included).")
    distinct_staff: int = Field(ge=0, description="Distinct team members who made a completed visit.")
    contact_person_id: Text | None = Field(None, description="Staff id of the contact person.")
    contact_person_visits: int = Field(ge=0, description="Completed visits made by the contact person.")
    contact_person_share: float | None = Field(
        None, ge=0, le=1, description="contact_person_visits / visits_completed; None when no visit was completed."
    )
    visit_minutes: int = Field(ge=0, description="Sum of completed visits' actual minutes.")
    hours_granted: float | None = Field(None, ge=0, description="Hours-pot periods: hours granted.")
    hours_used: float | None = Field(None, ge=0, description="Hours-pot periods: hours used (visit minutes / 60).")
    follow_up_call_planned: bool = Field(description="A follow-up call is still planned after the end.")
    ended_at: PlausibleDatetime = Field(description="When the end was recorded.")


SCHEDULING_EVENTS: tuple[type[IntegrationEvent], ...] = (
    PeriodPlanned,
    PeriodChanged,
    VisitScheduled,
    VisitRescheduled,
    VisitReassigned,
    VisitCancelled,
    VisitStarted,
    VisitCompleted,
    VisitMissed,
    FollowUpDue,
    HemtjanstCoverOrdered,
    HandedOverToHemtjanst,
    PeriodEnded,
    *CHECKLIST_EVENTS,
    *TEAM_EVENTS,
)
