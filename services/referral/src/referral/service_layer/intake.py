"""Use cases of the hospital intake: receive a LUS message, apply it to its case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from referral.domain.case import READMISSION_WINDOW_DAYS, Case
from referral.domain.liability import STOCKHOLM
from referral.domain.messages import HospitalMessage, MessageType
from referral.lus_format import AnyLusMessage, parse_lus, to_domain
from referral.service_layer.cases import update_case
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import (
    ConcurrencyConflict,
    InboundRecord,
    IntakeAnswer,
)
from trygg_shared.logging import get_logger

log = get_logger(__name__)

_CASE_NAMESPACE = uuid.UUID("6f1d1f0e-7c1a-4a53-9f55-3b1c9e0f2a10")
MAX_SAVE_ATTEMPTS = 8


def case_id_for(sender_id: str, episode_id: str) -> str:
    """One case per care episode of one sending system: the same id however often it is computed."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{sender_id}\x1f{episode_id}"))


@dataclass(frozen=True)
class Sender:
    """A sending hospital system, identified by its signing secret."""

    sender_id: str
    region_code: str | None


@dataclass(frozen=True)
class IntakeResult:
    answer: IntakeAnswer
    repeated: bool


async def receive_hospital_message(
    deps: ReferralDeps, sender: Sender, webhook_id: str, message: AnyLusMessage
) -> IntakeResult:
    """Store the message durably (or find it stored), then apply it to its case.

    The answer is final once the message is stored: if applying fails now, the sweeper
    (`apply_pending`) applies it later, so nothing accepted is lost.
    """
    case_id = case_id_for(sender.sender_id, message.episode.episode_id)
    record = InboundRecord(
        sender_id=sender.sender_id,
        webhook_id=webhook_id,
        case_id=case_id,
        message_type=message.message_type,
        body=message.model_dump(mode="json"),
        answer=IntakeAnswer(case_id=case_id, message_id=str(uuid.uuid4())),
        received_at=deps.clock.now(),
    )
    existing = await deps.inbox.add(record)
    if existing is not None:
        log.info("repeated webhook-id answered as before", case_id=existing.case_id, sender=sender.sender_id)
        return IntakeResult(existing.answer, repeated=True)
    try:
        await apply_inbound(deps, record, sender.region_code)
    except Exception as exc:  # noqa: BLE001 - stored already; the sweeper retries
        log.warning("message stored but not applied yet; will retry", case_id=case_id, error=type(exc).__name__)
    return IntakeResult(record.answer, repeated=False)


async def apply_inbound(deps: ReferralDeps, record: InboundRecord, region_code: str | None) -> None:
    """Apply one stored message to its case (idempotent: a case ignores a message it has)."""
    domain_message = to_domain(record.webhook_id, parse_lus(record.body))
    person_ref = deps.pseudonymizer.person_ref(domain_message.patient.identity)
    for _ in range(MAX_SAVE_ATTEMPTS):
        case = await deps.cases.get(record.case_id) or Case(
            case_id=record.case_id,
            person_ref=person_ref,
            sender_id=record.sender_id,
            episode_id=domain_message.episode_id,
            region_code=region_code,
        )
        readmission_of = case.readmission_of_case_id
        if domain_message.message_type is MessageType.ADMISSION_NOTICE and readmission_of is None:
            since = domain_message.sent_at - timedelta(days=READMISSION_WINDOW_DAYS)
            readmission_of = await deps.cases.recent_discharge(person_ref, since, record.case_id)
        if not case.receive(
            domain_message, deps.agreements, person_ref=person_ref, readmission_of_case_id=readmission_of
        ):
            # Already applied; a process may have died before the follow-up step: redo it (idempotent).
            if case.readmission_of_case_id is not None:
                await _end_decision_on_readmission(deps, case.readmission_of_case_id, domain_message)
            break
        recorded = [type(e).__name__ for e in case.events]
        try:
            await deps.cases.save(case)
        except ConcurrencyConflict:
            continue
        log.info("hospital message applied", case_id=case.case_id, message_type=record.message_type, events=recorded)
        if case.readmission_of_case_id is not None:
            await _end_decision_on_readmission(deps, case.readmission_of_case_id, domain_message)
        break
    else:
        raise ConcurrencyConflict(f"case {record.case_id} kept changing; gave up after {MAX_SAVE_ATTEMPTS} tries")
    await deps.inbox.mark_applied(record.sender_id, record.webhook_id)


async def _end_decision_on_readmission(deps: ReferralDeps, earlier_case_id: str, admission: HospitalMessage) -> None:
    """Back in hospital: the earlier case's Trygg hemgång stops the day before readmission at the latest."""
    day = (admission.admitted_at or admission.sent_at).astimezone(STOCKHOLM).date()

    await update_case(
        deps.cases, earlier_case_id, lambda earlier: earlier.end_decision_on_readmission(day, admission.sent_at)
    )


async def apply_pending(
    deps: ReferralDeps, regions: dict[str, str | None], older_than: timedelta, limit: int = 100
) -> int:
    """Apply messages that were stored but not applied (the process died, or the database blinked)."""
    records = await deps.inbox.unapplied(deps.clock.now() - older_than, limit)
    applied = 0
    for record in records:
        try:
            await apply_inbound(deps, record, regions.get(record.sender_id))
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            log.error(
                "stored hospital message still cannot be applied",
                case_id=record.case_id,
                message_type=record.message_type,
                error=type(exc).__name__,
            )
            continue
        applied += 1
    return applied
