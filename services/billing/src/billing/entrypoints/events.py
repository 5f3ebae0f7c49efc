"""Kafka subscribers: translate an event into one command and call one use case.

Three consumers, each with its own group (so each keeps its own per-aggregate positions: the
referral case stream and the billing-subjects stream share one sequence per case, and a
position taken on one topic must not make the other topic's events look stale):

- `<group>` on referral's case events: ready, revoked, discharged, message cancelled, liability
  days counted (`skip` when stale: they are applied in order, and each names the ready periods
  that still count and carries referral's count of the liable days, so the last one handled is
  the truth); admission noticed, case opened, decisions granted/changed/ended (`apply`: they
  converge by their own timestamps);
- `<group>-subjects` on referral's billing subjects: billing subject registered (`apply`: the
  latest by event time wins);
- `<group>-scheduling` on scheduling's period events: period planned/changed/ended, visit
  completed (`apply`: they converge by timestamps and ids).

Billing reads decisions through narrow views of referral's contracts (`DecisionGrantedTerms`,
`DecisionChangedTerms`): the person's contact details and the relatives (with their phone
numbers) are dropped while parsing and never reach a use case or the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

from faststream.kafka import KafkaBroker
from pydantic import Field

from billing.domain.care import CompletedVisit, TeamPeriod
from billing.domain.fees import Recipient
from billing.domain.liability import MonthLiability
from billing.domain.money import Month, kronor, local_date
from billing.service_layer import referral_facts as rf
from billing.service_layer import scheduling_facts as sf
from billing.service_layer.ports import BillingDeps
from trygg_shared.contracts import referral as ref
from trygg_shared.contracts import scheduling as sch
from trygg_shared.contracts.base import CaseEvent
from trygg_shared.contracts.topics import REFERRAL_BILLING_SUBJECTS, REFERRAL_CASE_EVENTS, SCHEDULING_PERIOD_EVENTS
from trygg_shared.envelope import EventMeta
from trygg_shared.fields import PlausibleDate, PlausibleDatetime, Text
from trygg_shared.kafka import DeadLetter, EventConsumer, HandledEvents, Handles
from trygg_shared.mapping import from_contract
from trygg_shared.settings import KafkaSettings
from trygg_shared.vocabulary.referral import DecisionType


class DecisionGrantedTerms(CaseEvent):
    """What billing reads of referral's `DecisionGranted` (the rest is dropped while parsing)."""

    EVENT_TYPE: ClassVar[str] = ref.DecisionGranted.EVENT_TYPE
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    decision_id: Text = Field(description="Id of this decision.")
    decision_type: DecisionType = Field(description="What was granted.")
    start_date: PlausibleDate | None = Field(None, description="First day of the service.")
    length_days: int | None = Field(None, ge=1, description="Granted length in days.")
    end_date: PlausibleDate | None = Field(None, description="Last day, inclusive.")
    granted_at: PlausibleDatetime = Field(description="When the decision was made.")


class DecisionChangedTerms(CaseEvent):
    """What billing reads of referral's `DecisionChanged`."""

    EVENT_TYPE: ClassVar[str] = ref.DecisionChanged.EVENT_TYPE
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    decision_id: Text = Field(description="The decision changed.")
    decision_type: DecisionType | None = Field(None, description="The decision's type (unchanged by a change).")
    start_date: PlausibleDate | None = Field(None, description="First day of the service (unchanged by a change).")
    length_days: int | None = Field(None, ge=1, description="Length in days after the change.")
    end_date: PlausibleDate | None = Field(None, description="Last day after the change, inclusive.")
    changed_at: PlausibleDatetime = Field(description="When.")


def aware(*moments: datetime | None) -> None:
    """Times without a zone cannot be put on a Stockholm day: such a message can never be handled."""
    if any(m is not None and m.tzinfo is None for m in moments):
        raise DeadLetter("a time without a time zone")


def ms(moment: datetime) -> datetime:
    """To the millisecond, the precision stored (so a redelivery compares equal)."""
    return moment - timedelta(microseconds=moment.microsecond % 1000)


def counting(ready_at: tuple[datetime, ...] | None) -> tuple[datetime, ...] | None:
    """The ready periods referral counts (to the millisecond, as stored), or None when it did not say."""
    return None if ready_at is None else tuple(ms(r) for r in ready_at)


ClockEvent = ref.ReadyForDischarge | ref.ReadyRevoked | ref.Discharged | ref.MessageCancelled | ref.LiabilityDaysCounted


def count(event: ClockEvent) -> rf.ReferralCount:
    """Referral's count of the liable days after a clock event, as billing keeps it (öre, months)."""
    aware(event.counted_until, *(event.counting_ready_at or ()))
    if event.liable_months is None:
        return rf.ReferralCount()
    months = tuple(MonthLiability(Month.parse(m.month), m.days, kronor(m.amount_sek)) for m in event.liable_months)
    return rf.ReferralCount(months, ms(event.counted_until) if event.counted_until else None)


def picture(event: ClockEvent) -> dict[str, Any]:
    """What every clock event says of the whole clock: the periods that count, and referral's count."""
    return {"counting": counting(event.counting_ready_at), "count": count(event)}


def _clock_handlers(deps: BillingDeps) -> list[Handles[Any]]:
    """Each clock event as its command: the same names go across (`from_contract`), the rest is given."""

    async def on_ready_for_discharge(event: ref.ReadyForDischarge, meta: EventMeta) -> None:
        aware(event.ready_at, event.liability_starts_at)
        ready = from_contract(rf.RecordReady, event, source_event_id=meta.id, **picture(event))
        await rf.record_ready(deps, ready, event.episode_id)

    async def on_ready_revoked(event: ref.ReadyRevoked, meta: EventMeta) -> None:
        aware(event.revoked_at, event.ready_at)
        revoked = from_contract(rf.RecordRevoked, event, liable_days=event.liable_days or 0, **picture(event))
        await rf.record_revoked(deps, revoked)

    async def on_discharged(event: ref.Discharged, meta: EventMeta) -> None:
        aware(event.discharged_at)
        await rf.record_discharge(deps, from_contract(rf.RecordDischarge, event, **picture(event)))

    async def on_picture(event: ref.MessageCancelled | ref.LiabilityDaysCounted, meta: EventMeta) -> None:
        await rf.record_picture(deps, from_contract(rf.RecordPicture, event, **picture(event)))

    return [
        Handles(ref.ReadyForDischarge, on_ready_for_discharge),
        Handles(ref.ReadyRevoked, on_ready_revoked),
        Handles(ref.Discharged, on_discharged),
        Handles(ref.MessageCancelled, on_picture),
        Handles(ref.LiabilityDaysCounted, on_picture),
    ]


DecisionEvent = DecisionGrantedTerms | DecisionChangedTerms | ref.DecisionEnded


def decision(event: DecisionEvent, kind: Literal["granted", "changed", "ended"], as_of: datetime) -> rf.RecordDecision:
    """The decision's terms as of `as_of` (an ended decision says only its end)."""
    aware(as_of)
    return from_contract(rf.RecordDecision, event, kind=kind, as_of=ms(as_of))


def _case_handlers(deps: BillingDeps) -> list[Handles[Any]]:
    async def on_municipality(event: ref.AdmissionNoticed | ref.CaseOpened, meta: EventMeta) -> None:
        if event.municipality_code:
            await rf.note_municipality(deps, event.case_id, event.person_ref, event.municipality_code)

    async def on_admission(event: ref.AdmissionNoticed, meta: EventMeta) -> None:
        await rf.record_admission(deps, rf.RecordAdmission(event.case_id, event.person_ref, event.episode_id))
        await on_municipality(event, meta)

    async def on_decision_granted(event: DecisionGrantedTerms, meta: EventMeta) -> None:
        await rf.record_decision(deps, decision(event, "granted", event.granted_at))

    async def on_decision_changed(event: DecisionChangedTerms, meta: EventMeta) -> None:
        await rf.record_decision(deps, decision(event, "changed", event.changed_at))

    async def on_decision_ended(event: ref.DecisionEnded, meta: EventMeta) -> None:
        await rf.record_decision(deps, decision(event, "ended", event.ended_at))

    return [
        Handles(ref.AdmissionNoticed, on_admission, on_stale="apply"),
        Handles(ref.CaseOpened, on_municipality, on_stale="apply"),
        Handles(DecisionGrantedTerms, on_decision_granted, on_stale="apply"),
        Handles(DecisionChangedTerms, on_decision_changed, on_stale="apply"),
        Handles(ref.DecisionEnded, on_decision_ended, on_stale="apply"),
    ]


def referral_consumer(
    broker: KafkaBroker, deps: BillingDeps, guard: HandledEvents, settings: KafkaSettings, group_id: str
) -> EventConsumer:
    handles = [*_clock_handlers(deps), *_case_handlers(deps)]
    return EventConsumer(
        broker, topic=REFERRAL_CASE_EVENTS, group_id=group_id, handles=handles, guard=guard, settings=settings
    )


def subjects_consumer(
    broker: KafkaBroker, deps: BillingDeps, guard: HandledEvents, settings: KafkaSettings, group_id: str
) -> EventConsumer:
    async def on_billing_subject_registered(event: ref.BillingSubjectRegistered, meta: EventMeta) -> None:
        recipient = from_contract(Recipient, event, event.address)  # no address: no street, postal code, city
        await rf.register_billing_subject(deps, rf.RegisterBillingSubject(event.person_ref, recipient, ms(meta.time)))

    return EventConsumer(
        broker,
        topic=REFERRAL_BILLING_SUBJECTS,
        group_id=group_id,
        handles=[Handles(ref.BillingSubjectRegistered, on_billing_subject_registered, on_stale="apply")],
        guard=guard,
        settings=settings,
    )


PeriodEvent = sch.PeriodPlanned | sch.PeriodChanged | sch.PeriodEnded


def period(
    event: PeriodEvent,
    as_of: datetime,
    planned_end: date,
    *,
    decision_id: str | None = None,
    ended_on: date | None = None,
) -> sf.RecordPeriod:
    """The team's period as of `as_of` (a change does not name its decision; only an end has a last day)."""
    aware(as_of)
    known = from_contract(
        TeamPeriod, event, decision_id=decision_id, planned_end=planned_end, ended_on=ended_on, as_of=ms(as_of)
    )
    return sf.RecordPeriod(event.case_id, event.person_ref, known)


def scheduling_consumer(
    broker: KafkaBroker, deps: BillingDeps, guard: HandledEvents, settings: KafkaSettings, group_id: str
) -> EventConsumer:
    async def on_period_planned(event: sch.PeriodPlanned, meta: EventMeta) -> None:
        await sf.record_period(deps, period(event, event.planned_at, event.end_date, decision_id=event.decision_id))

    async def on_period_changed(event: sch.PeriodChanged, meta: EventMeta) -> None:
        await sf.record_period(deps, period(event, event.changed_at, event.end_date))

    async def on_period_ended(event: sch.PeriodEnded, meta: EventMeta) -> None:
        ended = period(
            event, event.ended_at, event.planned_end_date, decision_id=event.decision_id, ended_on=event.ended_on
        )
        await sf.record_period(deps, ended)

    async def on_visit_completed(event: sch.VisitCompleted, meta: EventMeta) -> None:
        aware(event.started_at, event.ended_at)
        visit = from_contract(CompletedVisit, event, day=local_date(event.started_at), minutes=event.duration_minutes)
        await sf.record_visit(deps, sf.RecordVisit(event.case_id, event.person_ref, visit))

    handles: list[Handles[Any]] = [
        Handles(sch.PeriodPlanned, on_period_planned, on_stale="apply"),
        Handles(sch.PeriodChanged, on_period_changed, on_stale="apply"),
        Handles(sch.PeriodEnded, on_period_ended, on_stale="apply"),
        Handles(sch.VisitCompleted, on_visit_completed, on_stale="apply"),
    ]
    return EventConsumer(
        broker, topic=SCHEDULING_PERIOD_EVENTS, group_id=group_id, handles=handles, guard=guard, settings=settings
    )
