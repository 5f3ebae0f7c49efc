"""SIP (samordnad individuell plan) as the console shows and counts it, from referral's events.

Referral sends the whole picture on every change (`sip_status_changed`: the deadline owed, 3
calendar days after the ready notice's day, and the first invitation) and, once per deadline,
`sip_deadline_lapsed`. The case keeps the latest picture (fold order) and the deadlines that
lapsed, so a late invitation still shows that the deadline passed without one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from trygg_shared.carry import carry


@dataclass(frozen=True)
class SipChanged:
    """The case's SIP now: the deadline (None: none owed) and the first invitation (its fields None: none yet)."""

    ready_at: datetime | None
    deadline: datetime | None
    invitation_id: str | None = None
    invited_at: datetime | None = None
    meeting_at: datetime | None = None
    place: str | None = None  # home, hospital
    source: str | None = None  # lus, officer
    invited_in_time: bool | None = None


@dataclass(frozen=True)
class SipLapsed:
    """The deadline passed without an invitation (on-call was alerted)."""

    deadline: datetime
    lapsed_at: datetime


SipFact = SipChanged | SipLapsed


@dataclass(frozen=True)
class SipLine:
    """What the case page shows of the SIP, and what the figures count."""

    deadline: datetime | None = None
    invited_at: datetime | None = None
    meeting_at: datetime | None = None
    place: str | None = None
    source: str | None = None
    invited_in_time: bool | None = None
    lapsed_deadline: datetime | None = None  # the latest deadline that lapsed without an invitation

    @property
    def lapsed(self) -> bool:
        """The current deadline passed without an invitation (an invitation may have come late since)."""
        return self.deadline is not None and self.lapsed_deadline == self.deadline


def fold_sip(line: SipLine | None, fact: SipFact) -> SipLine:
    """The SIP line after one more fact (the picture replaces the last; a lapse is kept beside it)."""
    current = line or SipLine()
    if isinstance(fact, SipLapsed):
        if current.lapsed_deadline is None or fact.deadline >= current.lapsed_deadline:
            return replace(current, lapsed_deadline=fact.deadline)
        return current
    return carry(SipLine, fact, lapsed_deadline=current.lapsed_deadline)
