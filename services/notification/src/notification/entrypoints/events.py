"""Kafka subscribers: each translates one event into one use case call.

Five consumer groups: referral's case events (`<group>`), referral's relative contacts
(`<group>.contacts`: the only topic with relatives' phone numbers), scheduling's period events
(`<group>.periods`) and team events (`<group>.teams`), and notification's own events
(`<group>.own`: a relative's SMS that finally failed becomes an on-call alert). The chassis skips
repeats and stale events and dead-letters poison; the use cases are idempotent besides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker

from notification.domain.casefile import Relative
from notification.domain.contacts import DayHours, TeamContact
from notification.domain.ids import missed_visit_alert_id, readmission_alert_id, sip_alert_id, sms_failed_alert_id
from notification.domain.templates import AlertTopic, MeetingPlace
from notification.service_layer import alerts as al
from notification.service_layer import checklist_alerts as cl
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.deps import NotificationDeps
from trygg_shared.contracts import notification as own
from trygg_shared.contracts import referral as r
from trygg_shared.contracts import referral_ops as ro
from trygg_shared.contracts import scheduling as s
from trygg_shared.contracts.topics import (
    NOTIFICATION_EVENTS,
    REFERRAL_CASE_EVENTS,
    REFERRAL_RELATIVE_CONTACTS,
    SCHEDULING_PERIOD_EVENTS,
    SCHEDULING_TEAM_EVENTS,
)
from trygg_shared.envelope import EventMeta
from trygg_shared.kafka import DeadLetter, EventConsumer, HandledEvents, Handles
from trygg_shared.lanes import Lanes
from trygg_shared.mapping import from_contract
from trygg_shared.settings import KafkaSettings
from trygg_shared.vocabulary.notification import RecipientKind
from trygg_shared.vocabulary.referral import DecisionEndReason, DecisionType, Destination, SmsCap

_WEEKDAYS = list(s.Weekday)


def consented(relatives: tuple[r.Relative, ...]) -> list[Relative]:
    """Relatives with consent on record and a phone number; anyone else is not messaged.

    Only decision events written before the relative-contacts topic carry relatives (referral
    sends these lists empty now): read for a replay of such history, or a rolling upgrade.
    """
    return [from_contract(Relative, x) for x in relatives if x.consent and x.phone]


# --- referral --------------------------------------------------------------------------------------
# The use cases' views are built by field name from the event and its envelope (`sequence`); only
# what the wire names otherwise is given.


def granted(event: r.DecisionGranted, meta: EventMeta) -> rel.GrantedDecision:
    """The use case's view of a granted decision."""
    return from_contract(
        rel.GrantedDecision,
        event,
        meta,
        trygg_hemgang=event.decision_type is DecisionType.TRYGG_HEMGANG,
        team_name=event.team,
        relatives=consented(event.relatives),
        by=event.granted_by,
        at=event.granted_at,
        source_event_id=meta.id,
    )


_Change = TypeVar("_Change", rel.ChangedDecision, rel.RelativeContacts)


def relatives_changed(
    view: type[_Change], event: r.DecisionChanged | r.RelativeContactsChanged, meta: EventMeta, **given: Any
) -> _Change:
    """The use case's view of a change to whom is told: a changed decision, or the relatives' new list
    (each relative of a relative-contacts event has consent on record and a phone number)."""
    return from_contract(
        view,
        event,
        meta,
        withdrawn=event.consent_withdrawn_relative_ids,
        by=event.changed_by,
        at=event.changed_at,
        source_event_id=meta.id,
        **given,
    )


def ops_alerts(deps: NotificationDeps) -> Handles[ro.SmsCapReached]:
    """Referral's news for ops on the case-events topic: an SMS cap refused an officer's change."""

    async def on_sms_cap_reached(event: ro.SmsCapReached, meta: EventMeta) -> None:
        topic = AlertTopic.SMS_CAP_CASE if event.cap is SmsCap.PER_CASE else AlertTopic.SMS_CAP_OFFICER_DAY
        await al.sms_cap_reached(deps, event.case_id, topic, event.limit, event.window_key)

    # The alert's id is its window: the same alert whatever the order, however often.
    return Handles(ro.SmsCapReached, on_sms_cap_reached, on_stale="apply")


def sip_alerts(deps: NotificationDeps) -> list[Handles[Any]]:
    """Referral found a SIP deadline passed without an invitation: the case's team on call is told
    (the fallback rota without a team; unrouted when nobody is on call). The SMS names the case by
    its reference and the deadline, nothing about the person. An invitation recorded later closes it."""

    async def on_sip_deadline_lapsed(event: r.SipDeadlineLapsed, meta: EventMeta) -> None:
        alert_id = sip_alert_id(event.case_id, event.deadline)
        await al.case_alert(deps, alert_id, AlertTopic.SIP_DEADLINE_LAPSED, event.case_id, at=event.deadline)

    async def on_sip_status_changed(event: r.SipStatusChanged, meta: EventMeta) -> None:
        if event.invitation is not None:
            await al.resolve_sip_alerts(deps, event.case_id)

    # The alert's id is the case and deadline: one alert whatever the order, however often. A late
    # status read before its lapse finds no alert to close; the lapse event says no invitation came.
    return [
        Handles(r.SipDeadlineLapsed, on_sip_deadline_lapsed, on_stale="apply"),
        Handles(r.SipStatusChanged, on_sip_status_changed),
    ]


@dataclass(frozen=True)
class Group:
    """One of the service's consumer groups: its id, the broker, its record of handled events, and
    its lanes (batches, the records of different cases at the same time: `trygg_shared.lanes`)."""

    broker: KafkaBroker
    group_id: str
    guard: HandledEvents
    settings: KafkaSettings
    lanes: Lanes | None = None


def _consumer(group: Group, topic: str, handles: list[Handles[Any]]) -> EventConsumer:
    """A consumer group on a topic, with its handlers."""
    return EventConsumer(
        group.broker,
        topic=topic,
        group_id=group.group_id,
        handles=handles,
        guard=group.guard,
        settings=group.settings,
        lanes=group.lanes,
    )


def referral_consumer(deps: NotificationDeps, group: Group) -> EventConsumer:
    async def on_ready_for_discharge(event: r.ReadyForDischarge, meta: EventMeta) -> None:
        await rel.watch_liability(deps, event.case_id, event.person_ref, event.ready_at, event.liability_starts_at)
        deps.wake_timers()  # a new timer: the loop sleeps until the earliest one

    async def on_ready_revoked(event: r.ReadyRevoked, meta: EventMeta) -> None:
        await rel.stop_liability_watch(deps, event.case_id, event.person_ref)
        await al.resolve_liability_alerts(deps, event.case_id, "ready_revoked")

    async def on_discharged(event: r.Discharged, meta: EventMeta) -> None:
        deceased = event.destination is Destination.DECEASED
        await rel.record_discharge(deps, event.case_id, event.person_ref, deceased=deceased)
        await al.resolve_liability_alerts(deps, event.case_id, "discharged")

    async def on_case_opened(event: r.CaseOpened, meta: EventMeta) -> None:
        await rel.open_case(deps, event.case_id, event.person_ref)

    async def on_admission_noticed(event: r.AdmissionNoticed, meta: EventMeta) -> None:
        await al.readmission_noticed(deps, event.case_id, event.person_ref, event.readmission_of_case_id)

    async def on_decision_granted(event: r.DecisionGranted, meta: EventMeta) -> None:
        # A liability alert warned that no decision had come: it closes instead of escalating further.
        await al.decision_granted(deps, granted(event, meta))

    async def on_decision_changed(event: r.DecisionChanged, meta: EventMeta) -> None:
        # A withdrawal takes effect with whichever of the two topics is read first.
        change = relatives_changed(rel.ChangedDecision, event, meta, relatives=consented(event.relatives))
        await rel.record_decision_change(deps, change)

    async def on_decision_ended(event: r.DecisionEnded, meta: EventMeta) -> None:
        if event.reason is DecisionEndReason.READMITTED:
            await al.case_alert(
                deps, readmission_alert_id(event.case_id), AlertTopic.READMITTED_DURING_PERIOD, event.case_id
            )
        deceased = event.reason is DecisionEndReason.DECEASED
        await rel.record_decision_end(deps, event.case_id, event.person_ref, deceased=deceased, last_day=event.end_date)

    handles: list[Handles[Any]] = [
        Handles(r.ReadyForDischarge, on_ready_for_discharge),
        Handles(r.ReadyRevoked, on_ready_revoked),
        Handles(r.Discharged, on_discharged),
        Handles(r.CaseOpened, on_case_opened),
        Handles(r.AdmissionNoticed, on_admission_noticed),
        Handles(r.DecisionGranted, on_decision_granted),
        Handles(r.DecisionChanged, on_decision_changed),
        Handles(r.DecisionEnded, on_decision_ended),
        ops_alerts(deps),
        *sip_alerts(deps),
    ]
    return _consumer(group, REFERRAL_CASE_EVENTS, handles)


def relative_contacts_consumer(deps: NotificationDeps, group: Group) -> EventConsumer:
    """Referral's relative-contacts topic: whom to inform, with their phone numbers (only we read it)."""

    async def on_contacts_changed(event: r.RelativeContactsChanged, meta: EventMeta) -> None:
        await rel.record_contacts(deps, relatives_changed(rel.RelativeContacts, event, meta))

    handles: list[Handles[Any]] = [
        Handles(r.RelativeContactsChanged, on_contacts_changed)
    ]  # the later list is the truth
    return _consumer(group, REFERRAL_RELATIVE_CONTACTS, handles)


# --- scheduling: the period ------------------------------------------------------------------------

_VISIT_TYPES = {
    s.VisitKind.HOMECOMING: vis.VisitType.HOMECOMING,
    s.VisitKind.FOLLOW_UP_MEETING: vis.VisitType.FOLLOW_UP_MEETING,
    s.VisitKind.HANDOVER: vis.VisitType.HANDOVER,
}
_PLACES = {
    s.VisitLocation.HOME: MeetingPlace.HOME,
    s.VisitLocation.DIGITAL: MeetingPlace.DIGITAL,
    s.VisitLocation.PHONE: MeetingPlace.PHONE,
    s.VisitLocation.HOSPITAL: MeetingPlace.HOSPITAL,
}
# Ends relatives are told about; not a readmission, a death or a cancelled case.
_TOLD_ENDS = {s.PeriodEndReason.COMPLETED, s.PeriodEndReason.ENDED_EARLY, s.PeriodEndReason.HOURS_USED}


def planned(event: s.VisitScheduled | s.VisitRescheduled, place: MeetingPlace, moved: bool) -> vis.VisitPlanned:
    """The use case's view of a visit scheduled or moved (by field name: the visit, its period and start)."""
    visit_type = _VISIT_TYPES.get(event.kind, vis.VisitType.OTHER)
    return from_contract(vis.VisitPlanned, event, visit_type=visit_type, place=place, moved=moved)


async def period_ended(deps: NotificationDeps, event: s.PeriodEnded) -> None:
    """A period ended: a readmission alerts on-call; relatives are told about ordinary ends."""
    if event.reason is s.PeriodEndReason.READMITTED:
        await al.case_alert(
            deps,
            readmission_alert_id(event.case_id),
            AlertTopic.READMITTED_DURING_PERIOD,
            event.case_id,
            team_id=event.team_id,
        )
    await rel.record_period_end(
        deps,
        event.case_id,
        event.person_ref,
        ended_on=event.ended_on,
        tell_relatives=event.reason in _TOLD_ENDS,
        deceased=event.reason is s.PeriodEndReason.DECEASED,
        cause=f"period-ended:{event.period_id}",
    )


def checklist_handles(deps: NotificationDeps) -> list[Handles[Any]]:
    """The homecoming checklist: an item open at the deadline alerts the team lead; ticking the last closes it."""

    async def on_overdue(event: s.HomecomingChecklistOverdue, meta: EventMeta) -> None:
        await cl.checklist_open(deps, event.case_id, event.period_id, event.team_id, event.homecoming_at)

    async def on_changed(event: s.HomecomingChecklistChanged, meta: EventMeta) -> None:
        if event.complete:
            await cl.checklist_completed(deps, event.case_id, event.period_id)

    # The alert's id is the checklist's: the same alert whatever the order; a stale snapshot is not the truth.
    return [
        Handles(s.HomecomingChecklistOverdue, on_overdue, on_stale="apply"),
        Handles(s.HomecomingChecklistChanged, on_changed),
    ]


def period_consumer(deps: NotificationDeps, group: Group) -> EventConsumer:
    async def on_period_planned(event: s.PeriodPlanned, meta: EventMeta) -> None:
        await rel.record_period(deps, event.case_id, event.person_ref, event.period_id, event.team_id)

    async def on_visit_scheduled(event: s.VisitScheduled, meta: EventMeta) -> None:
        place = _PLACES.get(event.location, MeetingPlace.HOME)
        await vis.visit_planned(deps, planned(event, place, moved=False))

    async def on_visit_rescheduled(event: s.VisitRescheduled, meta: EventMeta) -> None:
        if event.planned_start == event.previous_start:
            return  # another team member, same time: nothing for relatives
        await vis.visit_planned(deps, planned(event, MeetingPlace.HOME, moved=True))

    async def on_visit_cancelled(event: s.VisitCancelled, meta: EventMeta) -> None:
        await vis.visit_cancelled(deps, event.case_id, event.person_ref, event.period_id, event.team_id, event.visit_id)

    async def on_handed_over(event: s.HandedOverToHemtjanst, meta: EventMeta) -> None:
        await vis.handed_over(
            deps, event.case_id, event.person_ref, event.period_id, event.team_id, event.handed_over_at
        )

    async def on_period_ended(event: s.PeriodEnded, meta: EventMeta) -> None:
        await period_ended(deps, event)

    async def on_visit_missed(event: s.VisitMissed, meta: EventMeta) -> None:
        await al.case_alert(
            deps,
            missed_visit_alert_id(event.visit_id),
            AlertTopic.VISIT_MISSED,
            event.case_id,
            at=event.planned_start,
            team_id=event.team_id,
        )

    handles: list[Handles[Any]] = [
        *checklist_handles(deps),
        Handles(s.PeriodPlanned, on_period_planned),
        Handles(s.VisitScheduled, on_visit_scheduled),
        # A visit moved twice: each move is its own event; apply even if reordered (ids are per time).
        Handles(s.VisitRescheduled, on_visit_rescheduled),
        Handles(s.VisitCancelled, on_visit_cancelled),
        Handles(s.HandedOverToHemtjanst, on_handed_over),
        Handles(s.PeriodEnded, on_period_ended),
        Handles(s.VisitMissed, on_visit_missed, on_stale="apply"),
    ]
    return _consumer(group, SCHEDULING_PERIOD_EVENTS, handles)


# --- scheduling: teams -----------------------------------------------------------------------------


def team_consumer(deps: NotificationDeps, group: Group) -> EventConsumer:
    async def on_team_configured(event: s.TeamConfigured, meta: EventMeta) -> None:
        hours = tuple(DayHours(_WEEKDAYS.index(h.weekday), h.start, h.end) for h in event.hours)
        contact = from_contract(TeamContact, event, hours=hours)  # the team's id, name and phones by name
        await rel.configure_team(deps, contact, event.version)

    async def on_capacity_exceeded(event: s.TeamCapacityExceeded, meta: EventMeta) -> None:
        await al.team_at_capacity(deps, event.team_id, event.case_id, event.waiting_count)

    handles: list[Handles[Any]] = [
        Handles(s.TeamConfigured, on_team_configured, on_stale="apply"),  # versions decide
        Handles(s.TeamCapacityExceeded, on_capacity_exceeded, on_stale="apply"),
    ]
    return _consumer(group, SCHEDULING_TEAM_EVENTS, handles)


# --- our own events --------------------------------------------------------------------------------


def own_events_consumer(deps: NotificationDeps, group: Group) -> EventConsumer:
    async def on_message_failed(event: own.MessageFailed, meta: EventMeta) -> None:
        if event.recipient_kind is not RecipientKind.RELATIVE:
            return  # an on-call SMS that failed: the escalation tells the next person
        if event.case_id is None:
            raise DeadLetter("a relative's message without a case id")
        await al.case_alert(
            deps, sms_failed_alert_id(event.message_id), AlertTopic.SMS_FAILED, event.case_id, team_id=event.team_id
        )

    handles: list[Handles[Any]] = [Handles(own.MessageFailed, on_message_failed, on_stale="apply")]
    return _consumer(group, NOTIFICATION_EVENTS, handles)
