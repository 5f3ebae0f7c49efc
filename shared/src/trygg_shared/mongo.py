"""MongoDB chassis: one AsyncMongoClient per service database, and the idempotent-consumer guard.

Written for the MongoDB wire protocol as FerretDB v1 serves it: single-document atomic writes,
unique indexes; no multi-document transactions, change streams, TTL indexes or `$lookup`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from trygg_shared.settings import MongoSettings

Document = dict[str, Any]


def create_mongo_client(settings: MongoSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A client for one service; it connects lazily on first use."""
    return AsyncMongoClient(
        settings.uri,
        appname=app_name,
        serverSelectionTimeoutMS=settings.timeout_ms,
        connectTimeoutMS=settings.timeout_ms,
        socketTimeoutMS=max(settings.timeout_ms, 10_000),
        tz_aware=True,
    )


async def ping(db: AsyncDatabase[Document]) -> None:
    """Raise when the database does not answer."""
    await db.command("ping")


class ProcessedEvents:
    """Idempotent-consumer guard: the ids of events a consumer group has handled, and its
    position (last sequence number handled) per aggregate.

    Each record's `_id` is `<consumer>:<event id>` (the unique primary index), so a second
    record for the same event cannot exist. The guard makes repeats cheap and skips effects;
    handlers still write their effects idempotently (deterministic ids, upserts), because a
    process can die after the effect and before `mark`.

    FerretDB v1 has no TTL indexes: `sweep` removes records older than the retention, called
    by the service runtime's background loop.
    """

    COLLECTION = "processed_events"
    POSITIONS = "consumer_positions"

    def __init__(self, db: AsyncDatabase[Document], consumer: str) -> None:
        self._collection = db[self.COLLECTION]
        self._positions = db[self.POSITIONS]
        self._consumer = consumer

    async def position(self, stream: str, subject: str) -> int:
        doc = await self._positions.find_one({"_id": f"{self._consumer}|{stream}|{subject}"}, {"seq": 1})
        return int(doc["seq"]) if doc else 0

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        await self._positions.update_one(
            {"_id": f"{self._consumer}|{stream}|{subject}"},
            {"$max": {"seq": sequence}, "$set": {"consumer": self._consumer, "updated_at": datetime.now(UTC)}},
            upsert=True,
        )

    async def sweep(self, retention: timedelta) -> int:
        """Forget handled events and positions not touched within `retention`; returns how many."""
        cutoff = datetime.now(UTC) - retention
        handled = await self._collection.delete_many({"consumer": self._consumer, "handled_at": {"$lt": cutoff}})
        positions = await self._positions.delete_many(
            {"consumer": self._consumer, "updated_at": {"$lt": cutoff}}
        )
        return handled.deleted_count + positions.deleted_count

    def _key(self, event_id: str) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": self._key(event_id)}, {"_id": 1}) is not None

    async def mark(self, event_id: str, event_type: str) -> bool:
        """Record the event as handled; False when it already was."""
        try:
            await self._collection.insert_one(
                {
                    "_id": self._key(event_id),
                    "consumer": self._consumer,
                    "event_id": event_id,
                    "event_type": event_type,
                    "handled_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True
