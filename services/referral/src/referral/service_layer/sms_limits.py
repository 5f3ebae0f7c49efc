"""Limits on the texts an officer's decision can cause: relatives with consent get SMS from notification.

- only numbers on the allow-list (countries, number types; `PhonePolicy`) for a consenting relative;
- at most `per_case` consenting relatives on a decision;
- at most `per_officer_per_day` consents recorded by one officer per local day (a ledger in the
  database, so it holds across requests and replicas).

A refused number or a full case is a 422 naming the field; a full day is a 429. Each cap hit is an
alert to ops: an audit record with subject `sms_cap` (`GET /ops/sms-caps`) and a warning in the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from referral.domain.decision import Relative
from referral.service_layer.ports import Actor, AuditLog, AuditRecord, ConsentLedger, CurrentTraceId, PhonePolicy
from trygg_shared.logging import get_logger

log = get_logger(__name__)

CAP_SUBJECT = "sms_cap"


class RelativePhoneRefused(Exception):
    """A consenting relative's number may not get SMS (field `relatives.<index>.phone`)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


class TooManyConsentingRelatives(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"at most {cap} relatives with consent to SMS per case")
        self.cap = cap


class OfficerDailyCapReached(Exception):
    def __init__(self, cap: int, retry_after: int) -> None:
        super().__init__(f"at most {cap} consents to SMS per officer and day; more tomorrow")
        self.cap = cap
        self.retry_after = retry_after


@dataclass(frozen=True)
class SmsLimits:
    numbers: PhonePolicy
    ledger: ConsentLedger
    per_case: int = 5
    per_officer_per_day: int = 30
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))
    trace_id: CurrentTraceId = lambda: None  # the trace of a cap alert's record (bootstrap gives the current one)


async def check(
    limits: SmsLimits,
    audit: AuditLog,
    actor: Actor,
    case_id: str,
    relatives: Sequence[Relative],
    before: Sequence[Relative],
    now: datetime,
) -> list[str]:
    """Refuse what breaks a limit; record the new consents in the ledger and answer their keys (to
    take back with `release` should the change itself fail)."""
    consenting = [(i, r) for i, r in enumerate(relatives) if r.consent is not None and r.phone]
    for index, relative in consenting:
        reason = limits.numbers.refusal(relative.phone or "")
        if reason is not None:
            raise RelativePhoneRefused(index, reason)
    if len(consenting) > limits.per_case:
        await _alert(limits, audit, actor, case_id, "sms_cap_case", now, limits.per_case)
        raise TooManyConsentingRelatives(limits.per_case)
    had = {r.relative_id for r in before if r.consent is not None and r.phone}
    keys = [f"{case_id}:{r.relative_id}" for _, r in consenting if r.relative_id not in had]
    if not keys:
        return []
    local = now.astimezone(limits.timezone)
    total = await limits.ledger.add(f"{actor.subject}|{local.date().isoformat()}", keys, now)
    if total > limits.per_officer_per_day:
        await limits.ledger.remove(keys)
        await _alert(limits, audit, actor, case_id, "sms_cap_officer_day", now, limits.per_officer_per_day)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), limits.timezone)
        raise OfficerDailyCapReached(limits.per_officer_per_day, max(1, int((midnight - local).total_seconds())))
    return keys


async def release(limits: SmsLimits, keys: Sequence[str]) -> None:
    if keys:
        await limits.ledger.remove(keys)


async def _alert(
    limits: SmsLimits, audit: AuditLog, actor: Actor, case_id: str, action: str, now: datetime, cap: int
) -> None:
    """Ops hears of a cap hit: a record they list (`GET /ops/sms-caps`) and a warning in the log."""
    await audit.append(
        AuditRecord(
            record_id=str(uuid.uuid4()),
            at=now,
            actor=actor.subject,
            roles=actor.roles,
            action=action,
            case_ids=(case_id,),
            fields=("relatives",),
            trace_id=limits.trace_id(),
            subject=CAP_SUBJECT,
        )
    )
    log.warning("sms cap reached; the change is refused", alert="ops", cap=action, limit=cap, case_id=case_id)
