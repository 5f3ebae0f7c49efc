"""MongoDB adapter: one liability record per case (`_id` = case id; upserts are idempotent)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pymongo.asynchronous.database import AsyncDatabase

from billing.domain.liability import CaseLiability
from trygg_shared.mongo import Document

_CASE = TypeAdapter(CaseLiability)


class MongoCaseLiabilities:
    COLLECTION = "case_liability"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[self.COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("discharged_at")

    async def get(self, case_id: str) -> CaseLiability | None:
        doc = await self._collection.find_one({"_id": case_id})
        if doc is None:
            return None
        doc.pop("_id")
        doc.pop("amount_sek", None)
        return _CASE.validate_python(doc)

    async def put(self, case: CaseLiability) -> None:
        doc: dict[str, Any] = _CASE.dump_python(case, mode="python")
        doc["amount_sek"] = case.amount_sek  # for reports
        await self._collection.replace_one({"_id": case.case_id}, {"_id": case.case_id, **doc}, upsert=True)
