"""The scheduling domain's words (DOMAIN.md glossary), as enums.

The words the wire speaks too are declared once, in `trygg_shared.vocabulary.scheduling` (plain
enums, no wire), and are these very classes; some go by a shorter name here. `PeriodStatus` is the
domain's own: it has a state the wire lacks (the enum-drift test keeps its other values equal
to the wire's).
"""

from __future__ import annotations

from enum import StrEnum

from trygg_shared.vocabulary import scheduling as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
VisitKind = words.VisitKind
Location = words.VisitLocation
PeriodKind = words.PeriodKind
PeriodChange = words.PeriodChangeKind
ChangeReason = words.VisitChangeReason
CancelReason = words.VisitCancelReason
EndReason = words.PeriodEndReason
SupportLevel = words.SupportLevel
Trend = words.Trend
RatingMoment = words.SelfRatingMoment
FollowUp = words.FollowUpKind

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


class PeriodStatus(StrEnum):
    WAITING = "waiting"  # on the team's waiting list (not on the wire as a period status)
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    ENDED = "ended"
