"""What the use cases are given: stores, queries, the provider, the clock, and the policy numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from notification.domain.alert import Alert
from notification.domain.casefile import CaseFile
from notification.domain.contacts import Language, TeamContact
from notification.domain.message import Message
from notification.domain.quiet_hours import QuietHours
from notification.domain.schedule import Rules
from notification.service_layer.ports import (
    AlertQueries,
    AuditLog,
    CaseQueries,
    Claims,
    Clock,
    DailyCap,
    MessageQueries,
    NumberPolicy,
    Rotas,
    SmsProvider,
    TeamDirectory,
)
from trygg_shared.aggregate import AggregateStore, Loaded
from trygg_shared.batch import Backoff


@dataclass(frozen=True)
class Policy:
    """The numbers and texts a municipality configures (see config.Settings for their meaning)."""

    sender: str
    timezone: ZoneInfo
    quiet_hours: QuietHours
    schedule: Rules  # when relatives' texts go: the start text's wait, the reminders' moment
    liability_lead: timedelta
    ack_timeout: timedelta
    max_attempts: int
    backoff_base: timedelta
    backoff_max: timedelta
    claim_lease: timedelta
    relative_daily_cap: int
    oncall_daily_cap: int
    oncall_language: Language
    fallback_contact: TeamContact
    hemtjanst_phone: str | None
    ack_link_base: str  # e.g. https://notification.example.se/ack/
    default_rota: str  # the rota used when an alert has no team, or the team has nobody on call
    resend_when_unknown: bool  # after a crash, send again when the provider cannot be asked
    sms_numbers: NumberPolicy  # the allow-list a relative's number must be on (countries, number types)
    console_url: str = "http://127.0.0.1:8005"  # an on-call SMS links to its Alerts page

    def backoff(self, attempts: int) -> timedelta:
        factor: int = 2 ** min(max(attempts - 1, 0), 30)
        return min(self.backoff_base * factor, self.backoff_max)


def _noop() -> None:
    return None


def _ignore(_topic: str) -> None:
    return None


def _ignore_sms(_provider: str, _outcome: str) -> None:
    return None


@dataclass
class Storage:
    """Where the use cases keep and find their state: the stores, their queries, the daily cap, the
    claims, the rotas, the teams and the audit log (MongoDB in production, memory in tests)."""

    cases: AggregateStore[CaseFile]
    messages: AggregateStore[Message]
    alerts: AggregateStore[Alert]
    case_queries: CaseQueries
    message_queries: MessageQueries
    alert_queries: AlertQueries
    cap: DailyCap
    claims: Claims
    rotas: Rotas
    teams: TeamDirectory
    audit: AuditLog


@dataclass
class NotificationDeps(Storage):
    provider: SmsProvider
    clock: Clock
    policy: Policy
    wake_dispatcher: object = field(default=_noop)
    # Handed a message just queued and due now, as its insert wrote it (set by the dispatcher,
    # `entrypoints.loops.Dispatcher`): claimed without a due query. None: `nudge()` instead.
    offer_message: Callable[[Loaded[Message]], None] | None = None
    # Told when an alert is raised with nobody on call anywhere (the metric counts it); the topic.
    on_unrouted_alert: Callable[[str], None] = field(default=_ignore)
    # Told each SMS outcome (the metric counts it): provider name, then sent, failed or delivered.
    on_sms: Callable[[str, str], None] = field(default=_ignore_sms)
    # Told when a timer (an escalation, a liability watch) was saved, so the timer loop can wake
    # before its next planned check if this one is due earlier.
    wake_timers: Callable[[], None] = field(default=_noop)
    # Timers (liability watches, escalations, alert SMS to queue) that failed: tried again after
    # a pause that doubles, while the others fire (`trygg_shared.batch.Backoff`).
    timer_backoff: Backoff = field(default_factory=Backoff)
    # Messages whose dispatch raised (a bug, a record that breaks a rule): parked the same way.
    dispatch_backoff: Backoff = field(default_factory=Backoff)
    # Messages this process's dispatcher holds between its claim and its outcome's save: set
    # once the outcome is saved (a delivery report that overtakes it waits: `delivery`).
    in_flight: dict[str, asyncio.Event] = field(default_factory=dict)

    def nudge(self) -> None:
        wake = self.wake_dispatcher
        if callable(wake):
            wake()

    def offer(self, message: Loaded[Message]) -> None:
        """A message queued just now and due: to this process's dispatcher as saved (no query)."""
        if self.offer_message is None:
            self.nudge()
        else:
            self.offer_message(message)
