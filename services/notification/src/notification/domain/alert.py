"""On-call alerts: raised once, sent to who is on call, escalated down the rota until acknowledged.

An alert's id is deterministic (what it is about), so raising the same alert twice, from a
repeated event or from two replicas firing the same timer, creates it once: the first insert
wins. The responders on call when it was raised are copied into it; level 0 is told first, and
each `ack_timeout` without an acknowledgement tells the next one. After the last one the alert
stays open (the console shows it) and nobody else is messaged.

An alert whose cause is gone closes itself (`resolve`): the liability alert when a decision (or
a discharge, or a revoked ready notice) arrives. It then stops escalating, and its queued SMS
are withdrawn. An alert raised with nobody on call (`rota` None) is *unrouted*: readiness,
a metric and the console's banner say so until someone takes it; once a rota has someone on
call for it (put later, or a shift that starts), its first responder is told (`route`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from notification.domain.templates import AlertFacts, AlertTopic
from trygg_shared.carry import carry
from trygg_shared.vocabulary import notification as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
AckChannel = words.AckChannel


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"  # closed by itself: its cause is gone (e.g. the decision came)


class AlertError(Exception):
    """A state conflict (already acknowledged)."""


@dataclass(frozen=True)
class Responder:
    """One person on call: an id for events, a phone for the SMS (personal data)."""

    responder_id: str
    phone: str


@dataclass(frozen=True)
class Shift:
    starts_at: datetime
    ends_at: datetime
    responders: tuple[Responder, ...]  # in escalation order


@dataclass(frozen=True)
class Rota:
    """Who is on call when, for one team (or the municipality's default rota)."""

    team_id: str
    shifts: tuple[Shift, ...]
    # The team lead, told first of the team's own alerts in its working hours (the homecoming
    # checklist); on-call staff of the shift follow when the lead does not acknowledge.
    team_lead: Responder | None = None

    def on_call(self, now: datetime) -> tuple[Responder, ...]:
        for shift in self.shifts:
            if shift.starts_at <= now < shift.ends_at:
                return shift.responders
        return ()


# The alert's events: what the alert is about (its id, topic, case, team) and the change, each built
# from the alert by field name (`carry`).


@dataclass(frozen=True)
class AlertRaised:
    alert_id: str
    topic: AlertTopic
    case_id: str | None
    team_id: str | None
    raised_at: datetime
    responders: int
    due_at: datetime | None
    rota: str | None = None  # the rota whose staff are told; None: nobody on call (unrouted)


@dataclass(frozen=True)
class AlertAcknowledged:
    alert_id: str
    topic: AlertTopic
    case_id: str | None
    team_id: str | None
    by: str
    channel: AckChannel
    at: datetime
    raised_at: datetime


@dataclass(frozen=True)
class AlertEscalated:
    alert_id: str
    topic: AlertTopic
    case_id: str | None
    team_id: str | None
    level: int  # the responder now told (0-based); -1 when nobody is left
    at: datetime
    exhausted: bool


@dataclass(frozen=True)
class AlertResolved:
    alert_id: str
    topic: AlertTopic
    case_id: str | None
    team_id: str | None
    reason: str  # what closed it, e.g. `decision_granted`
    at: datetime
    raised_at: datetime


@dataclass
class Alert:
    alert_id: str
    topic: AlertTopic
    facts: AlertFacts
    raised_at: datetime
    ack_code: str
    responders: tuple[Responder, ...]
    case_id: str | None = None
    team_id: str | None = None
    state: AlertState = AlertState.OPEN
    level: int = 0
    escalate_at: datetime | None = None
    notify_pending: bool = False  # the current level's SMS is still to be queued
    exhausted: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    channel: AckChannel | None = None
    escalations: list[datetime] = field(default_factory=list)
    rota: str | None = None  # the rota the responders came from; None when nobody was on call
    resolved_reason: str | None = None
    resolved_at: datetime | None = None

    @classmethod
    def raise_(
        cls,
        alert_id: str,
        topic: AlertTopic,
        facts: AlertFacts,
        *,
        now: datetime,
        ack_code: str,
        responders: tuple[Responder, ...],
        ack_timeout: timedelta,
        case_id: str | None = None,
        team_id: str | None = None,
        rota: str | None = None,
    ) -> tuple[Alert, list[object]]:
        alert = cls(
            alert_id=alert_id,
            topic=topic,
            facts=facts,
            raised_at=now,
            ack_code=ack_code,
            responders=responders,
            case_id=case_id,
            team_id=team_id,
            escalate_at=now + ack_timeout if responders else None,
            notify_pending=bool(responders),
            exhausted=not responders,
            rota=rota if responders else None,
        )
        return alert, [carry(AlertRaised, alert, responders=len(responders), due_at=facts.at)]

    @property
    def unrouted(self) -> bool:
        """Open, and nobody was on call to be told."""
        return self.state is AlertState.OPEN and not self.responders

    def route(
        self, responders: tuple[Responder, ...], rota: str, now: datetime, ack_timeout: timedelta
    ) -> list[object] | None:
        """An unrouted alert reaches a rota with someone on call now (put after it was raised): its
        first responder is told, then it escalates as any alert. None when it is not unrouted
        (routed already, by this or another replica, or closed), so it is routed once."""
        if not self.unrouted or not responders:
            return None
        self.responders, self.rota = responders, rota
        self.level, self.exhausted = 0, False
        self.escalate_at = now + ack_timeout
        self.notify_pending = True
        return []

    def acknowledge(self, by: str, channel: AckChannel, now: datetime) -> list[object]:
        if self.state is AlertState.ACKNOWLEDGED:
            raise AlertError(f"alert {self.alert_id} was already acknowledged")
        if self.state is AlertState.RESOLVED:
            raise AlertError(f"alert {self.alert_id} closed itself ({self.resolved_reason})")
        self.state = AlertState.ACKNOWLEDGED
        self.acknowledged_by, self.acknowledged_at, self.channel = by, now, channel
        self.escalate_at = None
        self.notify_pending = False
        return [carry(AlertAcknowledged, self, by=by, at=now)]

    def resolve(self, reason: str, now: datetime) -> list[object] | None:
        """The cause is gone: close the alert, stop escalating; None when it was closed already."""
        if self.state is not AlertState.OPEN:
            return None
        self.state = AlertState.RESOLVED
        self.resolved_reason, self.resolved_at = reason, now
        self.escalate_at = None
        self.notify_pending = False
        return [carry(AlertResolved, self, reason=reason, at=now)]

    def responder_by_phone(self, phone: str) -> Responder | None:
        """The responder told so far with this phone number (a reply comes from their phone)."""
        for responder in self.responders[: self.level + 1]:
            if responder.phone == phone:
                return responder
        return None

    def escalation_due(self, now: datetime) -> bool:
        return self.state is AlertState.OPEN and self.escalate_at is not None and self.escalate_at <= now

    def escalate(self, now: datetime, ack_timeout: timedelta) -> list[object] | None:
        """Tell the next responder; None when not due (acknowledged, or escalated meanwhile)."""
        if not self.escalation_due(now):
            return None
        self.escalations.append(now)
        if self.level + 1 < len(self.responders):
            self.level += 1
            self.escalate_at = now + ack_timeout
            self.notify_pending = True
            return [carry(AlertEscalated, self, at=now)]  # the level now told, not exhausted
        self.escalate_at = None
        self.exhausted = True
        return [carry(AlertEscalated, self, level=-1, at=now)]

    def notified(self, level: int) -> list[object] | None:
        """The SMS for `level` is queued."""
        if not self.notify_pending or level != self.level:
            return None
        self.notify_pending = False
        return []
