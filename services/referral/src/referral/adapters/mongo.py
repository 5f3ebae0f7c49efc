"""MongoDB adapters of the referral service: cases (with their outbox) and the inbox.

A case is one document: its hospital messages, denormalised fields for queries, a `version`
for optimistic concurrency and the outbox of events not yet published. Saving is one
single-document write, so state and events are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from referral.domain.case import Case, Opening
from referral.domain.decision import Decision
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage
from referral.service_layer.ports import (
    AuditRecord,
    CaseQuery,
    ConcurrencyConflict,
    InboundRecord,
    IntakeAnswer,
    StorageUnavailable,
)
from trygg_shared.mongo import Document
from trygg_shared.outbox import OutboxEvent, outbox_update

_MESSAGE = TypeAdapter(HospitalMessage)
_OPENING = TypeAdapter(Opening)
_DECISION = TypeAdapter(Decision)

CASES = "cases"
INBOX = "inbound_messages"


class MongoCaseRepository:
    def __init__(self, db: AsyncDatabase[Document], agreements: AgreementTable) -> None:
        self._cases = db[CASES]
        self._agreements = agreements
        # Told the id of every case saved with new events (the outbox relay's fast path).
        self.on_saved: Callable[[str], None] = lambda _case_id: None

    @property
    def collection(self) -> Any:
        return self._cases

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("person_ref")
        await self._cases.create_index("status")
        await self._cases.create_index("liability_starts_at")

    async def get(self, case_id: str) -> Case | None:
        doc = await self._cases.find_one({"_id": case_id}, {"outbox": 0})
        return None if doc is None else self._case(doc)

    async def find(self, query: CaseQuery) -> list[Case]:
        criteria: dict[str, Any] = {}
        if query.statuses:
            criteria["status"] = {"$in": list(query.statuses)}
        if query.liability_running:
            criteria["liability_starts_at"] = {"$ne": None}
        order = [("liability_starts_at", 1), ("_id", 1)] if query.order == "liability" else [("updated_at", -1)]
        cursor = self._cases.find(criteria, {"outbox": 0}).sort(order).skip(query.offset).limit(query.limit)
        return [self._case(doc) async for doc in cursor]

    def _case(self, doc: Document) -> Case:
        return Case(
            case_id=doc["_id"],
            person_ref=doc["person_ref"],
            sender_id=doc.get("sender_id"),
            episode_id=doc.get("episode_id"),
            region_code=doc.get("region_code"),
            messages={m.message_id: m for m in (_MESSAGE.validate_python(v) for v in doc.get("messages") or [])},
            readmission_of_case_id=doc.get("readmission_of_case_id"),
            opening=_OPENING.validate_python(doc["opening"]) if doc.get("opening") else None,
            decisions=[_DECISION.validate_python(d) for d in doc.get("decisions") or []],
            version=doc["version"],
        )

    def _state(self, case: Case) -> dict[str, Any]:
        facts = case.facts(self._agreements)
        ready = facts.ready
        return {
            "person_ref": case.person_ref,
            "sender_id": case.sender_id,
            "episode_id": case.episode_id,
            "region_code": case.region_code,
            # An array, not a map: a sender's webhook-id may contain '.' or start with '$'.
            "messages": [_MESSAGE.dump_python(m, mode="json") for m in case.messages.values()],
            "readmission_of_case_id": case.readmission_of_case_id,
            "status": facts.status.value,
            "liability_starts_at": ready.clock.liability_starts_at if ready and ready.ended_at is None else None,
            "discharged_at": facts.discharge.discharged_at if facts.discharge else None,
            "opening": _OPENING.dump_python(case.opening, mode="json") if case.opening else None,
            "decisions": [_DECISION.dump_python(d, mode="json") for d in case.decisions],
            "active_decision": (active.decision_type.value if (active := case.active_decision()) else None),
            "updated_at": datetime.now(UTC),
        }

    async def save(self, case: Case) -> None:
        seq0 = case.version * 1000  # keeps the outbox order across saves (fewer than 1000 events a save)
        events = [OutboxEvent.of(e, seq0 + i) for i, e in enumerate(case.events)]
        state = self._state(case)
        try:
            if case.version == 0:
                await self._cases.insert_one(
                    {"_id": case.case_id, **state, "version": 1, "outbox": {}, **_outbox_doc(events)}
                )
            else:
                result = await self._cases.update_one(
                    {"_id": case.case_id, "version": case.version},
                    {"$set": {**state, **outbox_update(events)}, "$inc": {"version": 1}},
                )
                if result.matched_count == 0:
                    raise ConcurrencyConflict(case.case_id)
        except DuplicateKeyError:
            raise ConcurrencyConflict(case.case_id) from None
        except ConnectionFailure as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        case.version += 1
        case.events.clear()
        if events:
            self.on_saved(case.case_id)

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        doc = await self._cases.find_one(
            {"person_ref": person_ref, "discharged_at": {"$gte": since}, "_id": {"$ne": exclude_case_id}},
            {"_id": 1},
            sort=[("discharged_at", -1)],
        )
        return str(doc["_id"]) if doc else None


def _outbox_doc(events: list[OutboxEvent]) -> dict[str, Any]:
    fields = outbox_update(events)
    outbox = {k.split(".", 1)[1]: v for k, v in fields.items() if k.startswith("outbox.")}
    return {"outbox": outbox, "outbox_pending": bool(outbox)}


class MongoInbox:
    """Accepted hospital messages, `_id` = `<sender>:<webhook-id>` (the idempotency key)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._inbox = db[INBOX]

    async def ensure_indexes(self) -> None:
        await self._inbox.create_index([("applied", 1), ("received_at", 1)])
        await self._inbox.create_index("case_id")

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        key = f"{record.sender_id}:{record.webhook_id}"
        try:
            await self._inbox.insert_one(
                {
                    "_id": key,
                    "sender_id": record.sender_id,
                    "webhook_id": record.webhook_id,
                    "case_id": record.case_id,
                    "message_type": record.message_type,
                    "body": record.body,
                    "answer": {"case_id": record.answer.case_id, "message_id": record.answer.message_id},
                    "received_at": record.received_at,
                    "applied": False,
                }
            )
        except DuplicateKeyError:
            doc = await self._inbox.find_one({"_id": key})
            if doc is None:  # pragma: no cover - a duplicate key that vanished cannot happen
                raise StorageUnavailable("inbox record vanished") from None
            return _record(doc)
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        return None

    async def mark_applied(self, sender_id: str, webhook_id: str) -> None:
        await self._inbox.update_one({"_id": f"{sender_id}:{webhook_id}"}, {"$set": {"applied": True}})

    async def unapplied(self, received_before: datetime, limit: int) -> list[InboundRecord]:
        cursor = (
            self._inbox.find({"applied": False, "received_at": {"$lt": received_before}})
            .sort("received_at", 1)
            .limit(limit)
        )
        return [_record(d) async for d in cursor]

    async def history(self, case_id: str) -> list[InboundRecord]:
        cursor = self._inbox.find({"case_id": case_id}).sort("received_at", 1)
        return [_record(d) async for d in cursor]


def _record(doc: Document) -> InboundRecord:
    return InboundRecord(
        sender_id=doc["sender_id"],
        webhook_id=doc["webhook_id"],
        case_id=doc["case_id"],
        message_type=doc["message_type"],
        body=doc["body"],
        answer=IntakeAnswer(**doc["answer"]),
        received_at=doc["received_at"],
        applied=bool(doc.get("applied")),
    )


class MongoAuditLog:
    """Reads of personal data, in their own collection (never in the application logs)."""

    COLLECTION = "audit_log"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._audit = db[self.COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._audit.create_index([("case_ids", 1), ("at", -1)])

    async def append(self, record: AuditRecord) -> None:
        try:
            await self._audit.insert_one(
                {
                    "_id": record.record_id,
                    "at": record.at,
                    "actor": record.actor,
                    "roles": list(record.roles),
                    "action": record.action,
                    "case_ids": list(record.case_ids),
                    "fields": list(record.fields),
                    "trace_id": record.trace_id,
                }
            )
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]:
        cursor = self._audit.find({"case_ids": case_id}).sort("at", -1).limit(limit)
        return [
            AuditRecord(
                record_id=d["_id"],
                at=d["at"],
                actor=d["actor"],
                roles=tuple(d["roles"]),
                action=d["action"],
                case_ids=tuple(d["case_ids"]),
                fields=tuple(d["fields"]),
                trace_id=d.get("trace_id"),
            )
            async for d in cursor
        ]
