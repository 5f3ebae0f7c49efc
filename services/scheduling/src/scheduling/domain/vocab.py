"""The scheduling domain's words (DOMAIN.md glossary), as enums. Values match the wire contracts."""

from __future__ import annotations

from enum import StrEnum


class VisitKind(StrEnum):
    HOSPITAL_VISIT = "hospital_visit"
    HOMECOMING = "homecoming"
    DAILY = "daily"
    FOLLOW_UP_MEETING = "follow_up_meeting"
    HANDOVER = "handover"
    FOLLOW_UP_CALL = "follow_up_call"


# Visits of the period proper (the follow-up call comes after it).
TEAM_VISITS = frozenset(
    {VisitKind.HOSPITAL_VISIT, VisitKind.HOMECOMING, VisitKind.DAILY, VisitKind.FOLLOW_UP_MEETING, VisitKind.HANDOVER}
)
HOME_VISITS = frozenset({VisitKind.HOMECOMING, VisitKind.DAILY, VisitKind.FOLLOW_UP_MEETING, VisitKind.HANDOVER})


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MISSED = "missed"


OPEN_STATUSES = frozenset({VisitStatus.SCHEDULED, VisitStatus.STARTED, VisitStatus.MISSED})


class Location(StrEnum):
    HOSPITAL = "hospital"
    HOME = "home"
    DIGITAL = "digital"
    PHONE = "phone"


class PeriodKind(StrEnum):
    DAYS = "days"
    HOURS_POT = "hours_pot"


class PeriodStatus(StrEnum):
    WAITING = "waiting"  # on the team's waiting list (not on the wire as a period status)
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    ENDED = "ended"


class PeriodChange(StrEnum):
    EXTENDED = "extended"
    SHORTENED = "shortened"
    PUT_ON_HOLD = "put_on_hold"
    RESUMED = "resumed"
    HOMECOMING_MOVED = "homecoming_moved"
    CONTACT_PERSON_CHANGED = "contact_person_changed"
    HOURS_CHANGED = "hours_changed"
    OTHER = "other"


class ChangeReason(StrEnum):
    DISCHARGE_TIME = "discharge_time"
    FIELD_REQUEST = "field_request"
    DECISION_CHANGED = "decision_changed"
    SICK_CALL = "sick_call"
    ABSENCE = "absence"
    REBALANCED = "rebalanced"
    RESUMED = "resumed"
    OTHER = "other"


class CancelReason(StrEnum):
    DECLINED = "declined"
    READMITTED = "readmitted"
    DECEASED = "deceased"
    READY_REVOKED = "ready_revoked"
    PERIOD_SHORTENED = "period_shortened"
    PERIOD_ENDED = "period_ended"
    HOURS_USED = "hours_used"
    REPLANNED = "replanned"
    OTHER = "other"


class EndReason(StrEnum):
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    READMITTED = "readmitted"
    DECEASED = "deceased"
    DECLINED = "declined"
    CASE_CANCELLED = "case_cancelled"
    HOURS_USED = "hours_used"


class SupportLevel(StrEnum):
    INDEPENDENT = "independent"
    SOME_HELP = "some_help"
    FULL_HELP = "full_help"
    NOT_ASSESSED = "not_assessed"


class Trend(StrEnum):
    FALLING = "falling"
    STABLE = "stable"
    RISING = "rising"
    UNKNOWN = "unknown"


class RatingMoment(StrEnum):
    FIRST_VISIT = "first_visit"
    LAST_VISIT = "last_visit"


class FollowUp(StrEnum):
    MEETING = "meeting"
    CALL = "call"
