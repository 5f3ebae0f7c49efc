"""Use cases of the needs-assessment officer: open a case, decide, change, end; list and read cases.

Every read of a case's personal data first writes an audit record (who, which case, what,
when); if the audit record cannot be written, nothing is read. Changes go through
`update_aggregate` (load, change, save; again after a concurrent save): the one retry policy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from referral.domain.case import Case, CaseFacts, CaseNotFound, Opening, OpeningReason
from referral.domain.decision import (
    Consent,
    Decision,
    DecisionType,
    EndReason,
    Language,
    Relative,
    grant,
)
from referral.domain.messages import Patient
from referral.domain.sip import SipPicture
from referral.service_layer import sms_limits
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import Actor, AuditRecord, CaseQuery, CaseStore, InboundRecord
from trygg_shared.aggregate import AggregateNotFound, update_aggregate
from trygg_shared.auth import may_act_for_team
from trygg_shared.carry import carry

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What a case read shows, per view (need to know): named in every audit record.
CASE_FIELDS = ("identity_number", "name", "address", "phone", "needs_summary", "relatives", "messages")
TEAM_FIELDS = ("name", "address", "phone", "plan")
ONCALL_FIELDS = ("name", "address", "phone")


class CaseView(StrEnum):
    """What a role's work needs of one case: the officer all of it (identity number, needs,
    relatives, messages); the team the person's name, address and phone and the plan; on-call
    what an alert needs (name, address, phone, status, the responsible team)."""

    OFFICER = "officer"
    TEAM = "team"
    ONCALL = "oncall"


VIEW_FIELDS = {CaseView.OFFICER: CASE_FIELDS, CaseView.TEAM: TEAM_FIELDS, CaseView.ONCALL: ONCALL_FIELDS}


def case_view(actor: Actor) -> CaseView:
    """The widest view the actor's roles give (only roles that may read cases reach this)."""
    for view in (CaseView.OFFICER, CaseView.TEAM, CaseView.ONCALL):
        if view.value in actor.roles:
            return view
    raise ValueError("no role that reads cases")


LIST_FIELDS = ("name", "status", "liability")
DECISION_FIELDS = ("relatives",)


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCase:
    """An officer opens a case for `patient` (whose identity the edge has parsed, as the intake's does)."""

    reason: OpeningReason
    patient: Patient
    region_code: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class RelativeInput:
    name: str
    phone: str | None = None
    language: Language = Language.SV
    consent: bool = False
    relative_id: str | None = None


@dataclass(frozen=True)
class GrantDecision:
    decision_type: DecisionType
    start_date: date | None = None
    length_days: int | None = None
    team: str | None = None
    hemtjanst_evenings_nights_weekends: bool = False
    relatives: tuple[RelativeInput, ...] = ()
    notes: str | None = None
    hours_granted: int | None = None


@dataclass(frozen=True)
class ChangeDecision:
    length_days: int | None = None
    hemtjanst_evenings_nights_weekends: bool | None = None
    relatives: tuple[RelativeInput, ...] | None = None
    withdraw_consent_of: tuple[str, ...] = field(default=())
    hours_granted: int | None = None


@dataclass(frozen=True)
class EndDecision:
    end_date: date
    reason: EndReason = EndReason.ENDED_EARLY


# --- writes --------------------------------------------------------------------------------


async def update_case(cases: CaseStore, case_id: str, change: Callable[[Case], T | None]) -> T | None:
    """Change one case with `update_aggregate`: what `change` returns, with the events the case recorded.

    Nothing is written when the case recorded no event (nothing changed).
    """

    def apply(case: Case) -> tuple[T | None, Sequence[object] | None]:
        result = change(case)
        events = case.take_events()
        return result, (events or None)  # every change of a case records an event

    try:
        return await update_aggregate(cases, case_id, apply)
    except AggregateNotFound:
        raise CaseNotFound(f"no case {case_id}") from None


async def open_case(deps: ReferralDeps, command: OpenCase, actor: Actor) -> Case:
    opening = carry(Opening, command, opened_by=actor.subject, opened_at=deps.clock.now())
    person_ref = deps.pseudonymizer.person_ref(command.patient.identity)
    case = Case.open_without_message(str(uuid.uuid4()), person_ref, opening, command.region_code)
    await deps.cases.save(case.case_id, 0, case, case.take_events())
    return case


def _relatives(
    inputs: tuple[RelativeInput, ...], actor: Actor, deps: ReferralDeps, before: tuple[Relative, ...]
) -> tuple[Relative, ...]:
    """Relatives from the officer's input; consent already on record keeps who recorded it and when.

    Numbers are kept in E.164 (070-123 45 67 becomes +46701234567); one that is no valid number is
    refused (`RelativePhoneRefused`, a 422 naming the field), whether or not the relative consented;
    whether a valid one may get SMS is `sms_limits.check`'s question."""
    previous = {r.relative_id: r for r in before}
    out = []
    for index, given in enumerate(inputs):
        relative_id = given.relative_id or uuid.uuid4().hex[:12]
        earlier = previous.get(relative_id)
        consent = None
        if given.consent:
            consent = (
                earlier.consent if earlier is not None and earlier.consent else Consent(actor.subject, deps.clock.now())
            )
        phone = given.phone and deps.sms.numbers.normalised(given.phone)
        if given.phone and phone is None:
            raise sms_limits.RelativePhoneRefused(index, sms_limits.INVALID_PHONE)
        out.append(Relative(relative_id, given.name, phone, given.language, consent))
    return tuple(out)


async def _decide(deps: ReferralDeps, case_id: str, actor: Actor, apply: Callable[[Case], Decision]) -> Decision:
    """Change the case's decision; the answer shows relatives, so it is audited like a read."""
    decision = await update_case(deps.cases, case_id, apply)
    assert decision is not None
    await _audit(deps, actor, "decide", (case_id,), DECISION_FIELDS)
    return decision


async def _check_sms_limits(
    deps: ReferralDeps, actor: Actor, case_id: str, relatives: Sequence[Relative], before: Sequence[Relative]
) -> list[str]:
    """The limits on relatives' SMS; a cap that refuses the change is an alert to ops first."""
    now = deps.clock.now()
    try:
        return await sms_limits.check(deps.sms, actor, case_id, relatives, before, now)
    except sms_limits.SmsCapReached as refused:
        await sms_limits.alert_ops(deps.sms, deps.audit, deps.cases, actor, case_id, refused.hit, now)
        raise


async def grant_decision(deps: ReferralDeps, case_id: str, command: GrantDecision, actor: Actor) -> Decision:
    relatives = _relatives(command.relatives, actor, deps, ())
    # The terms by field name from the command; who granted it and when from the request.
    draft = carry(
        Decision,
        command,
        decision_id=str(uuid.uuid4()),
        granted_by=actor.subject,
        granted_at=deps.clock.now(),
        relatives=relatives,
    )
    decision = grant(draft, deps.profile)
    if await deps.cases.load(case_id) is None:  # before the ledger counts consents for it
        raise CaseNotFound(f"no case {case_id}")
    keys = await _check_sms_limits(deps, actor, case_id, relatives, ())

    def apply(case: Case) -> Decision:
        case.grant_decision(decision, deps.agreements)
        return decision

    try:
        return await _decide(deps, case_id, actor, apply)
    except Exception:
        await sms_limits.release(deps.sms, keys)  # refused: its consents do not count
        raise


async def change_decision(
    deps: ReferralDeps, case_id: str, decision_id: str, command: ChangeDecision, actor: Actor
) -> Decision:
    inputs = command.relatives
    keys: list[str] = []
    if inputs is not None:
        # New relatives get their ids now, so that what is checked is what is saved.
        inputs = tuple(r if r.relative_id else replace(r, relative_id=uuid.uuid4().hex[:12]) for r in inputs)
        loaded = await deps.cases.load(case_id)
        if loaded is None:
            raise CaseNotFound(f"no case {case_id}")
        before = loaded.state.decision(decision_id).relatives
        relatives = _relatives(inputs, actor, deps, before)
        keys = await _check_sms_limits(deps, actor, case_id, relatives, before)

    def apply(case: Case) -> Decision:
        current = case.decision(decision_id)
        relatives = _relatives(inputs, actor, deps, current.relatives) if inputs is not None else None
        return case.change_decision(
            decision_id,
            profile=deps.profile,
            officer=actor.subject,
            now=deps.clock.now(),
            length_days=command.length_days,
            hemtjanst_evenings_nights_weekends=command.hemtjanst_evenings_nights_weekends,
            relatives=relatives,
            withdraw_consent_of=command.withdraw_consent_of,
            hours_granted=command.hours_granted,
        )

    try:
        return await _decide(deps, case_id, actor, apply)
    except Exception:
        await sms_limits.release(deps.sms, keys)
        raise


async def end_decision(
    deps: ReferralDeps, case_id: str, decision_id: str, command: EndDecision, actor: Actor
) -> Decision:
    def apply(case: Case) -> Decision:
        return case.end_decision(
            decision_id, end_date=command.end_date, reason=command.reason, by=actor.subject, now=deps.clock.now()
        )

    return await _decide(deps, case_id, actor, apply)


# --- reads (audited) -----------------------------------------------------------------------


@dataclass(frozen=True)
class MessageEntry:
    """One hospital message in a case's history."""

    message_id: str
    message_type: str
    received_at: datetime | None  # None: received before receipts were kept in the case
    sent_at: datetime | None
    applied: bool


@dataclass(frozen=True)
class CaseRead:
    case: Case
    facts: CaseFacts
    history: list[MessageEntry]
    view: CaseView = CaseView.OFFICER
    sip: SipPicture | None = None  # the officer's view: the SIP deadline and invitation


def message_history(case: Case, inbox_records: Sequence[InboundRecord]) -> list[MessageEntry]:
    """The case's messages (from the case itself, which keeps them for good), and those still in the
    inbox waiting to be applied; oldest first. Inbox records are swept after their retention."""
    entries = []
    for message in case.messages.values():
        receipt = case.receipt(message.message_id)
        inbox = next((r for r in inbox_records if r.webhook_id == message.message_id), None)
        received = receipt.received_at if receipt else inbox.received_at if inbox else None
        entries.append(MessageEntry(message.message_id, message.message_type.value, received, message.sent_at, True))
    for record in inbox_records:
        if record.webhook_id not in case.messages:
            sent = _parse_time(record.body.get("sent_at"))
            entries.append(MessageEntry(record.webhook_id, record.message_type, record.received_at, sent, False))
    return sorted(entries, key=lambda e: e.received_at or e.sent_at or _EPOCH)  # stable: arrival order


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def _audit(
    deps: ReferralDeps, actor: Actor, action: str, case_ids: tuple[str, ...], fields: tuple[str, ...]
) -> None:
    await deps.audit.append(
        AuditRecord.by(actor, deps.clock.now(), action, case_ids=case_ids, fields=fields, trace_id=deps.trace_id())
    )


class CaseOfAnotherTeam(PermissionError):
    """A team token asked for a case its teams do not carry out (403, as in scheduling)."""


def of_actors_teams(deps: ReferralDeps, actor: Actor, case: Case) -> bool:
    """Whether the actor may read the case: a team token only the cases of its teams (the team of the
    case's latest decision); officers, on-call and ops every case."""
    return may_act_for_team(actor.teams, case.team(deps.profile))


async def list_cases(deps: ReferralDeps, query: CaseQuery, actor: Actor) -> list[tuple[Case, CaseFacts]]:
    if actor.teams is not None:  # the store narrows by team (ids, and names of decisions stored before ids)
        query = replace(query, teams=actor.teams | deps.profile.names_of(actor.teams))
    cases = [c for c in await deps.queries.find(query) if of_actors_teams(deps, actor, c)]
    if cases:
        await _audit(deps, actor, "list_cases", tuple(c.case_id for c in cases), LIST_FIELDS)
    return [(c, c.facts(deps.agreements)) for c in cases]


async def read_case(deps: ReferralDeps, case_id: str, actor: Actor) -> CaseRead:
    loaded = await deps.cases.load(case_id)
    if loaded is None:
        raise CaseNotFound(f"no case {case_id}")
    case = loaded.state
    if not of_actors_teams(deps, actor, case):
        raise CaseOfAnotherTeam(f"case {case_id} is not carried out by a team of this token")
    view = case_view(actor)
    await _audit(deps, actor, "read_case", (case_id,), VIEW_FIELDS[view])
    history = message_history(case, await deps.inbox.history(case_id)) if view is CaseView.OFFICER else []
    sip = case.sip(deps.agreements) if view is CaseView.OFFICER else None
    return CaseRead(case, case.facts(deps.agreements), history, view, sip)


async def audit_trail(deps: ReferralDeps, case_id: str, limit: int = 200) -> list[AuditRecord]:
    return await deps.audit.for_case(case_id, limit)
