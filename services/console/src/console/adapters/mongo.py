"""The read model in MongoDB (FerretDB): one document per fact set, with its fold beside it.

Each document holds the recorded facts (`facts`, the source of truth) and, written in the same
single-document save, the fold of those facts (`state`) plus the top-level fields the pages
query by equality (FerretDB 1.24 pushes only top-level equality filters down to PostgreSQL):
cases by `on_board` and `waiting`, visits by local `day`, alerts by `open`. The shared
`MongoAggregateStore` does the optimistic-concurrency save; the console publishes nothing, so
the codecs map no domain event to the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from console.domain import facts as f
from console.domain.alerts import AlertState, fold_alert
from console.domain.cases import CaseState, TimelineEntry, fold_case, timeline
from console.domain.checklist import ChecklistChanged
from console.domain.facts import AlertFact, CaseFact, FactSet, Recorded, TeamFact, VisitFact
from console.domain.sip import SipChanged, SipLapsed
from console.domain.teams import TeamState, fold_team
from console.domain.visits import VisitState, fold_visit
from console.service_layer.ports import SessionRecord
from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.audit import AuditShape
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.indexes import Index
from trygg_shared.mongo import Document
from trygg_shared.mongo_audit import MongoAuditLog as SharedMongoAuditLog
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.store_errors import storage_error

FACT_CLASSES: tuple[type[Any], ...] = (
    f.AdmissionNoticed,
    f.PlanningReceived,
    f.ReadyNoticed,
    f.ReadyRevoked,
    f.Discharged,
    f.MessageCancelled,
    f.CaseOpened,
    f.DecisionGranted,
    f.PersonNamed,
    f.DecisionChanged,
    f.DecisionEnded,
    f.PeriodPlanned,
    f.PeriodChanged,
    f.VisitScheduled,
    f.VisitRescheduled,
    f.VisitReassigned,
    f.VisitCancelled,
    f.VisitStarted,
    f.VisitCompleted,
    f.VisitMissed,
    f.FollowUpDue,
    f.HemtjanstCoverOrdered,
    f.HandedOver,
    f.PeriodEnded,
    f.StaffMember,
    f.TeamConfigured,
    f.WaitingListChanged,
    f.TeamCapacityExceeded,
    f.DayReplanned,
    f.AlertRaised,
    f.AlertAcknowledged,
    f.AlertEscalated,
    f.AlertResolved,
    f.RelativeMessage,
    f.LiabilityAccrued,
    ChecklistChanged,
    SipChanged,
    SipLapsed,
)
_FACTS: dict[str, TypeAdapter[Any]] = {cls.__name__: TypeAdapter(cls) for cls in FACT_CLASSES}
_CASE_STATE: TypeAdapter[CaseState] = TypeAdapter(CaseState)
_VISIT_STATE: TypeAdapter[VisitState] = TypeAdapter(VisitState)
_TEAM_STATE: TypeAdapter[TeamState] = TypeAdapter(TeamState)
_ALERT_STATE: TypeAdapter[AlertState] = TypeAdapter(AlertState)

CASES, VISITS, TEAMS, ALERTS, AUDIT = "cases", "visits", "teams", "alerts", "audit_log"
SESSIONS = "sessions"

# Audit records in `audit_log`, apart from the application logs (no TTL: keep five years): the
# cases and fields a page showed, and the trace of the request.
AUDIT_SHAPE = AuditShape(AUDIT, ("case_ids", "fields", "trace_id", "subject"))
MongoAuditLog = partial(SharedMongoAuditLog, shape=AUDIT_SHAPE)

F = TypeVar("F")


def dump_recorded(r: Recorded[Any]) -> Document:
    name = type(r.fact).__name__
    return {
        "event_id": r.event_id,
        "source": r.source,
        "occurred_at": r.occurred_at,
        "sequence": r.sequence,
        "trace_id": r.trace_id,
        "type": name,
        "fact": _FACTS[name].dump_python(r.fact, mode="json"),
    }


def load_recorded(doc: Document) -> Recorded[Any]:
    return Recorded(
        event_id=doc["event_id"],
        source=doc["source"],
        occurred_at=doc["occurred_at"],
        sequence=doc.get("sequence"),
        trace_id=doc.get("trace_id"),
        fact=_FACTS[doc["type"]].validate_python(doc["fact"]),
    )


class FactSetCodec(Generic[F]):
    """Stores a fact set with its fold; `derive` gives the fold's document fields."""

    def __init__(self, derive: Callable[[FactSet[F]], Document]) -> None:
        self._derive = derive

    def to_document(self, state: FactSet[F]) -> Document:
        return {"facts": [dump_recorded(r) for r in state.recorded()], **self._derive(state)}

    def from_document(self, doc: Document) -> FactSet[F]:
        facts = [load_recorded(d) for d in doc.get("facts", [])]
        return FactSet(str(doc["_id"]), {r.event_id: r for r in facts})

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return ()  # the console publishes nothing


def case_fields(facts: FactSet[CaseFact]) -> Document:
    state = fold_case(facts.key, facts.recorded())
    return {
        "state": _CASE_STATE.dump_python(state, mode="json"),
        "on_board": state.on_board,
        "waiting": bool(state.waiting and state.waiting.waiting),
        "status": state.status.value,
        "person_ref": state.person_ref,
        "updated_at": state.updated_at,
    }


def visit_fields(facts: FactSet[VisitFact]) -> Document:
    state = fold_visit(facts.recorded())
    if state is None:
        return {"state": None, "day": None}
    return {
        "state": _VISIT_STATE.dump_python(state, mode="json"),
        "day": state.day.isoformat(),
        "team_id": state.team_id,
        "case_id": state.case_id,
        "status": state.status.value,
    }


def team_fields(facts: FactSet[TeamFact]) -> Document:
    return {"state": _TEAM_STATE.dump_python(fold_team(facts.key, facts.recorded()), mode="json")}


def alert_fields(facts: FactSet[AlertFact]) -> Document:
    state = fold_alert(facts.key, facts.recorded())
    return {
        "state": _ALERT_STATE.dump_python(state, mode="json") if state else None,
        "open": bool(state and state.open),
        "case_id": state.case_id if state else None,
    }


def read_model_indexes() -> list[Index]:
    return [
        Index(CASES, ("on_board",)),
        Index(CASES, ("waiting",)),
        Index(VISITS, ("day",)),
        Index(ALERTS, ("open",)),
        Index(AUDIT, ("at",)),
    ]


class MongoStores:
    """The four fact-set stores on the console's database."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases: MongoAggregateStore[FactSet[CaseFact]] = MongoAggregateStore(db, CASES, FactSetCodec(case_fields))
        self.visits: MongoAggregateStore[FactSet[VisitFact]] = MongoAggregateStore(
            db, VISITS, FactSetCodec(visit_fields)
        )
        self.teams: MongoAggregateStore[FactSet[TeamFact]] = MongoAggregateStore(db, TEAMS, FactSetCodec(team_fields))
        self.alerts: MongoAggregateStore[FactSet[AlertFact]] = MongoAggregateStore(
            db, ALERTS, FactSetCodec(alert_fields)
        )


class MongoReadModel:
    """`ReadModel` on the stored folds (only the case page reads the facts, for its timeline)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def _states(self, collection: str, query: Document, adapter: TypeAdapter[Any]) -> list[Any]:
        try:
            cursor = self._db[collection].find(query, {"state": 1})
            return [adapter.validate_python(d["state"]) async for d in cursor if d.get("state")]
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix

    async def board(self) -> list[CaseState]:
        return await self._states(CASES, {"on_board": True}, _CASE_STATE)

    async def waiting(self) -> list[CaseState]:
        return await self._states(CASES, {"waiting": True}, _CASE_STATE)

    async def case(self, case_id: str) -> tuple[CaseState, list[TimelineEntry]] | None:
        try:
            doc = await self._db[CASES].find_one({"_id": case_id}, {"facts": 1})
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        if doc is None:
            return None
        recorded = [load_recorded(d) for d in doc.get("facts", [])]
        return fold_case(case_id, recorded), timeline(recorded)

    async def cases(self) -> list[CaseState]:
        return await self._states(CASES, {}, _CASE_STATE)

    async def visits_on(self, day: date) -> list[VisitState]:
        return await self._states(VISITS, {"day": day.isoformat()}, _VISIT_STATE)

    async def teams(self) -> Mapping[str, TeamState]:
        states: list[TeamState] = await self._states(TEAMS, {}, _TEAM_STATE)
        return {t.team_id: t for t in states}

    async def alerts(self, *, open_only: bool) -> list[AlertState]:
        return await self._states(ALERTS, {"open": True} if open_only else {}, _ALERT_STATE)

    async def alert(self, alert_id: str) -> AlertState | None:
        found = await self._states(ALERTS, {"_id": alert_id}, _ALERT_STATE)
        return found[0] if found else None


class MongoSessionStore:
    """Signed-in browsers in `sessions`, by the HMAC of their cookie (`_id`): one read by `_id` per request.

    FerretDB v1 has no TTL indexes: a session past `expires_at` is refused by `ServerSessions` and
    deleted by the sweep."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._sessions = db[SESSIONS]

    async def add(self, record: SessionRecord) -> None:
        doc = {
            "_id": record.key,
            "token_sha256": record.token_sha256,
            "created_at": record.created_at,
            "expires_at": record.expires_at,
        }
        try:
            await self._sessions.insert_one(doc)
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None

    async def get(self, key: str) -> SessionRecord | None:
        try:
            doc = await self._sessions.find_one({"_id": key})
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        if doc is None:
            return None
        return SessionRecord(doc["_id"], doc["token_sha256"], doc["created_at"], doc["expires_at"])

    async def remove(self, key: str) -> None:
        try:
            await self._sessions.delete_one({"_id": key})
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None

    async def remove_expired(self, now: datetime) -> int:
        try:
            result = await self._sessions.delete_many({"expires_at": {"$lte": now}})
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        return result.deleted_count
