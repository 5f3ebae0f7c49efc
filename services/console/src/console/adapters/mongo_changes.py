"""The shared change log (`ChangeLog`) in the console's database: collection `changes`, one
document per position, `{"_id": <position>, "at": <when claimed>}`.

`has` and `claim` go by `_id` only: an equality lookup FerretDB 1.24 pushes down to PostgreSQL,
served by the GIN index `ensure_indexes` adds for `_id` of every declared collection (see
`trygg_shared.indexes`), and a unique insert, atomic on FerretDB v1 too. `newest` (a sort) and
`forget` (ranges) are done in FerretDB's memory over the whole collection, which the sweep keeps
to a few minutes of positions; they run at start and once a minute, not per poll.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from trygg_shared.indexes import Index
from trygg_shared.mongo import Document

CHANGES = "changes"


def change_log_indexes() -> list[Index]:
    """`at` for the sweep on MongoDB; declaring the collection also gives it its `_id` GIN index."""
    return [Index(CHANGES, ("at",))]


class MongoChangeLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._changes = db[CHANGES]

    async def has(self, position: int) -> bool:
        return await self._changes.find_one({"_id": position}, {"_id": 1}) is not None

    async def claim(self, position: int, at: datetime) -> bool:
        try:
            await self._changes.insert_one({"_id": position, "at": at})
        except DuplicateKeyError:
            return False
        return True

    async def newest(self) -> int:
        found = await self._changes.find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
        return int(found["_id"]) if found is not None else 0

    async def forget(self, below: int, before: datetime) -> int:
        result = await self._changes.delete_many({"_id": {"$lt": below}, "at": {"$lt": before}})
        return result.deleted_count
