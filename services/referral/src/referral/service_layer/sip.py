"""Use cases of SIP (samordnad individuell plan): an officer records an invitation; the lapse timer.

The rule and its counting are the domain's (`referral.domain.sip`). An officer's record is audited
(who recorded which case's invitation, when) before it is made; the same invitation recorded again
is the first one (its id is derived from what it says), so a retried request records once. The
lapse timer (`report_lapsed_sips`) runs on every replica: a case's lapse is saved with its event
by compare-and-set, so exactly one replica records it, once per deadline, also after a restart
(the waiting cases are found by their stored `sip_pending` field).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from referral.domain.case import Case, CaseNotFound
from referral.domain.sip import SipInvitation, SipPicture, SipPlace, SipSource
from referral.service_layer.cases import update_case
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import Actor, AuditRecord, CaseQuery
from trygg_shared.batch import Failures
from trygg_shared.carry import carry

_NAMESPACE = uuid.UUID("3c0b6c1e-5f0a-4a8e-9d0b-2e6f1c7a9b41")
WATCHED_CASES = 500  # cases waiting for an invitation at once: far more than a municipality has


@dataclass(frozen=True)
class RecordSipInvitation:
    invited_at: datetime
    meeting_at: datetime
    place: SipPlace


@dataclass(frozen=True)
class SipRecorded:
    invitation: SipInvitation
    sip: SipPicture
    created: bool  # False: the same invitation was recorded before
    lapses_reported: frozenset[str]  # the case's lapses told (`SipPicture.lapse_key`)


def invitation_id(case_id: str, command: RecordSipInvitation) -> str:
    """The same invitation of the same case always gets the same id."""
    key = f"{case_id}\x1f{command.invited_at.isoformat()}\x1f{command.meeting_at.isoformat()}\x1f{command.place}"
    return "sip-" + uuid.uuid5(_NAMESPACE, key).hex


async def record_sip_invitation(
    deps: ReferralDeps, case_id: str, command: RecordSipInvitation, actor: Actor
) -> SipRecorded:
    """Record an officer's SIP invitation (audited first); a repeat changes nothing."""
    if await deps.cases.load(case_id) is None:
        raise CaseNotFound(f"no case {case_id}")
    now = deps.clock.now()
    await deps.audit.append(
        AuditRecord.new(
            now,
            actor.subject,
            actor.roles,
            "record_sip_invitation",
            case_ids=(case_id,),
            fields=("sip",),
            trace_id=deps.trace_id(),
            subject=f"case:{case_id}",
        )
    )
    invitation = carry(
        SipInvitation,
        command,
        invitation_id=invitation_id(case_id, command),
        source=SipSource.OFFICER,
        recorded_by=actor.subject,
        recorded_at=now,
    )

    def record(case: Case) -> SipRecorded:
        stored, created = case.record_sip_invitation(invitation, deps.agreements)
        return SipRecorded(stored, case.sip(deps.agreements), created, frozenset(case.sip_lapses_reported))

    result = await update_case(deps.cases, case_id, record)
    assert result is not None
    return result


async def waiting_for_sip(deps: ReferralDeps) -> list[Case]:
    """Cases still waiting for an invitation whose lapse is not told yet."""
    return await deps.queries.find(CaseQuery(sip_pending=True, order="updated", limit=WATCHED_CASES))


async def next_sip_due(deps: ReferralDeps) -> datetime | None:
    """The earliest SIP deadline still waiting (the timer loop sleeps until then)."""
    due = [d for c in await waiting_for_sip(deps) if (d := c.sip_due_at(deps.agreements)) is not None]
    return min(due, default=None)


async def report_lapsed_sips(deps: ReferralDeps, failed: Failures | None = None) -> int:
    """Record the lapse of every SIP deadline passed without an invitation; how many were recorded now.

    Idempotent: a lapse already recorded (here or by another replica) records nothing. One case that
    cannot be handled is reported in `failed` and the others are handled.
    """
    failures = failed or Failures("sip_lapses")
    now = deps.clock.now()
    reported = 0
    for case in await waiting_for_sip(deps):
        due = case.sip_due_at(deps.agreements)
        if due is None or due > now:
            continue
        with failures.isolate(case.case_id):
            lapsed = await update_case(
                deps.cases, case.case_id, lambda c: c.report_sip_lapse(deps.agreements, now) or None
            )
            reported += 1 if lapsed else 0
    return reported
