"""Use cases run by referral's events: the liability clock, decisions, who is billed.

Every clock event carries referral's count of the liable days after it (`ReferralCount`); the
record takes it as it is (billing counts no day and prices none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from billing.domain.care import CareCase, DecisionTerms, DecisionType
from billing.domain.fees import PersonAccount, Recipient
from billing.domain.liability import (
    CaseLiability,
    Count,
    LiabilityPeriod,
    LiabilityRecord,
    keep_counting,
    on_discharged,
    on_ready,
    on_revoked,
    with_count,
    with_episode,
)
from billing.service_layer.ports import BillingDeps, CaseCommand
from trygg_shared.aggregate import update_aggregate
from trygg_shared.carry import carry


@dataclass(frozen=True)
class ReferralCount:
    """Referral's count of the case's liable days after an event: per month, with their cost."""

    months: Count = None  # None: the event carried no count (written before referral sent one)
    counted_until: datetime | None = None


@dataclass(frozen=True)
class RecordReady(CaseCommand):
    ready_at: datetime
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    municipality_code: str | None
    source_event_id: str
    counting: tuple[datetime, ...] | None = None  # the ready periods referral counts after it (None: not said)
    count: ReferralCount = ReferralCount()


@dataclass(frozen=True)
class RecordRevoked(CaseCommand):
    ready_at: datetime | None
    revoked_at: datetime
    liable_days: int
    counting: tuple[datetime, ...] | None = None
    count: ReferralCount = ReferralCount()


@dataclass(frozen=True)
class RecordDischarge(CaseCommand):
    discharged_at: datetime
    liable_days: int
    daily_price_sek: int | None
    counting: tuple[datetime, ...] | None = None
    count: ReferralCount = ReferralCount()


@dataclass(frozen=True)
class RecordPicture(CaseCommand):
    """A hospital message was withdrawn, or a running clock's count grew (`liability_days_counted`):
    the ready periods referral counts after it, and its count."""

    counting: tuple[datetime, ...] | None
    count: ReferralCount = ReferralCount()


ClockCommand = RecordReady | RecordRevoked | RecordDischarge | RecordPicture


async def _change_liability(
    deps: BillingDeps, cmd: ClockCommand, change: Callable[[CaseLiability], CaseLiability]
) -> None:
    """The case's liability changed by one of referral's clock events, with referral's count after it."""
    count = cmd.count

    def apply(record: LiabilityRecord) -> tuple[None, list[object] | None]:
        return None, record.apply(with_count(change(record.case), count.months, count.counted_until))

    await update_aggregate(
        deps.liabilities, cmd.case_id, apply, create=lambda: LiabilityRecord(CaseLiability(cmd.case_id, cmd.person_ref))
    )


async def record_ready(deps: BillingDeps, cmd: RecordReady, episode_id: str | None = None) -> None:
    """A ready period starts; `episode_id` (the hospital's care episode) is noted for the region's invoice."""
    period = carry(LiabilityPeriod, cmd)

    def change(case: CaseLiability) -> CaseLiability:
        opened = on_ready(case, period, cmd.counting)
        return replace(
            with_episode(opened, episode_id), municipality_code=cmd.municipality_code or case.municipality_code
        )

    await _change_liability(deps, cmd, change)
    if cmd.municipality_code:
        await note_municipality(deps, cmd.case_id, cmd.person_ref, cmd.municipality_code)


@dataclass(frozen=True)
class RecordAdmission(CaseCommand):
    """An admission notice (inskrivningsmeddelande) for the stay: liability needs it (DOMAIN.md)."""

    episode_id: str | None = None


async def record_admission(deps: BillingDeps, cmd: RecordAdmission) -> None:
    """Noted on the case's liability record for checking the region's invoice; announces nothing."""

    def change(record: LiabilityRecord) -> tuple[None, list[object] | None]:
        noted = with_episode(replace(record.case, admission_noticed=True), cmd.episode_id)
        if noted == record.case:
            return None, None
        record.case = noted
        return None, []

    await update_aggregate(
        deps.liabilities,
        cmd.case_id,
        change,
        create=lambda: LiabilityRecord(CaseLiability(cmd.case_id, cmd.person_ref)),
    )


async def record_revoked(deps: BillingDeps, cmd: RecordRevoked) -> None:
    await _change_liability(
        deps, cmd, lambda case: on_revoked(case, cmd.ready_at, cmd.revoked_at, cmd.liable_days, cmd.counting)
    )


async def record_discharge(deps: BillingDeps, cmd: RecordDischarge) -> None:
    await _change_liability(
        deps,
        cmd,
        lambda case: on_discharged(case, cmd.discharged_at, cmd.liable_days, cmd.daily_price_sek, cmd.counting),
    )


async def record_picture(deps: BillingDeps, cmd: RecordPicture) -> None:
    """The periods that count and the count, as referral sent them (repeated, it changes nothing)."""
    if cmd.counting is None and cmd.count.months is None:
        return  # an event from before referral named the counting periods: nothing to learn from it
    await _change_liability(deps, cmd, lambda case: keep_counting(case, cmd.counting))


# --- care facts: decisions --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordDecision(CaseCommand):
    """A decision granted, changed or ended, with its terms as of `as_of`."""

    decision_id: str
    kind: Literal["granted", "changed", "ended"]
    as_of: datetime
    decision_type: DecisionType | None = None
    start_date: date | None = None
    end_date: date | None = None
    length_days: int | None = None


def _fresh(case_id: str, person_ref: str) -> CareCase:
    return CareCase(case_id, person_ref)


async def record_decision(deps: BillingDeps, cmd: RecordDecision) -> bool:
    def change(case: CareCase) -> tuple[bool, list[object] | None]:
        if cmd.kind == "granted":
            changed = case.grant(
                carry(DecisionTerms, cmd, decision_type=cmd.decision_type or DecisionType.TRYGG_HEMGANG)
            )
        else:
            changed = case.change_decision(
                cmd.decision_id,
                end_date=cmd.end_date,
                length_days=cmd.length_days,
                as_of=cmd.as_of,
                decision_type=cmd.decision_type,
                start_date=cmd.start_date,
            )
        return changed, [] if changed else None

    return await update_aggregate(deps.care, cmd.case_id, change, create=lambda: _fresh(cmd.case_id, cmd.person_ref))


async def note_municipality(deps: BillingDeps, case_id: str, person_ref: str, municipality_code: str) -> None:
    def change(case: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if case.note_municipality(municipality_code) else None

    await update_aggregate(deps.care, case_id, change, create=lambda: _fresh(case_id, person_ref))


# --- who is billed ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterBillingSubject:
    person_ref: str
    recipient: Recipient
    as_of: datetime


async def register_billing_subject(deps: BillingDeps, cmd: RegisterBillingSubject) -> None:
    def change(account: PersonAccount) -> tuple[None, list[object] | None]:
        return None, [] if account.register(cmd.recipient, cmd.as_of) else None

    await update_aggregate(deps.persons, cmd.person_ref, change, create=lambda: PersonAccount(cmd.person_ref))
