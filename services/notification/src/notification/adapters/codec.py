"""Codecs: the three aggregates as documents, and their domain events as wire contracts (the edge).

Fields the queries filter on are top-level (FerretDB 1.24 pushes only top-level equality down to
PostgreSQL): `state`, `case_id`, `alert_id`, `watch_state`, `person_ref`, `period_active`,
`notify_pending`, `ack_code`; the due times next to them are compared after that selection.
A queued or `sending` message also carries `due_hour`, the UTC hour bucket of the moment a
dispatcher should take it (`MessageCodec`), so the due query reads what is due, not what is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from notification.domain import alert as al
from notification.domain import message as msg
from notification.domain.casefile import (
    CaseFile,
    ClosedReason,
    ConsentEntry,
    LiabilityWatch,
    Notice,
    Relative,
    WatchState,
)
from notification.domain.contacts import Language
from notification.domain.templates import AlertFacts, AlertTopic, MeetingPlace, MessageKind
from notification.service_layer.ports import Clock
from trygg_shared.clock import SystemClock
from trygg_shared.contracts import notification as wire
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mapping import to_contract
from trygg_shared.mongo import Document
from trygg_shared.timers import hour_key

W = TypeVar("W", bound=IntegrationEvent)
_MessageEvent = msg.MessageAccepted | msg.MessageStatusReported | msg.MessageFailed | msg.MessageCancelled
_AlertEvent = al.AlertRaised | al.AlertAcknowledged | al.AlertEscalated | al.AlertResolved


def _stream_key(case_id: str | None, team_id: str | None, fallback: str) -> str:
    if case_id:
        return case_id
    if team_id:
        return f"team:{team_id}"
    return fallback


def _wire(contract: type[W], aggregate_id: str, keyed: Any, *sources: object, **given: Any) -> W:
    """A notification event: keyed by its case, else its team, else its own aggregate."""
    key = _stream_key(keyed.case_id, keyed.team_id, aggregate_id)
    return to_contract(contract, *sources, stream_key=key, **given)


# --- case files ----------------------------------------------------------------------------------


class CaseFileCodec:
    def to_document(self, state: CaseFile) -> Document:
        watch = state.watch
        return {
            "person_ref": state.person_ref,
            "team_name": state.team_name,
            "team_id": state.team_id,
            "decision_id": state.decision_id,
            "decided": state.decided,
            "trygg_hemgang": state.trygg_hemgang,
            "start_date": state.start_date.isoformat() if state.start_date else None,
            "decided_at": state.decided_at,
            "decision_read_at": state.decision_read_at,
            "last_day": state.last_day.isoformat() if state.last_day else None,
            "relatives_sequence": state.relatives_sequence,
            "relatives": [
                {"relative_id": r.relative_id, "phone": r.phone, "language": r.language.value}
                for r in state.relatives.values()
            ],
            "consent_log": [
                {
                    "relative_id": e.relative_id,
                    "change": e.change,
                    "recorded_by": e.recorded_by,
                    "recorded_at": e.recorded_at,
                    "source_event_id": e.source_event_id,
                }
                for e in state.consent_log
            ],
            "period_id": state.period_id,
            "period_active": state.period_active,
            "notices": [
                {
                    "key": n.key,
                    "kind": n.kind.value,
                    "cause": n.cause,
                    "at": n.at,
                    "day": n.day.isoformat() if n.day else None,
                    "place": n.place.value if n.place else None,
                }
                for n in state.notices.values()
            ],
            "closed": state.closed.value if state.closed else None,
            "watch": None
            if watch is None
            else {
                "ready_at": watch.ready_at,
                "liability_starts_at": watch.liability_starts_at,
                "alert_at": watch.alert_at,
                "state": watch.state.value,
            },
            "watch_state": watch.state.value if watch else None,
            "watch_alert_at": watch.alert_at if watch else None,
        }

    def from_document(self, doc: Document) -> CaseFile:
        w = doc.get("watch")
        return CaseFile(
            case_id=str(doc["_id"]),
            person_ref=doc["person_ref"],
            team_name=doc.get("team_name"),
            team_id=doc.get("team_id"),
            decision_id=doc.get("decision_id"),
            decided=bool(doc.get("decided")),
            trygg_hemgang=bool(doc.get("trygg_hemgang")),
            start_date=date.fromisoformat(doc["start_date"]) if doc.get("start_date") else None,
            decided_at=doc.get("decided_at"),
            decision_read_at=doc.get("decision_read_at"),
            last_day=date.fromisoformat(doc["last_day"]) if doc.get("last_day") else None,
            relatives_sequence=int(doc.get("relatives_sequence") or 0),
            relatives={
                r["relative_id"]: Relative(r["relative_id"], r["phone"], Language(r["language"]))
                for r in doc.get("relatives") or []
            },
            consent_log=[
                ConsentEntry(e["relative_id"], e["change"], e["recorded_by"], e["recorded_at"], e["source_event_id"])
                for e in doc.get("consent_log") or []
            ],
            period_id=doc.get("period_id"),
            period_active=bool(doc.get("period_active")),
            notices={
                n["key"]: Notice(
                    n["key"],
                    MessageKind(n["kind"]),
                    n["cause"],
                    n.get("at"),
                    date.fromisoformat(n["day"]) if n.get("day") else None,
                    MeetingPlace(n["place"]) if n.get("place") else None,
                )
                for n in doc.get("notices") or []
            },
            closed=ClosedReason(doc["closed"]) if doc.get("closed") else None,
            watch=None
            if not w
            else LiabilityWatch(w["ready_at"], w["liability_starts_at"], w["alert_at"], WatchState(w["state"])),
        )

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return ()  # consent changes and watches stay inside notification (the consent log is the audit)


# --- messages -------------------------------------------------------------------------------------


class MessageCodec:
    """`AggregateCodec[Message]`. `due_hour`: the bucket of `not_before` for a queued message, of
    `claim_until` for a `sending` one (when its claim lapses), absent (None) for the others; the
    clock puts a time already past in the current hour's bucket, which the dispatcher still reads."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()

    def due_hour(self, state: msg.Message) -> str | None:
        due = state.due_at
        return hour_key(max(due, self._clock.now())) if due is not None else None

    def to_document(self, state: msg.Message) -> Document:
        return {
            "due_hour": self.due_hour(state),
            "kind": state.kind.value,
            "recipient": state.recipient.value,
            "recipient_id": state.recipient_id,
            "to": state.to,
            "text": state.text,
            "language": state.language.value,
            "created_at": state.created_at,
            "not_before": state.not_before,
            "case_id": state.case_id,
            "team_id": state.team_id,
            "alert_id": state.alert_id,
            "topic": state.topic,
            "announces": state.announces,
            "held_for_quiet_hours": state.held_for_quiet_hours,
            "state": state.state.value,
            "attempts": state.attempts,
            "claim_token": state.claim_token,
            "claim_until": state.claim_until,
            "first_claimed_at": state.first_claimed_at,
            "reconcile": state.reconcile,
            "provider": state.provider,
            "provider_id": state.provider_id,
            "status_at": state.status_at,
            "reported": state.reported.value if state.reported else None,
            "failure_reason": state.failure_reason,
            "history": [{"what": what, "at": at} for what, at in state.history[-50:]],  # no nested arrays in FerretDB
        }

    def from_document(self, doc: Document) -> msg.Message:
        return msg.Message(
            message_id=str(doc["_id"]),
            kind=MessageKind(doc["kind"]),
            recipient=msg.RecipientKind(doc["recipient"]),
            recipient_id=doc["recipient_id"],
            to=doc["to"],
            text=doc["text"],
            language=Language(doc["language"]),
            created_at=doc["created_at"],
            not_before=doc["not_before"],
            case_id=doc.get("case_id"),
            team_id=doc.get("team_id"),
            alert_id=doc.get("alert_id"),
            topic=doc.get("topic"),
            announces=doc.get("announces"),
            held_for_quiet_hours=bool(doc.get("held_for_quiet_hours")),
            state=msg.MessageState(doc["state"]),
            attempts=int(doc.get("attempts", 0)),
            claim_token=doc.get("claim_token"),
            claim_until=doc.get("claim_until"),
            first_claimed_at=doc.get("first_claimed_at"),
            reconcile=bool(doc.get("reconcile")),
            provider=doc.get("provider"),
            provider_id=doc.get("provider_id"),
            status_at=doc.get("status_at"),
            reported=msg.DeliveryStatus(doc["reported"]) if doc.get("reported") else None,
            failure_reason=doc.get("failure_reason"),
            history=[(str(h["what"]), h["at"]) for h in doc.get("history") or []],
        )

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        found = _MESSAGE_WIRE.get(type(event))
        if found is None or not isinstance(event, _MessageEvent):
            return ()
        if isinstance(event, msg.MessageStatusReported) and event.status not in _REPORTED_ON_WIRE:
            return ()
        contract, at_name = found
        given: dict[str, Any] = {at_name: event.at, "recipient_kind": event.ref.recipient}
        if isinstance(event, msg.MessageAccepted):
            given["attempts"] = max(event.attempts, 1)
        return (_wire(contract, aggregate_id, event.ref, event, event.ref, **given),)


# Each message event's contract and the name its time has there.
_MESSAGE_WIRE: dict[type, tuple[type[IntegrationEvent], str]] = {
    msg.MessageAccepted: (wire.MessageSent, "sent_at"),
    msg.MessageStatusReported: (wire.MessageDelivered, "reported_at"),
    msg.MessageFailed: (wire.MessageFailed, "failed_at"),
    msg.MessageCancelled: (wire.MessageCancelled, "cancelled_at"),
}
_REPORTED_ON_WIRE = (msg.DeliveryStatus.SENT, msg.DeliveryStatus.DELIVERED)


# --- alerts ---------------------------------------------------------------------------------------


class AlertCodec:
    def to_document(self, state: al.Alert) -> Document:
        f = state.facts
        return {
            "topic": state.topic.value,
            "facts": {"case_ref": f.case_ref, "at": f.at, "team": f.team, "waiting": f.waiting, "limit": f.limit},
            "raised_at": state.raised_at,
            "ack_code": state.ack_code,
            "responders": [{"responder_id": r.responder_id, "phone": r.phone} for r in state.responders],
            "case_id": state.case_id,
            "team_id": state.team_id,
            "state": state.state.value,
            "level": state.level,
            "escalate_at": state.escalate_at,
            "notify_pending": state.notify_pending,
            "exhausted": state.exhausted,
            "acknowledged_by": state.acknowledged_by,
            "acknowledged_at": state.acknowledged_at,
            "channel": state.channel.value if state.channel else None,
            "escalations": list(state.escalations),
            "rota": state.rota,
            "unrouted": state.unrouted,  # queried: open alerts that reached nobody
            "resolved_reason": state.resolved_reason,
            "resolved_at": state.resolved_at,
        }

    def __init__(self, timezone: Any = None) -> None:
        self._tz = timezone  # facts' local times come back from the store in UTC: shown in this zone

    def from_document(self, doc: Document) -> al.Alert:
        f = doc.get("facts") or {}
        at: datetime | None = f.get("at")
        if at is not None and self._tz is not None:
            at = at.astimezone(self._tz)
        return al.Alert(
            alert_id=str(doc["_id"]),
            topic=AlertTopic(doc["topic"]),
            facts=AlertFacts(
                case_ref=f.get("case_ref"), at=at, team=f.get("team"), waiting=f.get("waiting"), limit=f.get("limit")
            ),
            raised_at=doc["raised_at"],
            ack_code=doc["ack_code"],
            responders=tuple(al.Responder(r["responder_id"], r["phone"]) for r in doc.get("responders") or []),
            case_id=doc.get("case_id"),
            team_id=doc.get("team_id"),
            state=al.AlertState(doc["state"]),
            level=int(doc.get("level", 0)),
            escalate_at=doc.get("escalate_at"),
            notify_pending=bool(doc.get("notify_pending")),
            exhausted=bool(doc.get("exhausted")),
            acknowledged_by=doc.get("acknowledged_by"),
            acknowledged_at=doc.get("acknowledged_at"),
            channel=al.AckChannel(doc["channel"]) if doc.get("channel") else None,
            escalations=list(doc.get("escalations") or []),
            rota=doc.get("rota"),
            resolved_reason=doc.get("resolved_reason"),
            resolved_at=doc.get("resolved_at"),
        )

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        found = _ALERT_WIRE.get(type(event))
        if found is None or not isinstance(event, _AlertEvent):
            return ()
        contract, at_name = found
        if isinstance(event, al.AlertRaised):
            return (_wire(contract, aggregate_id, event, event, responders_on_call=event.responders),)
        given: dict[str, Any] = {at_name: event.at}
        if isinstance(event, al.AlertAcknowledged):
            given["acknowledged_by"] = event.by
            given["seconds_to_acknowledge"] = max(int((event.at - event.raised_at).total_seconds()), 0)
        return (_wire(contract, aggregate_id, event, event, **given),)


# Each alert event's contract and the name its time has there (raised: its own `raised_at`).
_ALERT_WIRE: dict[type, tuple[type[IntegrationEvent], str]] = {
    al.AlertRaised: (wire.AlertRaised, "raised_at"),
    al.AlertAcknowledged: (wire.AlertAcknowledged, "acknowledged_at"),
    al.AlertEscalated: (wire.AlertEscalated, "escalated_at"),
    al.AlertResolved: (wire.AlertResolved, "resolved_at"),
}
