"""The notification service's words: messages, their recipients and delivery, on-call alerts.

Spoken by `notification.domain` and published in `trygg_shared.contracts.notification`. Values, names
and docstrings are the wire's: see the package docstring.
"""

from __future__ import annotations

from enum import StrEnum


# What a message is about: a Trygg hemgång decision granted (`service_started`), the joint visit with
# hemtjänst planned (`handover_visit`), hemtjänst has taken over (`handed_over`), ...
class MessageKind(StrEnum):
    SERVICE_STARTED = "service_started"
    HOMECOMING_SCHEDULED = "homecoming_scheduled"
    HOMECOMING_CHANGED = "homecoming_changed"
    FOLLOW_UP_MEETING = "follow_up_meeting"
    HANDOVER_VISIT = "handover_visit"
    HANDED_OVER = "handed_over"
    PERIOD_ENDED = "period_ended"
    ONCALL_ALERT = "oncall_alert"


class RecipientKind(StrEnum):
    RELATIVE = "relative"
    ONCALL = "oncall"


class DeliveryStatus(StrEnum):
    """Provider statuses normalised (46elks, Twilio, local)."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"


class CancelReason(StrEnum):
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DAILY_CAP = "daily_cap_reached"
    CASE_CLOSED = "case_closed"
    SUPERSEDED = "superseded"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ALERT_RESOLVED = "alert_resolved"


# Why on-call staff are alerted.
class AlertTopic(StrEnum):
    LIABILITY_NO_DECISION = "liability_no_decision"
    VISIT_MISSED = "visit_missed"
    TEAM_AT_CAPACITY = "team_at_capacity"
    READMITTED_DURING_PERIOD = "readmitted_during_period"
    SMS_FAILED = "sms_failed"
    SMS_CAP_CASE = "sms_cap_case"  # ops: a decision refused, more consenting relatives than a case may have
    SMS_CAP_OFFICER_DAY = "sms_cap_officer_day"  # ops: a decision refused, an officer's consents for the day used up
    HOMECOMING_CHECKLIST_OPEN = "homecoming_checklist_open"  # the team lead: an item open before the homecoming
    SIP_DEADLINE_LAPSED = "sip_deadline_lapsed"  # no SIP invitation within 3 days of the ready notice


class AckChannel(StrEnum):
    API = "api"
    LINK = "link"
    REPLY = "reply"
