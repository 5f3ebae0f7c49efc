"""SIP (samordnad individuell plan): the invitation a case is owed within 3 days of its ready notice.

The rule (docs/DOMAIN.md, lagen (2017:612) om samverkan vid utskrivning från sluten hälso- och
sjukvård, 4 kap.): when the patient needs efforts from both the region and the municipality after
discharge, the fast vårdkontakt invites to a SIP within **three days** of the notice that the
patient is ready for discharge. The law says "tre dagar", not working days: calendar days. As in
every Swedish statutory period counted from a day (lagen (1930:173) om beräkning av lagstadgad
tid), the day of the notice is not counted, so the deadline is the end of the third calendar day
after it, Europe/Stockholm (a ready notice on Monday 09:00 must be followed by an invitation by
Thursday 24:00). No extension to the next working day is applied: a lapse on a weekend is
reported then, not on Monday.

*Both must act* is read from the case: the municipality got the notice, and a fast vårdkontakt
in the region's open care is named (the open care names one when it must act after discharge,
2017:612 4 kap.). A case without one has no SIP deadline; an officer may still record an
invitation.

Pure: no I/O; the case aggregate (`referral.domain.case`) holds the invitations and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from referral.domain.facts import CaseFacts, CaseStatus, PeriodEnd
from referral.domain.liability import STOCKHOLM
from referral.domain.messages import HospitalMessage, SipPlace
from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
SipSource = words.SipSource

__all__ = ["SIP_DAYS", "SipInvitation", "SipPicture", "SipPlace", "SipSource", "picture", "sip_deadline"]

SIP_DAYS = 3  # calendar days after the day of the ready notice (2017:612, 4 kap.)


@dataclass(frozen=True)
class SipInvitation:
    """One invitation to a SIP meeting: when it was sent, when and where the meeting is."""

    invitation_id: str  # the LUS message id, or a deterministic id of an officer's record
    invited_at: datetime  # when the fast vårdkontakt sent the invitation
    meeting_at: datetime  # the meeting's date and time
    place: SipPlace
    source: SipSource
    recorded_by: str  # the sending system, or the officer's subject
    recorded_at: datetime

    def same_as(self, other: SipInvitation) -> bool:
        """The same invitation recorded again (what an officer's repeated request looks like)."""
        return (self.invited_at, self.meeting_at, self.place) == (other.invited_at, other.meeting_at, other.place)


@dataclass(frozen=True)
class SipPicture:
    """What the case owes and has: the deadline (None: no SIP owed) and the first invitation."""

    ready_at: datetime | None
    deadline: datetime | None
    invitation: SipInvitation | None

    @property
    def invited_in_time(self) -> bool | None:
        """Whether the first invitation came by the deadline (None: no deadline, or no invitation)."""
        if self.deadline is None or self.invitation is None:
            return None
        return self.invitation.invited_at <= self.deadline

    def lapsed(self, now: datetime) -> bool:
        """The deadline passed without an invitation."""
        return self.deadline is not None and self.invitation is None and now >= self.deadline

    @property
    def lapse_key(self) -> str | None:
        """What a lapse is reported once per: the deadline (a new ready notice gives a new one)."""
        return self.deadline.isoformat() if self.deadline is not None else None


def sip_deadline(ready_at: datetime) -> datetime:
    """The end of the third calendar day after the day of the ready notice, Europe/Stockholm."""
    last_day = ready_at.astimezone(STOCKHOLM).date() + timedelta(days=SIP_DAYS)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=STOCKHOLM)


def owed_since(facts: CaseFacts) -> datetime | None:
    """The ready notice a SIP invitation is owed from, or None when none is owed.

    Owed while a ready notice stands (not revoked, not withdrawn) and a fast vårdkontakt is named;
    not for a cancelled case or a person who died. A discharge does not end it: the SIP is often
    held at home after discharge, and the invitation is still owed within the three days.
    """
    ready = facts.ready
    if ready is None or ready.ended_by is PeriodEnd.REVOKED:
        return None
    if facts.status in (CaseStatus.CANCELLED, CaseStatus.DECEASED) or facts.planning.fast_vardkontakt is None:
        return None
    return ready.ready_at


def from_message(m: HospitalMessage, sender_id: str | None) -> SipInvitation:
    """A hospital's `sip_kallelse` as an invitation (its id is the message's)."""
    assert m.sip_invited_at is not None
    assert m.sip_meeting_at is not None
    assert m.sip_place is not None
    return SipInvitation(
        invitation_id=m.message_id,
        invited_at=m.sip_invited_at,
        meeting_at=m.sip_meeting_at,
        place=m.sip_place,
        source=SipSource.LUS,
        recorded_by=sender_id or "hospital",
        recorded_at=m.sent_at,
    )


def picture(facts: CaseFacts, recorded: list[SipInvitation], sender_id: str | None = None) -> SipPicture:
    """The case's SIP: its deadline, if owed, and its first invitation (hospital's or officer's)."""
    ready_at = owed_since(facts)
    hospital = [from_message(m, sender_id) for m in facts.sip_messages]
    invitations = sorted((*hospital, *recorded), key=lambda i: (i.invited_at, i.invitation_id))
    return SipPicture(
        ready_at=ready_at,
        deadline=sip_deadline(ready_at) if ready_at is not None else None,
        invitation=invitations[0] if invitations else None,
    )
