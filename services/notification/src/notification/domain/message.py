"""One SMS: the intent recorded before sending, and its delivery from queued to delivered or failed.

The message id is deterministic (what caused it + who receives it), so an event that arrives
twice makes the same message, never a second one. Sending is claimed: a dispatcher moves the
message from `queued` to `sending` (one conditional write, so one dispatcher wins), calls the
provider, then records the outcome. A message found in `sending` after its claim lapsed is the
crash-between-send-and-record case: it is *reconciled* with the provider before anything is
sent again (see the service README for the guarantee).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from notification.domain.contacts import Language
from notification.domain.templates import MessageKind
from trygg_shared.carry import carry
from trygg_shared.vocabulary import notification as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
DeliveryStatus = words.DeliveryStatus
RecipientKind = words.RecipientKind
CancelReason = words.CancelReason


class MessageState(StrEnum):
    QUEUED = "queued"  # waiting for its time (quiet hours, retry backoff) or a dispatcher
    SENDING = "sending"  # claimed by a dispatcher: the provider may or may not have it
    ACCEPTED = "accepted"  # the provider took it
    SENT = "sent"  # handed to the mobile network
    DELIVERED = "delivered"  # on the phone
    FAILED = "failed"  # final: will never arrive
    EXPIRED = "expired"  # final: no delivery within the provider's validity
    CANCELLED = "cancelled"  # never sent: consent withdrawn, daily cap, case closed, superseded


_RANK = {
    DeliveryStatus.ACCEPTED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.EXPIRED: 4,
}
FINAL_STATES = frozenset({MessageState.DELIVERED, MessageState.FAILED, MessageState.EXPIRED, MessageState.CANCELLED})


class MessageError(Exception):
    """A message cannot make this transition."""


@dataclass(frozen=True)
class MessageRef:
    """What events say about a message: never its recipient's number or its text."""

    message_id: str
    kind: MessageKind
    recipient: RecipientKind
    case_id: str | None
    team_id: str | None
    alert_id: str | None


@dataclass(frozen=True)
class MessageAccepted:
    ref: MessageRef
    status: DeliveryStatus
    provider: str
    attempts: int
    at: datetime


@dataclass(frozen=True)
class MessageStatusReported:
    ref: MessageRef
    status: DeliveryStatus
    provider: str
    at: datetime


@dataclass(frozen=True)
class MessageFailed:
    ref: MessageRef
    reason: str
    provider: str | None
    attempts: int
    at: datetime
    status: DeliveryStatus = DeliveryStatus.FAILED


@dataclass(frozen=True)
class MessageCancelled:
    ref: MessageRef
    reason: CancelReason
    at: datetime


@dataclass
class Message:
    """The aggregate. `to` and `text` are personal data: stored, sent, never logged or published."""

    message_id: str
    kind: MessageKind
    recipient: RecipientKind
    recipient_id: str  # relative_id, or the on-call responder's id
    to: str
    text: str
    language: Language
    created_at: datetime
    not_before: datetime
    case_id: str | None = None
    team_id: str | None = None
    alert_id: str | None = None
    topic: str | None = None  # a newer queued message on the same topic supersedes an older one
    announces: datetime | None = None  # the visit time a relative's text gives (what they heard)
    held_for_quiet_hours: bool = False
    state: MessageState = MessageState.QUEUED
    attempts: int = 0
    claim_token: str | None = None
    claim_until: datetime | None = None
    first_claimed_at: datetime | None = None
    reconcile: bool = False  # the provider may have it already: look before sending again
    provider: str | None = None
    provider_id: str | None = None
    status_at: datetime | None = None
    reported: DeliveryStatus | None = None  # a report that came before we recorded the send
    failure_reason: str | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def ref(self) -> MessageRef:
        return carry(MessageRef, self)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def due_at(self) -> datetime | None:
        """When a dispatcher should take it: queued, its `not_before`; `sending`, when its claim
        lapses; None otherwise."""
        if self.state is MessageState.QUEUED:
            return self.not_before
        if self.state is MessageState.SENDING:
            return self.claim_until
        return None

    def due(self, now: datetime) -> bool:
        """Ready for a dispatcher: queued and its time has come, or a claim that lapsed."""
        due_at = self.due_at
        return due_at is not None and due_at <= now

    def claim(self, now: datetime, token: str, lease: timedelta) -> bool:
        """Take the message for sending; False when it is not due (someone else has it)."""
        if not self.due(now):
            return False
        if self.state is MessageState.SENDING:
            self.reconcile = True  # a dispatcher died (or hung) after claiming: it may have sent
        self.state = MessageState.SENDING
        self.attempts += 1
        self.claim_token = token
        self.claim_until = now + lease
        self.first_claimed_at = self.first_claimed_at or now
        self.history.append(("claimed", now))
        return True

    def _check_claim(self, attempt: int) -> None:
        """The dispatcher of `attempt` owns the message (it won that attempt's exactly-once claim)."""
        if self.state is not MessageState.SENDING or self.attempts != attempt:
            raise MessageError(f"message {self.message_id} is not claimed by this dispatcher")

    def accepted(
        self, attempt: int, provider: str, provider_id: str, status: DeliveryStatus, now: datetime
    ) -> list[object]:
        """The provider has the message (sent now, or found there when reconciling)."""
        self._check_claim(attempt)
        if self.reported is not None and _RANK[self.reported] > _RANK[status]:
            status = self.reported
        self.provider, self.provider_id = provider, provider_id
        self.claim_token, self.claim_until, self.reconcile = None, None, False
        self.history.append((f"accepted:{status.value}", now))
        self.status_at = now
        if status in (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED):
            self.state = MessageState(status.value)
            self.failure_reason = "provider_reported_" + status.value
            return [MessageFailed(self.ref, self.failure_reason, provider, self.attempts, now, status)]
        self.state = MessageState(status.value)
        return [MessageAccepted(self.ref, status, provider, self.attempts, now)]

    def retry_later(
        self,
        attempt: int,
        reason: str,
        now: datetime,
        delay: timedelta,
        *,
        max_attempts: int,
        ambiguous: bool,
        provider: str,
    ) -> list[object]:
        """A transient failure (timeout, 5xx): queue again after `delay`, or fail after the last attempt.

        `ambiguous`: the provider may have taken it (a timeout after the request went out), so
        the next attempt reconciles first.
        """
        self._check_claim(attempt)
        self.claim_token, self.claim_until = None, None
        self.reconcile = self.reconcile or ambiguous
        self.history.append((f"retry:{reason}", now))
        if self.attempts >= max_attempts:
            return self._fail(f"gave_up_after_{self.attempts}_attempts:{reason}", provider, now)
        self.state = MessageState.QUEUED
        self.not_before = now + delay
        return []

    def fail(self, attempt: int, reason: str, provider: str | None, now: datetime) -> list[object]:
        """A permanent failure (4xx, invalid number): no retry."""
        self._check_claim(attempt)
        return self._fail(reason, provider, now)

    def _fail(self, reason: str, provider: str | None, now: datetime) -> list[object]:
        self.state = MessageState.FAILED
        self.failure_reason = reason
        self.provider = provider or self.provider
        self.claim_token, self.claim_until, self.reconcile = None, None, False
        self.status_at = now
        self.history.append((f"failed:{reason}", now))
        return [MessageFailed(self.ref, reason, provider, self.attempts, now)]

    def cancel(self, reason: CancelReason, now: datetime, *, attempt: int | None = None) -> list[object] | None:
        """Withdraw a message not yet sent; None when it is too late (sent) or already final.

        A message being sent can only be cancelled by the dispatcher holding it (its `attempt`).
        """
        if self.state is MessageState.SENDING and attempt is not None and self.attempts == attempt:
            pass
        elif self.state is not MessageState.QUEUED:
            return None
        self.state = MessageState.CANCELLED
        self.failure_reason = reason.value
        self.claim_token, self.claim_until = None, None
        self.status_at = now
        self.history.append((f"cancelled:{reason.value}", now))
        return [MessageCancelled(self.ref, reason, now)]

    def report(self, status: DeliveryStatus, provider_id: str, now: datetime) -> list[object] | None:
        """A delivery report. Statuses only move forward; a report for a final message is ignored.

        Raises MessageError when the report names another provider message (a forged or mixed-up report).
        """
        if self.provider_id is not None and provider_id != self.provider_id:
            raise MessageError(f"report for another provider message than {self.message_id}")
        if self.state is MessageState.SENDING:
            # The report overtook our own record of the send: keep it for `accepted`.
            if self.reported is None or _RANK[status] > _RANK[self.reported]:
                self.reported = status
                return []
            return None
        if self.final or self.state is MessageState.QUEUED:
            return None
        current = DeliveryStatus(self.state.value)
        if _RANK[status] <= _RANK[current]:
            return None
        self.status_at = now
        self.history.append((f"reported:{status.value}", now))
        if status in (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED):
            self.state = MessageState(status.value)
            self.failure_reason = "provider_reported_" + status.value
            return [MessageFailed(self.ref, self.failure_reason, self.provider, self.attempts, now, status)]
        self.state = MessageState(status.value)
        return [MessageStatusReported(self.ref, status, self.provider or "", now)]
