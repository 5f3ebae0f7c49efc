"""Kafka subscribers: translate a wire event into one command and call one use case.

Staleness (`on_stale`), decided per event (a stale event is one numbered at or below the last
one handled for its case, i.e. replayed or reordered):
- "skip" for ready notices and revocations: the later event of the case is the truth;
- "apply" for decisions and facts whose use case converges whatever the order: a grant is
  planned once per decision id; a change or an end that overtook its grant is kept and applied
  after the grant, and a change handled after the end it preceded is applied before it again,
  so the end state is the one of in-order delivery; a change older than the terms applied (by
  `changed_at`) is ignored; an end, a discharge, a case opened, a readmission and a period's
  end are idempotent facts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker

from scheduling.domain.plan import DecisionChange, PersonContact
from scheduling.domain.vocab import EndReason
from scheduling.service_layer import planning as uc
from scheduling.service_layer.ports import SchedulingDeps
from trygg_shared.contracts.referral import (
    AdmissionNoticed,
    CaseOpened,
    DecisionChanged,
    DecisionEnded,
    DecisionGranted,
    Discharged,
    PersonContactRegistered,
    ReadyForDischarge,
    ReadyRevoked,
)
from trygg_shared.contracts.referral import (
    PersonContact as ContactOnWire,
)
from trygg_shared.contracts.scheduling import PeriodEnded
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS, REFERRAL_PERSON_CONTACTS, SCHEDULING_PERIOD_EVENTS
from trygg_shared.envelope import EventMeta
from trygg_shared.kafka import EventConsumer, HandledEvents, Handles
from trygg_shared.mapping import from_contract
from trygg_shared.service import ConsumerFactory
from trygg_shared.settings import KafkaSettings

_END_REASONS = {
    "ended_early": EndReason.ENDED_EARLY,
    "readmitted": EndReason.READMITTED,
    "deceased": EndReason.DECEASED,
    "case_cancelled": EndReason.CASE_CANCELLED,
}


def _contact(person: ContactOnWire) -> PersonContact:
    return from_contract(PersonContact, person, person.address)  # no address: no street, postal code, city


def _terms(event: DecisionGranted | DecisionChanged) -> dict[str, Any]:
    """What a grant and a change both name otherwise than the wire: the hours as a number, hemtjänst."""
    hours = event.hours_granted  # a hemgångsbeslut's pot of hours
    return {
        "hours_granted": float(hours) if hours is not None else None,
        "hemtjanst": event.hemtjanst_evenings_nights_weekends,
    }


def _grant(event: DecisionGranted) -> uc.GrantDecision:
    return from_contract(uc.GrantDecision, event, **_terms(event))


def _consumer(topic: str, handlers: Callable[[SchedulingDeps], list[Handles[Any]]]) -> ConsumerFactory[SchedulingDeps]:
    """The factory `trygg_shared.service.consumer_groups` calls: a consumer of `topic` with `handlers(deps)`."""

    def consumer(
        broker: KafkaBroker, deps: SchedulingDeps, guard: HandledEvents, settings: KafkaSettings, group_id: str
    ) -> EventConsumer:
        handles = handlers(deps)
        return EventConsumer(broker, topic=topic, group_id=group_id, handles=handles, guard=guard, settings=settings)

    return consumer


def _referral_handlers(deps: SchedulingDeps) -> list[Handles[Any]]:
    """The case events the team's planning needs from referral."""

    async def on_decision_granted(event: DecisionGranted, meta: EventMeta) -> None:
        await uc.grant_decision(deps, _grant(event))
        if event.person is not None:  # a grant from a referral before the person-contacts topic
            decision_type = str(event.decision_type.value)
            await uc.record_contact(deps, event.case_id, event.person_ref, decision_type, _contact(event.person))

    async def on_decision_changed(event: DecisionChanged, meta: EventMeta) -> None:
        change = from_contract(DecisionChange, event, **_terms(event))
        await uc.change_decision(deps, uc.ChangeDecision(event.case_id, event.person_ref, change))

    async def on_decision_ended(event: DecisionEnded, meta: EventMeta) -> None:
        reason = _END_REASONS.get(str(event.reason.value), EndReason.ENDED_EARLY)
        await uc.end_decision(deps, from_contract(uc.EndDecision, event, reason=reason))

    async def on_ready_for_discharge(event: ReadyForDischarge, meta: EventMeta) -> None:
        await uc.record_ready(deps, event.case_id, event.person_ref, event.ready_at, event.planned_discharge_at)

    async def on_ready_revoked(event: ReadyRevoked, meta: EventMeta) -> None:
        await uc.record_revoked(deps, event.case_id, event.person_ref)

    async def on_discharged(event: Discharged, meta: EventMeta) -> None:
        destination = str(event.destination.value) if event.destination else None
        await uc.record_discharged(deps, event.case_id, event.person_ref, event.discharged_at, destination)

    async def on_case_opened(event: CaseOpened, meta: EventMeta) -> None:
        # Opened without a hospital message: the person is at home (no hospital visit, no arrival time).
        await uc.record_case_opened(deps, event.case_id, event.person_ref, at_home=True)

    async def on_admission_noticed(event: AdmissionNoticed, meta: EventMeta) -> None:
        if event.readmission_of_case_id:
            await uc.record_readmission(deps, event.readmission_of_case_id)

    return [
        Handles(DecisionGranted, on_decision_granted, on_stale="apply"),
        Handles(DecisionChanged, on_decision_changed, on_stale="apply"),
        Handles(DecisionEnded, on_decision_ended, on_stale="apply"),
        Handles(ReadyForDischarge, on_ready_for_discharge, on_stale="skip"),
        Handles(ReadyRevoked, on_ready_revoked, on_stale="skip"),
        Handles(Discharged, on_discharged, on_stale="apply"),
        Handles(CaseOpened, on_case_opened, on_stale="apply"),
        Handles(AdmissionNoticed, on_admission_noticed, on_stale="apply"),
    ]


def _person_contacts_handlers(deps: SchedulingDeps) -> list[Handles[Any]]:
    """Referral's person-contacts topic: the name, home address and phone the team visits.

    Stale events are skipped: the later registration of a case is the truth."""

    async def on_person_contact_registered(event: PersonContactRegistered, meta: EventMeta) -> None:
        decision_type = str(event.decision_type.value)
        await uc.record_contact(deps, event.case_id, event.person_ref, decision_type, _contact(event.person))

    return [Handles(PersonContactRegistered, on_person_contact_registered, on_stale="skip")]


def _capacity_handlers(deps: SchedulingDeps) -> list[Handles[Any]]:
    """Our own period events: a period that ended frees its place; the oldest waiting case is planned.

    Consuming our own topic makes the release as reliable as the event (outbox, at-least-once)."""

    async def on_period_ended(event: PeriodEnded, meta: EventMeta) -> None:
        await uc.release_place(deps, event.team_id, event.case_id)

    return [Handles(PeriodEnded, on_period_ended, on_stale="apply")]


referral_consumer = _consumer(REFERRAL_CASE_EVENTS, _referral_handlers)
person_contacts_consumer = _consumer(REFERRAL_PERSON_CONTACTS, _person_contacts_handlers)
capacity_consumer = _consumer(SCHEDULING_PERIOD_EVENTS, _capacity_handlers)
