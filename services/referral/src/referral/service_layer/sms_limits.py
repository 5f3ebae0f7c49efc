"""Limits on the texts an officer's decision can cause: relatives with consent get SMS from notification.

- only numbers on the allow-list (countries, number types; `PhonePolicy`) for a consenting relative;
- at most `per_case` consenting relatives on a decision;
- at most `per_officer_per_day` consents recorded by one officer per local day (a ledger in the
  database, so it holds across requests and replicas).

A refused number or a full case is a 422 naming the field; a full day is a 429. Each cap hit is an
alert to ops (`alert_ops`): the case records `SmsCapReached` in its outbox (at-least-once, once per
cap window: notification turns it into an on-call alert), an audit record with subject `sms_cap`
(`GET /ops/sms-caps`), the counter `on_hit` (Prometheus) and a warning in the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from referral.domain.case import Case
from referral.domain.decision import Relative
from referral.domain.events import SmsCap
from referral.domain.events import SmsCapHit as CapHit
from referral.service_layer.ports import (
    Actor,
    AuditLog,
    AuditRecord,
    CaseStore,
    ConsentLedger,
    CurrentTraceId,
    PhonePolicy,
)
from trygg_shared.aggregate import update_aggregate
from trygg_shared.logging import get_logger

log = get_logger(__name__)

CAP_SUBJECT = "sms_cap"
# The audit record's action per cap (what `GET /ops/sms-caps` lists).
CAP_ACTIONS = {SmsCap.PER_CASE: "sms_cap_case", SmsCap.OFFICER_DAY: "sms_cap_officer_day"}


INVALID_PHONE = "not a valid phone number"


class RelativePhoneRefused(Exception):
    """A consenting relative's number may not get SMS (field `relatives.<index>.phone`)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


class SmsCapReached(Exception):
    """A change refused by a cap (ops is told: `alert_ops`)."""

    def __init__(self, message: str, hit: CapHit) -> None:
        super().__init__(message)
        self.hit = hit


class TooManyConsentingRelatives(SmsCapReached):
    def __init__(self, hit: CapHit) -> None:
        super().__init__(f"at most {hit.limit} relatives with consent to SMS per case", hit)


class OfficerDailyCapReached(SmsCapReached):
    def __init__(self, hit: CapHit, retry_after: int) -> None:
        super().__init__(f"at most {hit.limit} consents to SMS per officer and day; more tomorrow", hit)
        self.retry_after = retry_after


def _no_count(cap: str) -> None:
    return None


@dataclass(frozen=True)
class SmsLimits:
    numbers: PhonePolicy
    ledger: ConsentLedger
    per_case: int = 5
    per_officer_per_day: int = 30
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))
    trace_id: CurrentTraceId = lambda: None  # the trace of a cap alert's record (bootstrap gives the current one)
    on_hit: Callable[[str], None] = _no_count  # counts each refusal by cap (the Prometheus counter)


def window_key(cap: SmsCap, case_id: str, officer: str, day: date) -> str:
    """The per-case cap's window is the case's local day; the officer's cap's window is the officer's
    local day over all cases (the officer as a hash: the key ends up in alert ids)."""
    if cap is SmsCap.PER_CASE:
        return f"{cap.value}:{case_id}:{day.isoformat()}"
    return f"{cap.value}:{hashlib.sha256(officer.encode()).hexdigest()[:16]}:{day.isoformat()}"


async def check(
    limits: SmsLimits,
    actor: Actor,
    case_id: str,
    relatives: Sequence[Relative],
    before: Sequence[Relative],
    now: datetime,
) -> list[str]:
    """Refuse what breaks a limit (`SmsCapReached` for a cap: tell ops with `alert_ops`); record the
    new consents in the ledger and answer their keys (to take back with `release` should the change
    itself fail)."""
    consenting = [(i, r) for i, r in enumerate(relatives) if r.consent is not None and r.phone]
    for index, relative in consenting:
        reason = limits.numbers.refusal(relative.phone or "")
        if reason is not None:
            raise RelativePhoneRefused(index, reason)
    local = now.astimezone(limits.timezone)
    day = local.date()
    if len(consenting) > limits.per_case:
        cap = SmsCap.PER_CASE
        hit = CapHit(cap, limits.per_case, day, window_key(cap, case_id, actor.subject, day))
        raise TooManyConsentingRelatives(hit)
    had = {r.relative_id for r in before if r.consent is not None and r.phone}
    keys = [f"{case_id}:{r.relative_id}" for _, r in consenting if r.relative_id not in had]
    if not keys:
        return []
    total = await limits.ledger.add(f"{actor.subject}|{day.isoformat()}", keys, now)
    if total > limits.per_officer_per_day:
        await limits.ledger.remove(keys)
        cap = SmsCap.OFFICER_DAY
        hit = CapHit(cap, limits.per_officer_per_day, day, window_key(cap, case_id, actor.subject, day))
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), limits.timezone)
        raise OfficerDailyCapReached(hit, max(1, int((midnight - local).total_seconds())))
    return keys


async def release(limits: SmsLimits, keys: Sequence[str]) -> None:
    if keys:
        await limits.ledger.remove(keys)


async def alert_ops(
    limits: SmsLimits, audit: AuditLog, cases: CaseStore, actor: Actor, case_id: str, hit: CapHit, now: datetime
) -> None:
    """Ops hears of a cap hit. The refused change is not stored, so the alert is a change of its own:
    the case records `SmsCapReached` in its outbox (published at least once by the relay; nothing
    when the case already told ops of this window, so a repeated or retried request raises no second
    alert), plus a record ops list (`GET /ops/sms-caps`), the counter and a warning in the log. A
    write that fails is the caller's 503: the retried request records what is missing."""
    action = CAP_ACTIONS[hit.cap]
    await audit.append(
        AuditRecord.new(
            now,
            actor.subject,
            actor.roles,
            action,
            case_ids=(case_id,),
            fields=("relatives",),
            trace_id=limits.trace_id(),
            subject=CAP_SUBJECT,
        )
    )

    def record(case: Case) -> tuple[bool, Sequence[object] | None]:
        case.sms_cap_reached(hit, officer=actor.subject, now=now)
        events = case.take_events()
        return bool(events), events or None

    told = await update_aggregate(cases, case_id, record)
    limits.on_hit(hit.cap.value)
    log.warning(
        "sms cap reached; the change is refused",
        alert="ops",
        cap=action,
        limit=hit.limit,
        case_id=case_id,
        new_window=told,
    )
