"""The scheduling service's words: visits, periods, hemtjänst cover, follow-ups, the team (DOMAIN.md glossary).

Spoken by `scheduling.domain` and published in `trygg_shared.contracts.scheduling` (and its team and
checklist modules). Values, names and docstrings are the wire's: see the package docstring.
"""

from __future__ import annotations

from enum import StrEnum


class VisitKind(StrEnum):
    """What a visit is for."""

    HOSPITAL_VISIT = "hospital_visit"  # optional visit at hospital before discharge
    HOMECOMING = "homecoming"  # meeting the person at home on arrival
    DAILY = "daily"  # a daily visit within the period
    FOLLOW_UP_MEETING = "follow_up_meeting"  # uppföljning, officer invited
    HANDOVER = "handover"  # joint introduction visit with hemtjänst near the end
    FOLLOW_UP_CALL = "follow_up_call"  # phone call about 14 days after the period


class VisitLocation(StrEnum):
    HOSPITAL = "hospital"
    HOME = "home"
    DIGITAL = "digital"
    PHONE = "phone"


class PeriodKind(StrEnum):
    """How the decision measures the period."""

    DAYS = "days"  # rambeslut: a number of days of visits
    HOURS_POT = "hours_pot"  # hemgångsbeslut (Gotland): a pot of hours used in the home


class PeriodChangeKind(StrEnum):
    EXTENDED = "extended"
    SHORTENED = "shortened"
    PUT_ON_HOLD = "put_on_hold"
    RESUMED = "resumed"
    HOMECOMING_MOVED = "homecoming_moved"
    CONTACT_PERSON_CHANGED = "contact_person_changed"
    HOURS_CHANGED = "hours_changed"
    OTHER = "other"


class VisitChangeReason(StrEnum):
    DISCHARGE_TIME = "discharge_time"  # the actual discharge moved the homecoming visit
    FIELD_REQUEST = "field_request"  # the team moved it (agreed with the person)
    DECISION_CHANGED = "decision_changed"
    SICK_CALL = "sick_call"  # a team member fell sick
    ABSENCE = "absence"  # a registered absence
    REBALANCED = "rebalanced"  # load balancing across the team
    RESUMED = "resumed"  # the plan was resumed after being on hold
    OTHER = "other"


class VisitCancelReason(StrEnum):
    DECLINED = "declined"  # the person declined the visit
    READMITTED = "readmitted"
    DECEASED = "deceased"
    READY_REVOKED = "ready_revoked"  # plan on hold: the ready notice was revoked
    PERIOD_SHORTENED = "period_shortened"
    PERIOD_ENDED = "period_ended"  # decision ended early or case cancelled
    HOURS_USED = "hours_used"  # the hemgångsbeslut's pot of hours is used up
    REPLANNED = "replanned"  # replaced by another visit in a re-plan
    OTHER = "other"


class FollowUpKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"


class CoverReason(StrEnum):
    """Why a window is handed to hemtjänst."""

    OUTSIDE_TEAM_HOURS = "outside_team_hours"  # evening and night
    TEAM_DAY_OFF = "team_day_off"  # a weekday the team does not work (e.g. weekend)
    PUBLIC_HOLIDAY = "public_holiday"  # a Swedish public holiday the team does not work


class CoverCause(StrEnum):
    """What a window is for hemtjänst's rounds (finer than `CoverReason`)."""

    MORNING = "morning"  # a team day from 07:00 until the team starts
    EVENING = "evening"  # a team day from the end of the team's hours until 22:00
    NIGHT = "night"  # 22:00 to 07:00
    WEEKEND = "weekend"  # a Saturday or Sunday the team does not work
    DAY_OFF = "day_off"  # another weekday the team does not work
    HOLIDAY = "holiday"  # a public holiday the team does not work (named in `holiday`)


class SupportLevel(StrEnum):
    """How much help the person needs with one area, as last assessed in the field."""

    INDEPENDENT = "independent"
    SOME_HELP = "some_help"
    FULL_HELP = "full_help"
    NOT_ASSESSED = "not_assessed"


class Trend(StrEnum):
    FALLING = "falling"
    STABLE = "stable"
    RISING = "rising"
    UNKNOWN = "unknown"


class PeriodEndReason(StrEnum):
    COMPLETED = "completed"  # ran to its planned end
    ENDED_EARLY = "ended_early"
    READMITTED = "readmitted"
    DECEASED = "deceased"
    DECLINED = "declined"
    CASE_CANCELLED = "case_cancelled"
    HOURS_USED = "hours_used"  # hemgångsbeslut: the pot of hours is used up


class SelfRatingMoment(StrEnum):
    FIRST_VISIT = "first_visit"
    LAST_VISIT = "last_visit"


class CapacityLimit(StrEnum):
    CLIENTS_PER_DAY = "clients_per_day"
    NEW_CLIENTS_PER_MONTH = "new_clients_per_month"


class WaitingListChange(StrEnum):
    ADDED = "added"
    PLANNED = "planned"  # a place freed up and the case was planned
    REMOVED = "removed"  # the case left the list without being planned (ended, deceased, ...)


class ChecklistChangeKind(StrEnum):
    """What happened to a homecoming checklist."""

    OPENED = "opened"  # the period was planned: the team's list copied, nothing ticked
    TICKED = "ticked"
    UNTICKED = "unticked"
