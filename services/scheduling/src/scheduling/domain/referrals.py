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
    """The latest ready notice applies. Referral has already put the hospital's messages in
    order, and Kafka keeps one case's events in order, so the last event is the truth."""
    return replace(incoming, status=ReferralStatus.AWAITING_DECISION)


def on_revoked(current: IncomingReferral | None, revoked_at: datetime) -> IncomingReferral | None:
    if current is None:
        return None
    return replace(current, status=ReferralStatus.REVOKED)
