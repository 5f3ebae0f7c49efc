"""MongoDB adapter: liability periods, one document per case and ready notice (idempotent upserts)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC

from pymongo.asynchronous.database import AsyncDatabase

from billing.domain.liability import LiabilityPeriod, PeriodStatus
from trygg_shared.mongo import Document


class MongoLiabilityPeriods:
    COLLECTION = "liability_periods"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[self.COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("case_id", 1), ("ready_at", -1)])

    async def current(self, case_id: str) -> LiabilityPeriod | None:
        doc = await self._collection.find_one({"case_id": case_id}, sort=[("ready_at", -1)])
        if doc is None:
            return None
        doc.pop("_id")
        doc["status"] = PeriodStatus(doc["status"])
        return LiabilityPeriod(**doc)

    async def put(self, period: LiabilityPeriod) -> None:
        # BSON keeps milliseconds: key on what survives a round trip, or a reloaded period
        # would get a new key and a second document.
        ready_ms = period.ready_at.astimezone(UTC).replace(microsecond=period.ready_at.microsecond // 1000 * 1000)
        key = f"{period.case_id}:{ready_ms.isoformat(timespec='milliseconds')}"
        await self._collection.replace_one({"_id": key}, {"_id": key, **asdict(period)}, upsert=True)
