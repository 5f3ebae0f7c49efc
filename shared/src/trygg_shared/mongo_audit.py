"""The audit log in MongoDB (FerretDB v1): `trygg_shared.audit.AuditLog` for every service."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from trygg_shared.audit import AuditRecord, AuditShape
from trygg_shared.mongo import Document
from trygg_shared.store_errors import storage_error


class MongoAuditLog:
    """The records in one collection of the service's database, documents as its `AuditShape`
    says (no TTL: records are kept five years; FerretDB v1 has no TTL index anyway).

    A store error raises the port's error (`storage_error`: 503 only for what a retry can fix),
    so a read whose record cannot be kept is refused. The documents of a per-case record are
    inserted in batches of `BATCH`; those already inserted when a batch fails stay (an audit that
    says too much is harmless). Reads sort in FerretDB's memory: audit trails are read by ops,
    rarely, and each filter is one equality the service indexes (`case_ids`, `subject`) or none.
    """

    BATCH = 50

    def __init__(self, db: AsyncDatabase[Document], shape: AuditShape) -> None:
        self._collection = db[shape.collection]
        self._shape = shape

    async def append(self, record: AuditRecord) -> None:
        docs = [self._shape.document(kept) for kept in self._shape.split(record)]
        try:
            if len(docs) == 1:
                await self._collection.insert_one(docs[0])
                return
            for start in range(0, len(docs), self.BATCH):
                await self._collection.insert_many(docs[start : start + self.BATCH], ordered=True)
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix

    async def recent(self, limit: int) -> list[AuditRecord]:
        return await self._newest({}, limit)

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]:
        return await self._newest({"case_ids": case_id}, limit)

    async def for_subject(self, subject: str, limit: int) -> list[AuditRecord]:
        return await self._newest({"subject": subject}, limit)

    async def _newest(self, criteria: Document, limit: int) -> list[AuditRecord]:
        try:
            docs = [d async for d in self._collection.find(criteria).sort("at", -1).limit(limit)]
        except PyMongoError as exc:
            raise storage_error(exc) from None  # 503 only for what a retry can fix
        return [self._shape.record(d) for d in docs]
