"""The relay's lease: one relay at a time per service, however many replicas run."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from trygg_shared.mongo import Document


class RelayLease:
    """One relay at a time per service, however many replicas run; another takes over when it lapses.

    A single document per relay name holds the owner and an expiry; taking or renewing it is one
    conditional update. If two owners briefly overlap (a paused process), events may be
    published twice, never lost: consumers skip repeats by event id.
    """

    def __init__(self, collection: AsyncCollection[Document], name: str, *, ttl_seconds: float = 15.0) -> None:
        self._collection = collection
        self._name = name
        self._ttl = timedelta(seconds=ttl_seconds)
        # How often the holder renews it (and another replica tries to take it): a third of its
        # time, so two renewals may fail before it lapses, and a stopped holder's lease is taken
        # over at most a third of its time after it lapsed.
        self.renew_seconds = ttl_seconds / 3
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"

    async def acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            doc = await self._collection.find_one_and_update(
                {"_id": self._name, "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "expires_at": now + self._ttl}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # held by another owner and not expired: the upsert collided with it
        return doc is not None and doc.get("owner") == self.owner

    async def release(self) -> None:
        await self._collection.update_one(
            {"_id": self._name, "owner": self.owner}, {"$set": {"expires_at": datetime.fromtimestamp(0, UTC)}}
        )
