"""MongoDB adapter: liability watches, one document per case (upserts are idempotent)."""

from __future__ import annotations

from dataclasses import asdict

from pymongo.asynchronous.database import AsyncDatabase

from notification.domain.watches import LiabilityWatch, WatchStatus
from trygg_shared.mongo import Document


class MongoLiabilityWatches:
    COLLECTION = "liability_watches"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[self.COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("status", 1), ("alert_due_at", 1)])

    async def get(self, case_id: str) -> LiabilityWatch | None:
        doc = await self._collection.find_one({"_id": case_id})
        if doc is None:
            return None
        doc.pop("_id")
        doc["status"] = WatchStatus(doc["status"])
        return LiabilityWatch(**doc)

    async def put(self, watch: LiabilityWatch) -> None:
        await self._collection.replace_one({"_id": watch.case_id}, {"_id": watch.case_id, **asdict(watch)}, upsert=True)
