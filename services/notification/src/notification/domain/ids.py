"""Deterministic ids: the same cause and recipient always give the same message or alert id."""

from __future__ import annotations

import hashlib
from datetime import datetime


def message_id(cause: str, recipient_id: str) -> str:
    """One message per (cause, recipient): `cause` is the source event id or a business key."""
    return "m_" + hashlib.sha256(f"{cause}\x1f{recipient_id}".encode()).hexdigest()[:32]


def alert_message_cause(alert_id: str, level: int) -> str:
    return f"alert:{alert_id}:level:{level}"


def liability_alert_id(case_id: str, ready_at: datetime) -> str:
    return f"liability:{case_id}:{int(ready_at.timestamp())}"


def missed_visit_alert_id(visit_id: str) -> str:
    return f"missed:{visit_id}"


def capacity_alert_id(team_id: str, case_id: str) -> str:
    return f"capacity:{team_id}:{case_id}"


def readmission_alert_id(case_id: str) -> str:
    return f"readmission:{case_id}"


def sms_failed_alert_id(message_id: str) -> str:
    return f"sms-failed:{message_id}"


def sms_cap_alert_id(window_key: str) -> str:
    """One alert per SMS cap and window (referral's `window_key`: the case's or the officer's local day)."""
    return f"sms-cap:{window_key}"


def checklist_alert_id(case_id: str, period_id: str) -> str:
    """One alert per homecoming checklist (a period's): scheduling fires its open-item alert once."""
    return f"checklist:{case_id}:{period_id}"


def sip_alert_id(case_id: str, deadline: datetime) -> str:
    """One alert per case and SIP deadline (a new ready notice gives a new deadline)."""
    return f"sip:{case_id}:{int(deadline.timestamp())}"


def recipient_day_key(phone: str, day: str) -> str:
    """The daily-cap counter of one phone number on one day (the number hashed, not stored)."""
    return "cap_" + hashlib.sha256(phone.encode()).hexdigest()[:24] + "_" + day
