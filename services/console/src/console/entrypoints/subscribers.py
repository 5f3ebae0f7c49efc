"""Kafka subscribers: each event becomes one fact, recorded by one use case.

Consumer groups `console.<stream>`, one per topic. Every handler is `on_stale="apply"`: the views
are folds of the *set* of recorded facts (see `console.domain.cases`), so an event that arrives
after a later one of its aggregate still belongs in the set (a late visit completion, a
reordered waiting-list change) and the result is the same as in order; skipping it would lose
it for good. Repeats are skipped by the chassis and, failing that, by the fact set (event id).
Event types this console does not know are ignored by the chassis (tolerant reader).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker

from console.domain.facts import Recorded
from console.entrypoints import translate as t
from console.service_layer.projections import (
    ChangeFeed,
    Stores,
    record_alert_fact,
    record_case_fact,
    record_team_fact,
)
from trygg_shared.contracts import billing as bl
from trygg_shared.contracts import notification as nt
from trygg_shared.contracts import referral as rf
from trygg_shared.contracts import scheduling as sc
from trygg_shared.contracts.base import CaseEvent, IntegrationEvent
from trygg_shared.contracts.topics import (
    BILLING_EVENTS,
    NOTIFICATION_EVENTS,
    REFERRAL_CASE_EVENTS,
    REFERRAL_PERSON_CONTACTS,
    SCHEDULING_PERIOD_EVENTS,
    SCHEDULING_TEAM_EVENTS,
)
from trygg_shared.envelope import EventMeta
from trygg_shared.kafka import EventConsumer, HandledEvents, Handles
from trygg_shared.settings import KafkaSettings
from trygg_shared.telemetry import current_trace_id

E = TypeVar("E", bound=IntegrationEvent)
C = TypeVar("C", bound=CaseEvent)

GROUP_PREFIX = "console"


def recorded(meta: EventMeta, fact: object) -> Recorded[Any]:
    # The trace the event being handled belongs to (its producer's trace, via `traceparent`).
    return Recorded(meta.id, meta.source, meta.time, meta.sequence, current_trace_id(), fact)


@dataclass
class Subscribers:
    stores: Stores
    feed: ChangeFeed

    def case(self, translate: Callable[[C], object]) -> Callable[[C, EventMeta], Awaitable[None]]:
        async def on_case_event(event: C, meta: EventMeta) -> None:
            await record_case_fact(self.stores, self.feed, event.case_id, recorded(meta, translate(event)))

        return on_case_event

    def team(
        self, translate: Callable[[Any], object], *, with_case: bool = False
    ) -> Callable[[Any, EventMeta], Awaitable[None]]:
        async def on_team_event(event: Any, meta: EventMeta) -> None:  # every team event has a team_id
            case_id = getattr(event, "case_id", None) if with_case else None
            await record_team_fact(
                self.stores,
                self.feed,
                event.team_id,
                recorded(meta, translate(event)),
                case_id=case_id,
            )

        return on_team_event

    def alert(self, translate: Callable[[Any], object]) -> Callable[[Any, EventMeta], Awaitable[None]]:
        async def on_alert_event(event: Any, meta: EventMeta) -> None:
            await record_alert_fact(
                self.stores, self.feed, event.alert_id, recorded(meta, translate(event)), case_id=event.case_id
            )

        return on_alert_event

    def message(self, translate: Callable[[Any], object]) -> Callable[[Any, EventMeta], Awaitable[None]]:
        async def on_message_event(event: Any, meta: EventMeta) -> None:
            if event.case_id is None:
                return  # about a team, not a case: nothing on a timeline
            await record_case_fact(self.stores, self.feed, event.case_id, recorded(meta, translate(event)))

        return on_message_event

    def billing(self) -> Callable[[bl.LiabilityDaysAccrued, EventMeta], Awaitable[None]]:
        async def on_liability_days_accrued(event: bl.LiabilityDaysAccrued, meta: EventMeta) -> None:
            fact = t.liability_accrued(event, meta.time)
            await record_case_fact(self.stores, self.feed, event.case_id, recorded(meta, fact))

        return on_liability_days_accrued


def _apply(contract: type[E], handler: Callable[[E, EventMeta], Awaitable[None]]) -> Handles[Any]:
    return Handles(contract, handler, on_stale="apply")


def referral_handles(s: Subscribers) -> list[Handles[Any]]:
    return [
        _apply(rf.AdmissionNoticed, s.case(t.admission)),
        _apply(rf.PlanningInformationReceived, s.case(t.planning)),
        _apply(rf.ReadyForDischarge, s.case(t.ready)),
        _apply(rf.ReadyRevoked, s.case(t.revoked)),
        _apply(rf.Discharged, s.case(t.discharged)),
        _apply(rf.MessageCancelled, s.case(t.cancelled)),
        _apply(rf.CaseOpened, s.case(t.opened)),
        _apply(rf.DecisionGranted, s.case(t.granted)),
        _apply(rf.DecisionChanged, s.case(t.changed)),
        _apply(rf.DecisionEnded, s.case(t.ended)),
        _apply(rf.SipStatusChanged, s.case(t.sip_changed)),
        _apply(rf.SipDeadlineLapsed, s.case(t.sip_lapsed)),
    ]


def person_handles(s: Subscribers) -> list[Handles[Any]]:
    return [_apply(rf.PersonContactRegistered, s.case(t.person_named))]


def period_handles(s: Subscribers) -> list[Handles[Any]]:
    return [
        _apply(sc.PeriodPlanned, s.case(t.period_planned)),
        _apply(sc.PeriodChanged, s.case(t.period_changed)),
        _apply(sc.VisitScheduled, s.case(t.visit_scheduled)),
        _apply(sc.VisitRescheduled, s.case(t.visit_rescheduled)),
        _apply(sc.VisitReassigned, s.case(t.visit_reassigned)),
        _apply(sc.VisitCancelled, s.case(t.visit_cancelled)),
        _apply(sc.VisitStarted, s.case(t.visit_started)),
        _apply(sc.VisitCompleted, s.case(t.visit_completed)),
        _apply(sc.VisitMissed, s.case(t.visit_missed)),
        _apply(sc.FollowUpDue, s.case(t.follow_up_due)),
        _apply(sc.HemtjanstCoverOrdered, s.case(t.cover_ordered)),
        _apply(sc.HandedOverToHemtjanst, s.case(t.handed_over)),
        _apply(sc.PeriodEnded, s.case(t.period_ended)),
        _apply(sc.HomecomingChecklistChanged, s.case(t.checklist_changed)),
    ]


def team_handles(s: Subscribers) -> list[Handles[Any]]:
    return [
        _apply(sc.TeamConfigured, s.team(t.team_configured)),
        _apply(sc.WaitingListChanged, s.team(t.waiting_list_changed, with_case=True)),
        _apply(sc.TeamCapacityExceeded, s.team(t.capacity_exceeded, with_case=True)),
        _apply(sc.DayReplanned, s.team(t.day_replanned)),
    ]


def notification_handles(s: Subscribers) -> list[Handles[Any]]:
    return [
        _apply(nt.AlertRaised, s.alert(t.alert_raised)),
        _apply(nt.AlertAcknowledged, s.alert(t.alert_acknowledged)),
        _apply(nt.AlertEscalated, s.alert(t.alert_escalated)),
        _apply(nt.AlertResolved, s.alert(t.alert_resolved)),
        _apply(nt.MessageSent, s.message(t.message_sent)),
        _apply(nt.MessageDelivered, s.message(t.message_delivered)),
        _apply(nt.MessageFailed, s.message(t.message_failed)),
        _apply(nt.MessageCancelled, s.message(t.message_cancelled)),
    ]


def billing_handles(s: Subscribers) -> list[Handles[Any]]:
    # Statements (personal fees) and the regions' monthly summaries are not shown here.
    return [_apply(bl.LiabilityDaysAccrued, s.billing())]


@dataclass(frozen=True)
class Stream:
    name: str  # the consumer group is console.<name>
    topic: str
    handles: Callable[[Subscribers], list[Handles[Any]]]


STREAMS: tuple[Stream, ...] = (
    Stream("referral", REFERRAL_CASE_EVENTS, referral_handles),
    Stream("referral-person-contacts", REFERRAL_PERSON_CONTACTS, person_handles),
    Stream("scheduling-periods", SCHEDULING_PERIOD_EVENTS, period_handles),
    Stream("scheduling-teams", SCHEDULING_TEAM_EVENTS, team_handles),
    Stream("notification", NOTIFICATION_EVENTS, notification_handles),
    Stream("billing", BILLING_EVENTS, billing_handles),
)


def consumers(
    broker: KafkaBroker,
    subscribers: Subscribers,
    guard: Callable[[str], HandledEvents],
    settings: KafkaSettings,
    streams: Sequence[Stream] = STREAMS,
    group_prefix: str = GROUP_PREFIX,
) -> list[EventConsumer]:
    """One consumer group per topic (`<group_prefix>.<stream>`); `guard(group)` gives its handled-event record."""
    out = []
    for stream in streams:
        group = f"{group_prefix}.{stream.name}"
        out.append(
            EventConsumer(
                broker,
                topic=stream.topic,
                group_id=group,
                handles=stream.handles(subscribers),
                guard=guard(group),
                settings=settings,
            )
        )
    return out
