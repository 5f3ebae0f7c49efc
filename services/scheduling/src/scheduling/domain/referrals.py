"""Referrals the team should know about before a decision: patients ready for discharge."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class ReferralStatus(StrEnum):
    AWAITING_DECISION = "awaiting_decision"
    REVOKED = "revoked"


@dataclass(frozen=True)
class IncomingReferral:
    """A case the team may meet at hospital: ready for discharge, decision pending."""

    case_id: str
    person_ref: str
    care_unit_name: str
    ready_at: datetime
    planned_discharge_at: datetime | None
    liability_starts_at: datetime
    status: ReferralStatus = ReferralStatus.AWAITING_DECISION
    source_event_id: str = ""


def on_ready(current: IncomingReferral | None, incoming: IncomingReferral) -> IncomingReferral:
    """The newest ready notice wins; an older one arriving late changes nothing."""
    if current is not None and current.ready_at > incoming.ready_at:
        return current
    return replace(incoming, status=ReferralStatus.AWAITING_DECISION)


def on_revoked(current: IncomingReferral | None, revoked_at: datetime) -> IncomingReferral | None:
    if current is None or current.ready_at > revoked_at:
        return current
    return replace(current, status=ReferralStatus.REVOKED)
