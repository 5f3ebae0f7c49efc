"""MongoDB adapters of the referral service, besides the case store itself.

Cases are stored by `trygg_shared.mongo_store.MongoAggregateStore` with `CaseCodec`; the
queries across cases (`MongoCaseQueries`) read the same collection. Every query is an
equality filter on an indexed top-level field (what FerretDB 1.24 on PostgreSQL pushes down
to SQL and serves from an index; see `trygg_shared.indexes`); ranges and sorting are done on
the few documents that filter returns. `INDEXES` lists every index those queries need; the
runtime creates them at start.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bson.errors import BSONError
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from referral.adapters.codec import CaseCodec
from referral.domain.case import Case
from referral.service_layer.agreement_format import AgreementData, from_domain, to_domain
from referral.service_layer.ports import (
    AgreementChange,
    CaseQuery,
    InboundRecord,
    IntakeAnswer,
    StorageUnavailable,
)
from trygg_shared.audit import AuditShape
from trygg_shared.group_commit import group_insert
from trygg_shared.indexes import Index
from trygg_shared.mongo import Document
from trygg_shared.mongo_audit import MongoAuditLog as SharedMongoAuditLog
from trygg_shared.store_errors import storage_error
from trygg_shared.telemetry import quiet

CASES = "cases"
INBOX = "inbound_messages"
AUDIT = "audit_log"
AGREEMENTS = "agreements"
SMS_CONSENTS = "sms_consents"
# Inbox marks per round trip at most. Small on purpose: FerretDB v1 runs the statements of one
# `update` command one after another and each holds a PostgreSQL connection from its pool (the
# query's) until the command ends, so a large batch can take the whole pool and wait for itself
# (seen at 50 statements: FerretDB stopped answering; see bench/README.md).
MARK_BATCH = 4
# Audit documents per insert. A list read (up to 200 cases) is kept as one document per case: an
# indexed array of all its case ids exceeds PostgreSQL's btree row limit (2704 bytes) at about 65
# ids. Bounded like MARK_BATCH, for the same reason (one PostgreSQL connection per statement).
AUDIT_BATCH = 50

INDEXES: tuple[Index, ...] = (
    Index(CASES, ("person_ref",)),  # recent_discharge
    Index(CASES, ("status",)),  # find by one status
    Index(CASES, ("liability_running",)),  # find where the clock runs
    Index(CASES, ("team",)),  # find a team token's cases
    Index(CASES, ("sip_pending",)),  # the SIP lapse timer's cases
    Index(INBOX, ("applied",)),  # unapplied, sweep
    Index(INBOX, ("case_id",)),  # history
    Index(AUDIT, ("case_ids",)),  # for_case (an array of at most one case id since per-case records)
    Index(AUDIT, ("subject",)),  # for_subject
    Index(SMS_CONSENTS, ("officer_day",)),  # the officer's consents of a day
)

# Reads of personal data and changes of rules, in their own collection (never in the application
# logs). A list read is kept as one document per case it showed (`per_case`, see AUDIT_BATCH).
AUDIT_SHAPE = AuditShape(AUDIT, ("case_ids", "fields", "trace_id", "subject", "read_id"), per_case=True)
MongoAuditLog = partial(SharedMongoAuditLog, shape=AUDIT_SHAPE)


class MongoCaseQueries:
    """Reads across cases, on the store's collection."""

    def __init__(self, collection: AsyncCollection[Document], codec: CaseCodec) -> None:
        self._cases = collection
        self._codec = codec

    async def find(self, query: CaseQuery) -> list[Case]:
        criteria: dict[str, Any] = {}
        if len(query.statuses) == 1:
            criteria["status"] = query.statuses[0]
        elif query.statuses:
            criteria["status"] = {"$in": list(query.statuses)}
        if query.liability_running:
            criteria["liability_running"] = True
        if query.sip_pending:
            criteria["sip_pending"] = True
        if query.teams is not None:  # and cases saved before the team was stored: the use case checks them
            criteria["$or"] = [{"team": {"$in": sorted(query.teams)}}, {"team": {"$exists": False}}]
        order = [("liability_order", 1), ("_id", 1)] if query.order == "liability" else [("updated_at", -1), ("_id", 1)]
        cursor = self._cases.find(criteria, {"outbox": 0}).sort(order).skip(query.offset).limit(query.limit)
        try:
            docs = [doc async for doc in cursor]
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        return [self._codec.from_document(doc) for doc in docs]

    async def recent_discharge(self, person_ref: str, since: datetime, exclude_case_id: str) -> str | None:
        # Equality on person_ref only (index-served); the few cases of one person are filtered here.
        cursor = self._cases.find({"person_ref": person_ref}, {"_id": 1, "discharged_at": 1})
        found = [
            (doc["discharged_at"], str(doc["_id"]))
            async for doc in cursor
            if doc.get("discharged_at") is not None and doc["_id"] != exclude_case_id
        ]
        recent = [pair for pair in found if pair[0] >= since]
        return max(recent)[1] if recent else None


class MongoInbox:
    """Accepted hospital messages, `_id` = `<sender>:<webhook-id>` (the idempotency key).

    `add` is a group commit too (`trygg_shared.group_commit`): the records of concurrent webhooks
    go out as one unordered `insert` command; each caller returns once its own record is stored
    (then it may answer 202), and a repeat fails only its own insert.

    `mark_applied` is a group commit: the marks of concurrent requests go to the database
    together, as one `update` command with one statement per record (`bulk_write`), and each
    caller returns once its own mark is written. Under load that is one round trip for many
    webhooks instead of one each; alone, a mark is written at once as before. A mark that is
    never written (the process died) leaves the record unapplied: the sweeper applies it again,
    which changes nothing in its case (a case ignores a message it has), and marks it then.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._inbox = db[INBOX]
        self._records = group_insert(self._inbox)
        self._marks: list[tuple[str, asyncio.Future[None]]] = []
        self._marking: asyncio.Task[None] | None = None

    async def add(self, record: InboundRecord) -> InboundRecord | None:
        key = f"{record.sender_id}:{record.webhook_id}"
        try:
            # Concurrent webhooks' records share one insert command (trygg_shared.group_commit);
            # each returns once its own record is stored, a duplicate fails only its own.
            await self._records.insert(
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
            if doc is None:  # pragma: no cover - swept between the insert and the read
                raise StorageUnavailable("inbox record vanished") from None
            return _record(doc)
        except (PyMongoError, BSONError) as exc:  # BSONError: a key the driver cannot encode (a NUL in it)
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        return None

    async def mark_applied(self, sender_id: str, webhook_id: str, answer: IntakeAnswer | None = None) -> None:
        key = f"{sender_id}:{webhook_id}"
        if answer is not None:  # rare (the case had the message under another answer): on its own
            fields = {"applied": True, "answer": {"case_id": answer.case_id, "message_id": answer.message_id}}
            await self._inbox.update_one({"_id": key}, {"$set": fields})
            return
        done = asyncio.get_running_loop().create_future()
        self._marks.append((key, done))
        if self._marking is None or self._marking.done():
            # A fresh context: the batch writes the marks of many requests, so it must not join
            # the trace of whichever request happened to start it.
            self._marking = asyncio.create_task(self._write_marks(), name="inbox-marks", context=contextvars.Context())
        await asyncio.shield(done)

    async def _write_marks(self) -> None:
        """Write the waiting marks, a batch per round trip, until none wait (marks that arrive
        during a write go in the next one)."""
        while self._marks:
            batch, self._marks = self._marks[:MARK_BATCH], self._marks[MARK_BATCH:]
            try:
                with quiet():  # the marks of many requests: no trace of its own (it would be a new root)
                    await self._inbox.bulk_write(
                        [UpdateOne({"_id": key}, {"$set": {"applied": True}}) for key, _ in batch], ordered=False
                    )
            except Exception as exc:  # noqa: BLE001 - each waiting caller gets the failure
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def unapplied(
        self, received_before: datetime, limit: int, excluding: Sequence[str] = ()
    ) -> list[InboundRecord]:
        cursor = self._inbox.find({"applied": False})
        pending = [_record(d) async for d in cursor]
        skip = set(excluding)
        due = sorted(
            (r for r in pending if r.received_at < received_before and r.key not in skip), key=lambda r: r.received_at
        )
        return due[:limit]

    async def history(self, case_id: str) -> list[InboundRecord]:
        cursor = self._inbox.find({"case_id": case_id})
        return sorted([_record(d) async for d in cursor], key=lambda r: r.received_at)

    async def sweep(self, retention: timedelta, now: datetime) -> int:
        result = await self._inbox.delete_many({"applied": True, "received_at": {"$lt": now - retention}})
        return result.deleted_count


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


class MongoAgreementStore:
    """Agreement versions, `_id` = `<region>:<version>`: two versions with one number cannot both be stored."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._agreements = db[AGREEMENTS]

    async def all(self) -> list[AgreementChange]:
        try:
            docs = [d async for d in self._agreements.find({})]
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        return [
            AgreementChange(to_domain(AgreementData.model_validate(d["terms"])), d["added_by"], d["added_at"])
            for d in docs
        ]

    async def add(self, change: AgreementChange) -> bool:
        agreement = change.agreement
        try:
            await self._agreements.insert_one(
                {
                    "_id": f"{agreement.region_code}:{agreement.version}",
                    "terms": from_domain(agreement).model_dump(mode="json"),
                    "added_by": change.added_by,
                    "added_at": change.added_at,
                }
            )
        except DuplicateKeyError:
            return False
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        return True


class MongoConsentLedger:
    """Consents to SMS per officer and local day: one document per case and relative (`_id`), so a
    repeat counts once; the day's total is a count on the indexed `officer_day`. Inserts and a count
    instead of an increment: FerretDB v1's conditional updates are not atomic, a unique insert is."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._consents = db[SMS_CONSENTS]

    async def add(self, officer_day: str, keys: Sequence[str], at: datetime) -> int:
        docs = [{"_id": key, "officer_day": officer_day, "at": at} for key in keys]
        try:
            for start in range(0, len(docs), AUDIT_BATCH):
                try:
                    await self._consents.insert_many(docs[start : start + AUDIT_BATCH], ordered=False)
                except BulkWriteError as exc:  # entries recorded before: they count once
                    if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                        raise
            return await self._consents.count_documents({"officer_day": officer_day})
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None

    async def remove(self, keys: Sequence[str]) -> None:
        try:
            await self._consents.delete_many({"_id": {"$in": list(keys)}})
        except PyMongoError as exc:
            raise StorageUnavailable(type(exc).__name__) from None
