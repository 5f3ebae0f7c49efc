"""Events the notification service publishes (wire contracts: frozen, data only, a description per field).

For the console and for notification itself (a relative's SMS that finally failed becomes an
on-call alert). No phone numbers, names or message texts travel: a message is known by its id,
what it was about and its delivery status; an alert by its id, topic, case and team.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.topics import NOTIFICATION_EVENTS as NOTIFICATION_TOPIC
from trygg_shared.fields import PlausibleDatetime, Text
from trygg_shared.vocabulary.notification import (
    AckChannel,
    AlertTopic,
    CancelReason,
    DeliveryStatus,
    MessageKind,
    RecipientKind,
)

_PREFIX = "se.trygghemgang.notification."


class _NotificationEvent(IntegrationEvent):
    TOPIC: ClassVar[str] = NOTIFICATION_TOPIC
    PARTITION_KEY: ClassVar[str] = "stream_key"

    stream_key: Text = Field(
        description="The Kafka key: the case id, or `team:<team id>` for an event about a team (not one case)."
    )
    case_id: Text | None = Field(None, description="The case the message or alert is about, if any.")
    team_id: Text | None = Field(None, description="The team (scheduling's team id), if known.")


class _MessageEvent(_NotificationEvent):
    message_id: Text = Field(description="Id of the message (deterministic: its cause and its recipient).")
    kind: MessageKind = Field(description="What the message is about.")
    recipient_kind: RecipientKind = Field(description="A relative (with consent) or an on-call person.")
    alert_id: Text | None = Field(None, description="For on-call messages: the alert it carries.")


class MessageSent(_MessageEvent):
    """The provider took the message (or it was found there after an interrupted send)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "message_sent.v1"
    status: DeliveryStatus = Field(description="Normalised status when taken: accepted, sent or delivered.")
    provider: Text = Field(description="The provider adapter: 46elks, twilio or local.")
    attempts: int = Field(ge=1, description="Send attempts it took.")
    sent_at: PlausibleDatetime = Field(description="When the provider took it.")


class MessageDelivered(_MessageEvent):
    """A delivery report said the message reached the phone (or the network, for `sent`)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "message_delivered.v1"
    status: DeliveryStatus = Field(description="sent or delivered.")
    provider: Text = Field(description="The provider adapter.")
    reported_at: PlausibleDatetime = Field(description="When the report was received.")


class MessageFailed(_MessageEvent):
    """The message finally failed: retries used up, refused by the provider, or reported failed/expired."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "message_failed.v1"
    status: DeliveryStatus = Field(description="failed or expired.")
    reason: Text = Field(description="Why, as a code (e.g. `rejected:http_400`, `gave_up_after_5_attempts:http_503`).")
    provider: Text | None = Field(None, description="The provider adapter, if one was tried.")
    attempts: int = Field(ge=0, description="Send attempts made.")
    failed_at: PlausibleDatetime = Field(description="When it was found failed.")


class MessageCancelled(_MessageEvent):
    """The message was never sent: consent withdrawn, the recipient's daily cap, case closed, superseded."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "message_cancelled.v1"
    reason: CancelReason = Field(description="Why it was withdrawn.")
    cancelled_at: PlausibleDatetime = Field(description="When.")


class AlertRaised(_NotificationEvent):
    """An on-call alert was raised (once per cause)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "alert_raised.v1"
    alert_id: Text = Field(description="Id of the alert (deterministic: what it is about).")
    topic: AlertTopic = Field(description="Why on-call staff are alerted.")
    raised_at: PlausibleDatetime = Field(description="When it was raised.")
    due_at: PlausibleDatetime | None = Field(
        None, description="The moment the alert is about: payment liability starts, the missed visit's start."
    )
    responders_on_call: int = Field(
        ge=0, description="People on call to be told in turn (0: nobody on call anywhere, the alert is unrouted)."
    )
    rota: Text | None = Field(
        None,
        description="The rota whose on-call staff are told: the team's id, or the municipality's fallback rota "
        "when the team has nobody on call; absent when nobody is on call anywhere (unrouted).",
    )


class _AlertFollowUp(_NotificationEvent):
    """What happened next to a raised alert: it names the alert and why it was raised."""

    alert_id: Text = Field(description="The alert.")
    topic: AlertTopic = Field(description="Why it was raised.")


class AlertAcknowledged(_AlertFollowUp):
    """Someone on call took the alert."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "alert_acknowledged.v1"
    acknowledged_by: Text = Field(description="Who: an API subject (e.g. `oncall:anna`) or `oncall:<responder id>`.")
    channel: AckChannel = Field(description="Through the API, the link in the SMS, or a reply with the code.")
    acknowledged_at: PlausibleDatetime = Field(description="When.")
    seconds_to_acknowledge: int = Field(ge=0, description="Seconds from raised to acknowledged.")


class AlertEscalated(_AlertFollowUp):
    """Not acknowledged in time: the next person on the rota is told (or nobody is left)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "alert_escalated.v1"
    level: int = Field(ge=-1, description="Rota position now told (0 = first); -1 when the rota is exhausted.")
    exhausted: bool = Field(description="Nobody is left on the rota to tell; the alert stays open.")
    escalated_at: PlausibleDatetime = Field(description="When.")


class AlertResolution(StrEnum):
    DECISION_GRANTED = "decision_granted"
    DISCHARGED = "discharged"
    READY_REVOKED = "ready_revoked"
    CHECKLIST_COMPLETED = "checklist_completed"  # the homecoming checklist's last item was ticked
    SIP_INVITED = "sip_invited"  # a SIP invitation was recorded after its deadline lapsed


class AlertResolved(_AlertFollowUp):
    """The alert closed itself: what it warned about is over (a decision came before liability)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "alert_resolved.v1"
    reason: AlertResolution = Field(description="What closed it.")
    resolved_at: PlausibleDatetime = Field(description="When.")


NOTIFICATION_EVENTS: tuple[type[IntegrationEvent], ...] = (
    MessageSent,
    MessageDelivered,
    MessageFailed,
    MessageCancelled,
    AlertRaised,
    AlertAcknowledged,
    AlertEscalated,
    AlertResolved,
)
