"""Use cases of the hospital intake: receive a LUS message, apply it to its case.

A message is first stored in the inbox (the webhook's idempotency record and the durable
copy); the answer is final from then on. It is then applied to its case with
`update_aggregate`; if that fails, the sweeper (`apply_pending`) applies it later.
Applied inbox records are removed after a retention (`sweep_inbox`): the case keeps the
message, when it came and the answer given (`Receipt`), so a repeat of a webhook-id still
gets its first answer, and the case's history stays whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from referral.domain.case import READMISSION_WINDOW_DAYS, Case, Receipt
from referral.domain.liability import STOCKHOLM
from referral.domain.messages import HospitalMessage, MessageType
from referral.service_layer.cases import update_case
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import InboundRecord, IntakeAnswer, ReceivedMessage, Sender
from trygg_shared.aggregate import update_aggregate
from trygg_shared.batch import Backoff, Failures
from trygg_shared.logging import get_logger

log = get_logger(__name__)

_CASE_NAMESPACE = uuid.UUID("6f1d1f0e-7c1a-4a53-9f55-3b1c9e0f2a10")

__all__ = [
    "IntakeResult",
    "Sender",
    "apply_inbound",
    "apply_pending",
    "case_id_for",
    "receive_hospital_message",
    "sweep_inbox",
]


def case_id_for(sender_id: str, episode_id: str) -> str:
    """One case per care episode of one sending system: the same id however often it is computed."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{sender_id}\x1f{episode_id}"))


@dataclass(frozen=True)
class IntakeResult:
    answer: IntakeAnswer
    repeated: bool


@dataclass(frozen=True)
class Applied:
    """What applying a stored message found: the answer to give, and whether the case had it already."""

    answer: IntakeAnswer
    already_in_case: bool


async def receive_hospital_message(
    deps: ReferralDeps, sender: Sender, webhook_id: str, message: ReceivedMessage
) -> IntakeResult:
    """Store the message durably (or find it stored), then apply it to its case.

    The answer is final once the message is stored: if applying fails now, the sweeper
    (`apply_pending`) applies it later, so nothing accepted is lost. A repeat whose inbox
    record was swept already is recognised by its case, and answered as the first time.
    """
    case_id = case_id_for(sender.sender_id, message.episode_id)
    record = InboundRecord(
        sender_id=sender.sender_id,
        webhook_id=webhook_id,
        case_id=case_id,
        message_type=message.message_type,
        body=message.as_stored(),
        answer=IntakeAnswer(case_id=case_id, message_id=str(uuid.uuid4())),
        received_at=deps.clock.now(),
    )
    existing = await deps.inbox.add(record)
    if existing is not None:
        log.info("repeated webhook-id answered as before", case_id=existing.case_id, sender=sender.sender_id)
        return IntakeResult(existing.answer, repeated=True)
    try:
        applied = await apply_inbound(deps, record, sender.region_code, message.to_domain(webhook_id))
    except Exception as exc:  # noqa: BLE001 - stored already; the sweeper retries
        log.warning("message stored but not applied yet; will retry", case_id=case_id, error=type(exc).__name__)
        return IntakeResult(record.answer, repeated=False)
    if applied.already_in_case:
        log.info("repeated webhook-id (inbox record expired) answered as before", case_id=case_id)
    return IntakeResult(applied.answer, repeated=applied.already_in_case)


async def apply_inbound(
    deps: ReferralDeps, record: InboundRecord, region_code: str | None, message: HospitalMessage | None = None
) -> Applied:
    """Apply one stored message to its case (idempotent: a case ignores a message it has).

    `message`: the record's message as the webhook already parsed it; the sweeper reads it back
    from the stored body instead.
    """
    if message is None:
        message = deps.read_message(record.webhook_id, record.body)
    person_ref = deps.pseudonymizer.person_ref(message.patient.identity)
    candidate = None
    if message.message_type is MessageType.ADMISSION_NOTICE:
        since = message.sent_at - timedelta(days=READMISSION_WINDOW_DAYS)
        candidate = await deps.queries.recent_discharge(person_ref, since, record.case_id)
    receipt = Receipt(record.received_at, record.answer.message_id)

    def new_case() -> Case:
        return Case(
            case_id=record.case_id,
            person_ref=person_ref,
            sender_id=record.sender_id,
            episode_id=message.episode_id,
            region_code=region_code,
        )

    def receive(case: Case) -> tuple[tuple[Case, bool], Sequence[object] | None]:
        readmission_of = case.readmission_of_case_id or candidate
        if not case.receive(
            message, deps.agreements, person_ref=person_ref, readmission_of_case_id=readmission_of, receipt=receipt
        ):
            return (case, True), None  # had it already: nothing to write
        return (case, False), case.take_events()

    # A case this process has not seen is most likely new (the message that opens it): created
    # without reading first; one that exists after all is read and changed as usual.
    case, already = await update_aggregate(deps.cases, record.case_id, receive, create=new_case, create_first=True)
    if not already:
        log.info("hospital message applied", case_id=case.case_id, message_type=record.message_type)
    if case.readmission_of_case_id is not None:
        # Redone when the message is applied again: a process may have died before this step.
        await _end_decision_on_readmission(deps, case.readmission_of_case_id, message)
    first = case.receipt(record.webhook_id)
    answer = IntakeAnswer(record.case_id, first.intake_id) if first is not None else record.answer
    await deps.inbox.mark_applied(record.sender_id, record.webhook_id, answer if answer != record.answer else None)
    return Applied(answer, already_in_case=already and answer != record.answer)


async def _end_decision_on_readmission(deps: ReferralDeps, earlier_case_id: str, admission: HospitalMessage) -> None:
    """Back in hospital: the earlier case's Trygg hemgång stops the day before readmission at the latest."""
    day = (admission.admitted_at or admission.sent_at).astimezone(STOCKHOLM).date()
    await update_case(
        deps.cases, earlier_case_id, lambda earlier: earlier.end_decision_on_readmission(day, admission.sent_at)
    )


Around = Callable[[InboundRecord], AbstractContextManager[object]]


async def apply_pending(
    deps: ReferralDeps,
    regions: dict[str, str | None],
    older_than: timedelta,
    limit: int = 100,
    *,
    around: Around | None = None,
    backoff: Backoff | None = None,
) -> int:
    """Apply messages that were stored but not applied (the process died, or the database blinked).

    `around(record)` wraps the work on each record (the sweeper traces it there). One record that
    still cannot be applied never stops the others: it is reported (logged by its sender/webhook
    id with the error's type, counted in `trygg_batch_record_failures_total{batch="inbox_sweep"}`)
    and, with a `backoff`, parked for a pause that doubles with each failure, and left out of the
    next rounds' query meanwhile, so failing records never fill the `limit` and starve the
    others. A store that is down stops the round (the sweeper runs again).
    """
    now = deps.clock.now()
    parked = backoff if backoff is not None else Backoff()
    records = await deps.inbox.unapplied(now - older_than, limit, parked.parked(now))
    failures = Failures("inbox_sweep")
    applied = 0
    for record in records:
        with around(record) if around is not None else nullcontext(), parked.attempt(failures, record.key, now):
            await apply_inbound(deps, record, regions.get(record.sender_id))
            applied += 1
    return applied


async def sweep_inbox(deps: ReferralDeps, retention: timedelta) -> int:
    """Remove applied inbox records older than `retention` (the case keeps what it needs of them)."""
    return await deps.inbox.sweep(retention, deps.clock.now())
