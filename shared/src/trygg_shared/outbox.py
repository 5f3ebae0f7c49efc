"""Transactional outbox without multi-document transactions.

An aggregate's pending events live inside the aggregate's own document, in a map
`outbox: {<event id>: {...}}`, written in the same single-document update as the state change.
`OutboxRelay` publishes them in order (per document, by `seq`) and removes each one with
`$unset outbox.<id>` once Kafka has acknowledged it. A crash between publish and removal
publishes the event again with the same CloudEvents id; consumers skip the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from opentelemetry import context as otel_context
from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.envelope import EventMeta
from trygg_shared.logging import get_logger
from trygg_shared.mongo import Document

log = get_logger(__name__)

PENDING_FLAG = "outbox_pending"


class OutboxEvent(BaseModel):
    """One event waiting in an aggregate document to be published."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    topic: str
    subject: str
    time: datetime
    seq: int
    data: dict[str, Any]
    traceparent: str | None = None

    @classmethod
    def of(cls, event: IntegrationEvent, seq: int, *, now: datetime | None = None) -> OutboxEvent:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # keep the trace of the request that caused the event
        return cls(
            event_id=str(uuid4()),
            event_type=event.EVENT_TYPE,
            topic=event.TOPIC,
            subject=event.case_id,
            time=now or datetime.now(UTC),
            seq=seq,
            data=event.model_dump(mode="json"),
            traceparent=carrier.get("traceparent"),
        )

    def meta(self, source: str) -> EventMeta:
        return EventMeta(id=self.event_id, type=self.event_type, source=source, subject=self.subject, time=self.time)


def outbox_update(events: Sequence[OutboxEvent]) -> dict[str, Any]:
    """`$set` fields that add events to a document's outbox (merge into the state's `$set`)."""
    fields: dict[str, Any] = {f"outbox.{e.event_id}": e.model_dump(mode="python") for e in events}
    if events:
        fields[PENDING_FLAG] = True
    return fields


PublishFn = Callable[[OutboxEvent], Awaitable[None]]


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


class OutboxRelay:
    """Publishes pending outbox events of the given collections, oldest first per document."""

    def __init__(
        self,
        collections: Sequence[AsyncCollection[Document]],
        publish: PublishFn,
        *,
        poll_interval: float = 0.5,
        batch_size: int = 100,
        lease: RelayLease | None = None,
    ) -> None:
        self._lease = lease
        self._collections = list(collections)
        self._publish = publish
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    async def ensure_indexes(self) -> None:
        for collection in self._collections:
            await collection.create_index(PENDING_FLAG)

    def nudge(self) -> None:
        """Look now rather than at the next poll (called after a save with new events)."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """One round over every collection; returns how many events were published."""
        count = 0
        for collection in self._collections:
            cursor = collection.find({PENDING_FLAG: True}, {"outbox": 1}).limit(self._batch_size)
            async for doc in cursor:
                count += await self._publish_document(collection, doc)
        self.published += count
        return count

    async def _publish_document(self, collection: AsyncCollection[Document], doc: Document) -> int:
        events = sorted(
            (OutboxEvent.model_validate(e) for e in (doc.get("outbox") or {}).values()),
            key=lambda e: (e.seq, e.time),
        )
        for event in events:
            token = None
            if event.traceparent:
                token = otel_context.attach(propagate.extract({"traceparent": event.traceparent}))
            try:
                await self._publish(event)
            finally:
                if token is not None:
                    otel_context.detach(token)
            await collection.update_one({"_id": doc["_id"]}, {"$unset": {f"outbox.{event.event_id}": ""}})
        # Clear the flag only if nothing new arrived meanwhile (the filter makes it atomic).
        await collection.update_one({"_id": doc["_id"], "outbox": {}}, {"$set": {PENDING_FLAG: False}})
        return len(events)

    async def run(self) -> None:
        """Loop until cancelled; errors are logged and retried after the poll interval."""
        while True:
            try:
                if self._lease is not None and not await self._lease.acquire():
                    await asyncio.sleep(self._poll_interval)  # another replica publishes
                    continue
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka or Mongo down: retry, lose nothing
                log.warning("outbox relay round failed; retrying", error=type(exc).__name__)
                published = 0
            if published:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._lease is not None:
            with contextlib.suppress(Exception):  # best effort: the lease lapses by itself otherwise
                await self._lease.release()
