"""Typed settings of the notification service (environment prefix `NOTIFICATION_`, nested parts with `__`).

Example: `NOTIFICATION_PROVIDER=46elks`, `NOTIFICATION_ELKS__USERNAME=u...`, `NOTIFICATION_ELKS__PASSWORD=...`,
`NOTIFICATION_PUBLIC_BASE_URL=https://notification.kommun.se`, `NOTIFICATION_CALLBACK_SECRET=...`.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator

from notification.service_layer.auth import Role
from trygg_shared.phones import SmsNumberSettings
from trygg_shared.settings import ServiceSettings
from trygg_shared.tokens import ApiToken, local_dev_tokens, uses_dev_tokens

LOCAL_DEV_CALLBACK_SECRET = "local-dev-only-callback-secret-change-me"  # noqa: S105
# On call in a fresh local system (`make run`, `trygg demo`; tools/devstack sets them): never real numbers.
LOCAL_DEV_ONCALL_PHONES = ("+46700000901", "+46700000902")
_ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,10}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class ElksSettings(BaseModel):
    """46elks account (used when `provider` is `46elks`)."""

    base_url: str = Field("https://api.46elks.com", description="46elks API base URL (tests point it at a fake).")
    username: str = Field("", description="API username (u...).")
    password: SecretStr = Field(SecretStr(""), description="API password.")


class TwilioSettings(BaseModel):
    """Twilio account (used when `provider` is `twilio`)."""

    base_url: str = Field("https://api.twilio.com", description="Twilio API base URL.")
    account_sid: str = Field("", description="Account SID (AC...).")
    auth_token: SecretStr = Field(SecretStr(""), description="Auth token; also the key of X-Twilio-Signature.")


class DayHoursSettings(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday.")
    start: time = Field(description="Local start, e.g. 08:00.")
    end: time = Field(description="Local end, e.g. 16:00.")


class ContactSettings(BaseModel):
    """Whom relatives call when the team's own configuration has not arrived from scheduling."""

    name: str = Field("Trygg hemgång", description="Shown in messages.")
    phone: str = Field("+4687000000", description="Phone number (E.164).")
    hours: list[DayHoursSettings] = Field(
        default_factory=lambda: [DayHoursSettings(weekday=d, start=time(8), end=time(16)) for d in range(5)],
        description="Answering hours per weekday.",
    )


class Settings(ServiceSettings, service="notification", port=8003):
    """Settings of the notification service; defaults run against `make run`'s local servers."""

    consumer_group: str = Field(
        "notification",
        description="Kafka consumer group of referral's case events; referral's relative contacts, scheduling's "
        "and notification's own topics use `<group>.contacts`, `<group>.periods`, `<group>.teams`, `<group>.own`.",
    )
    provider: Literal["local", "46elks", "twilio"] = Field(
        "local", description="SMS provider: `local` keeps messages in the database (shown at /ops/local-sms)."
    )
    elks: ElksSettings = Field(default_factory=ElksSettings)  # type: ignore[arg-type]
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)  # type: ignore[arg-type]
    sms_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one request to the provider.")
    sender: str = Field(
        "TryggHem",
        description="Sender shown on the phone: 3-11 letters/digits starting with a letter, or an E.164 number.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8003",
        description="Where providers reach this service (delivery reports, replies) and the ack link's base.",
    )
    console_url: str = Field(
        "http://127.0.0.1:8005",
        description="The console's address: an on-call SMS links to its Alerts page, which shows who and where "
        "after sign-in; the SMS itself names no one.",
    )
    callback_secret: SecretStr = Field(
        SecretStr(LOCAL_DEV_CALLBACK_SECRET),
        description="Key of the HMAC in callback URLs given to 46elks (which signs nothing itself).",
    )
    timezone: str = Field("Europe/Stockholm", description="Local time of quiet hours, texts and daily caps.")
    quiet_hours_start: time = Field(time(21, 0), description="Relatives' quiet hours start (local).")
    quiet_hours_end: time = Field(time(8, 0), description="Relatives' quiet hours end: held messages go then.")
    start_text_wait_seconds: float = Field(
        600.0,
        ge=0,
        le=86400,
        description="Longest a relative's text that the service starts waits (after the decision is read) for the "
        "homecoming visit's time, which scheduling plans right after the decision: it goes as soon as the time is "
        "known, with it; after this long without it, it goes without a time.",
    )
    reminder_time: time = Field(
        time(18, 0),
        description="Local time of the reminder of a follow-up meeting or joint handover visit (the day before).",
    )
    reminder_days_before: int = Field(
        1, ge=1, le=7, description="Days before a follow-up meeting or joint handover visit its reminder goes."
    )
    liability_alert_lead_hours: float = Field(
        24.0, ge=0, description="Alert on-call staff this long before payment liability starts without a decision."
    )
    ack_timeout_minutes: float = Field(
        15.0, gt=0, description="An alert not acknowledged within this time goes to the next person on the rota."
    )
    max_send_attempts: int = Field(5, ge=1, description="Attempts on timeouts and 5xx before a message fails.")
    retry_backoff_seconds: float = Field(5.0, ge=0, description="First retry delay; doubles each attempt.")
    retry_backoff_max_seconds: float = Field(300.0, ge=0, description="Longest retry delay.")
    claim_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="A message claimed for sending longer than this (its sender died) is reconciled and resumed.",
    )
    relative_daily_cap: int = Field(6, ge=1, description="Most messages one relative's number gets per local day.")
    sms_numbers: SmsNumberSettings = Field(
        default_factory=SmsNumberSettings,
        description="Numbers a relative's message may go to (checked again before a message is queued; referral "
        "checks when consent is recorded): a number off the list is recorded, never sent.",
    )
    oncall_daily_cap: int = Field(60, ge=1, description="Most messages one on-call number gets per local day.")
    oncall_language: Literal["sv", "fi", "en"] = Field("sv", description="Language of on-call alerts.")
    fallback_contact: ContactSettings = Field(
        default_factory=ContactSettings,  # type: ignore[arg-type]
        description="Team contact used until scheduling has published the team's configuration.",
    )
    hemtjanst_phone: str | None = Field(
        None,
        description="Hemtjänst's number for the handover message, when the team's configuration in scheduling "
        "names no hemtjänst unit.",
    )
    default_rota: str = Field(
        "default", description="Rota used for alerts without a team, or when the team's rota has nobody on call."
    )
    dev_fallback_rota: list[str] = Field(
        default_factory=list,
        description="Local development only (`make run` sets the local numbers +46700000901 and +46700000902): "
        "when the fallback rota does not exist at start, it is created with these numbers (E.164, escalation "
        "order) on call around the clock, so that a fresh local system alerts someone. Outside local/dev/test "
        "the service refuses to start with it set.",
    )
    resend_when_unknown: bool = Field(
        False,
        description="After a crash mid-send with a provider that cannot be asked: send again (at-least-once) "
        "instead of failing the message (at-most-once, on-call is alerted).",
    )
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=lambda: local_dev_tokens(Role),
        description="API clients as a JSON list of {token_sha256, subject, roles}; roles: oncall, ops. The default "
        "tokens dev-officer, dev-team, dev-oncall, dev-ops are for local use only.",
    )
    dispatch_concurrency: int = Field(8, ge=1, le=64, description="Messages sent at the same time by one process.")
    dispatch_poll_seconds: float = Field(1.0, gt=0, description="How often due messages are looked for when idle.")
    timer_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="Longest sleep of the timer loop (liability watches, escalations): it sleeps until the earliest "
        "timer is due and is woken by a timer saved in this process, so this bounds only how late a timer saved by "
        "another replica is first seen.",
    )

    @field_validator("sender")
    @classmethod
    def _sender_fits(cls, value: str) -> str:
        if not (_ALPHANUMERIC_SENDER.match(value) or _E164.match(value)):
            raise ValueError("sender: 3-11 letters/digits starting with a letter, or an E.164 number")
        return value

    @field_validator("dev_fallback_rota")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        if any(not _E164.match(phone) for phone in value):
            raise ValueError("dev_fallback_rota: E.164 phone numbers, e.g. +46700000901")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone") from None
        return value


def local_defaults_in_use(settings: Settings) -> list[str]:
    """Settings still at their local-development values (which must never reach production)."""
    found = []
    if settings.callback_secret.get_secret_value() == LOCAL_DEV_CALLBACK_SECRET:
        found.append("NOTIFICATION_CALLBACK_SECRET")
    if uses_dev_tokens(settings.api_tokens, local_dev_tokens(Role)):
        found.append("NOTIFICATION_API_TOKENS")
    if settings.dev_fallback_rota:
        found.append("NOTIFICATION_DEV_FALLBACK_ROTA")
    return found
