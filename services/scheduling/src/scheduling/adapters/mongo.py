"""MongoDB adapter: incoming referrals, one document per case (upserts are idempotent)."""

from __future__ import annotations

from dataclasses import asdict

from pymongo.asynchronous.database import AsyncDatabase

from scheduling.domain.referrals import IncomingReferral, ReferralStatus
from trygg_shared.mongo import Document


class MongoIncomingReferrals:
    COLLECTION = "incoming_referrals"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[self.COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("status", 1), ("liability_starts_at", 1)])

    async def get(self, case_id: str) -> IncomingReferral | None:
        doc = await self._collection.find_one({"_id": case_id})
        if doc is None:
            return None
        doc.pop("_id")
        doc["status"] = ReferralStatus(doc["status"])
        return IncomingReferral(**doc)

    async def put(self, referral: IncomingReferral) -> None:
        doc = asdict(referral)
        await self._collection.replace_one({"_id": referral.case_id}, {"_id": referral.case_id, **doc}, upsert=True)
