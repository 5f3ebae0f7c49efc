"""Transactional outbox without multi-document transactions.

An aggregate's pending events live inside the aggregate's own document, in a map
`outbox: {<event id>: {...}}`, written in the same single-document update as the state change.
`OutboxRelay` publishes them in order (per document, by `seq`) and, once Kafka has acknowledged
them, empties the document's outbox by a compare-and-set at the version it published (the
documents published at about the same time share the commands of that write). A crash between
publish and removal publishes the event again with the same CloudEvents id; consumers skip the repeat.

With `settle_seconds` the relay waits that long before emptying a published outbox: a save of the
document at the published version meanwhile replaces the outbox instead of adding to it
(`MongoAggregateStore` asks `published_version`), so the emptying rides on that save and the
relay's own write is dropped. Nothing is lost either way: the store replaces only an outbox the
relay published whole at that version (a version is written once), and the relay's later
compare-and-set at that version does nothing once the document has moved on.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import uuid4

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ConnectionFailure

from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.envelope import EventMeta
from trygg_shared.logging import get_logger
from trygg_shared.metrics import ChassisMetrics
from trygg_shared.mongo import Document, compare_and_set_many
from trygg_shared.relay_lease import RelayLease
from trygg_shared.stopping import stop_tasks

log = get_logger(__name__)

PENDING_FLAG = "outbox_pending"

# Errors that mean the database or the broker is unreachable, not that one document is bad:
# they end the relay round instead of being skipped document by document.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaConnectionError,
    KafkaTimeoutError,
    TimeoutError,
)


class OutboxEvent(BaseModel):
    """One event waiting in an aggregate document to be published."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    topic: str
    subject: str  # the aggregate's id
    partition_key: str | None = None  # the Kafka key; the subject when None
    time: datetime
    seq: int  # the event's number in its aggregate's stream: 1, 2, 3, ...
    data: dict[str, Any]
    traceparent: str | None = None

    @classmethod
    def of(
        cls, event: IntegrationEvent, seq: int, *, subject: str | None = None, now: datetime | None = None
    ) -> OutboxEvent:
        """The outbox entry of a wire event; `subject` is the aggregate (default: the partition key)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # keep the trace of the request that caused the event
        key = event.partition_key()
        return cls(
            event_id=str(uuid4()),
            event_type=event.EVENT_TYPE,
            topic=event.TOPIC,
            subject=subject or key,
            partition_key=key,
            time=now or datetime.now(UTC),
            seq=seq,
            data=event.model_dump(mode="json"),
            traceparent=carrier.get("traceparent"),
        )

    def meta(self, source: str) -> EventMeta:
        return EventMeta(
            id=self.event_id,
            type=self.event_type,
            source=source,
            subject=self.subject,
            time=self.time,
            sequence=self.seq,
            partition_key=self.partition_key,
        )


def outbox_update(events: Sequence[OutboxEvent]) -> dict[str, Any]:
    """`$set` fields that add events to a document's outbox (merge into the state's `$set`)."""
    fields: dict[str, Any] = {f"outbox.{e.event_id}": e.model_dump(mode="python") for e in events}
    if events:
        fields[PENDING_FLAG] = True
    return fields


PublishFn = Callable[[OutboxEvent], Awaitable[None]]

# Documents of one fast-path round published at once (each one's events stay in order): the
# relay keeps up with intake by overlapping the Kafka acks and the compare-and-set round trips
# of different documents instead of waiting for each in turn.
FAST_PATH_CONCURRENCY = 8
# Outboxes emptied per group commit at most (their claims share one insert; their updates go
# `CAS_UPDATE_BATCH` statements per command).
EMPTY_BATCH = FAST_PATH_CONCURRENCY
# Under load, how long the relay lets saves gather before its next fast-path round.
BUSY_GATHER_SECONDS = 0.01


def _holds(events: Sequence[OutboxEvent], version: int, earlier: Sequence[OutboxEvent], at: int) -> bool:
    """Whether `events` (the whole outbox at `version`) are a later outbox that holds `earlier`'s."""
    return version > at and {e.event_id for e in earlier} <= {e.event_id for e in events}


class OutboxRelay:
    """Publishes pending outbox events of the given collections, oldest first per document.

    Two paths, one task:
    - fast path: `nudge(doc_id)` after a save publishes that document's events at once, read by
      `_id` (the only query FerretDB answers without scanning). `hand_over(...)` after a save
      that *created* a document, or updated one whose outbox was empty, passes its whole
      outbox and version, so it is published without reading the document back (one database
      round trip less per such save).
      Every replica publishes what its own process saved, without the lease; an overlap with
      the full scan publishes an event twice with the same id, which consumers skip. The
      documents of one round are published concurrently (up to `FAST_PATH_CONCURRENCY`), each
      document's own events in order;
    - full scan (`publish_pending`): every document flagged `outbox_pending`, at start and then
      every `full_scan_seconds`, by the lease holder only. It is the safety net for a process
      that stopped between saving and publishing, and for documents that failed before.

    One document that cannot be published (a broken outbox entry, an event Kafka refuses) is
    logged and left pending for the next scan; the others go on. An outage (database or broker
    unreachable) ends the round, which is retried after the poll interval.
    """

    def __init__(
        self,
        collections: Sequence[AsyncCollection[Document]],
        publish: PublishFn,
        *,
        poll_interval: float = 0.5,
        batch_size: int = 100,
        lease: RelayLease | None = None,
        full_scan_seconds: float = 30.0,
        clock: Callable[[], float] | None = None,
        settle_seconds: float = 0.0,
    ) -> None:
        self._lease = lease
        self._clock = clock  # monotonic seconds; the event loop's time when None
        self._settle = settle_seconds
        # Published whole, not yet emptied: (collection name, _id) -> (collection, version, due time).
        self._settling: dict[tuple[str, Any], tuple[AsyncCollection[Document], int, float]] = {}
        self._collections = list(collections)
        self._publish = publish
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._full_scan_seconds = full_scan_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nudged: set[str] = set()
        self._handed: dict[str, tuple[AsyncCollection[Document], int, tuple[OutboxEvent, ...]]] = {}
        self._scan_requested = False
        self._next_scan = 0.0  # loop time; 0 = at start
        self._next_lease_check = 0.0
        self._leader = False
        self._emptying: list[tuple[AsyncCollection[Document], Any, int, asyncio.Future[None]]] = []
        self._emptier: asyncio.Task[None] | None = None
        self._last_round_documents = 0
        self._round_empties: list[tuple[AsyncCollection[Document], Any, int]] | None = None
        self.published = 0
        self.metrics: ChassisMetrics | None = None  # set by the runtime (`ServiceRuntime`)

    @property
    def collections(self) -> list[AsyncCollection[Document]]:
        return list(self._collections)

    async def oldest_pending(self, limit: int = 1000) -> dict[str, datetime | None]:
        """Per collection, the time of the oldest unpublished entry (None: nothing pending).

        Reads the flagged documents' outboxes (few: the relay empties them within a second when
        Kafka is up); at most `limit` documents per collection, enough to see a stuck outbox.
        """
        oldest: dict[str, datetime | None] = {}
        for collection in self._collections:
            found: datetime | None = None
            cursor = collection.find({PENDING_FLAG: True}, {"outbox": 1}).limit(limit)
            async for doc in cursor:
                for entry in (doc.get("outbox") or {}).values():
                    at = entry.get("time") if isinstance(entry, dict) else None
                    if isinstance(at, datetime):
                        at = at if at.tzinfo else at.replace(tzinfo=UTC)  # BSON dates come back naive
                        found = at if found is None or at < found else found
            oldest[collection.name] = found
        return oldest

    def nudge(self, doc_id: str | None = None) -> None:
        """Publish now rather than at the next poll (called after a save with new events).

        With the saved document's id its events are published by `_id` at once (fast path).
        Without one the next round is a full scan (lease holder only): slow on a large collection.
        """
        if doc_id is None:
            self._scan_requested = True
        else:
            self._nudged.add(doc_id)
        self._wake.set()

    def published_version(self, collection: AsyncCollection[Document], doc_id: Any) -> int | None:
        """The version at which this relay published a document's whole outbox and has not emptied it yet."""
        entry = self._settling.get((collection.full_name, doc_id))
        return None if entry is None else entry[1]

    def dropped(self, collection: AsyncCollection[Document], doc_id: Any, version: int) -> None:
        """A save at `version` replaced the published outbox: the relay's own emptying is not needed."""
        key = (collection.full_name, doc_id)
        entry = self._settling.get(key)
        if entry is not None and entry[1] == version:
            del self._settling[key]

    def hand_over(
        self, collection: AsyncCollection[Document], doc_id: str, version: int, events: Sequence[OutboxEvent]
    ) -> None:
        """Publish a saved document's events as they were saved, without reading it back.

        Only when `events` are the document's whole outbox at `version`: a save that created the
        document, or an update of a version whose outbox was empty (`MongoAggregateStore`
        knows which). Then emptying the outbox by compare-and-set at `version` loses nothing.
        (Any other update's outbox may hold older events too: `nudge(doc_id)` reads it.)
        """
        if not events:
            return
        pending = self._handed.get(doc_id)
        if pending is None or _holds(events, version, pending[2], pending[1]):
            # (A later whole outbox that holds the pending one's events replaces it.)
            self._handed[doc_id] = (collection, version, tuple(events))
        else:
            # Handed over twice before a round: read it instead (the first events may still be in it).
            del self._handed[doc_id]
            self._nudged.add(doc_id)
        self._wake.set()

    async def publish_pending(self) -> int:
        """One full round over every collection; returns how many events were published.

        With a lease, it is renewed before each document and the round stops when it is lost.
        """
        count = 0
        for collection in self._collections:
            cursor = collection.find({PENDING_FLAG: True}, {"outbox": 1, "version": 1}).batch_size(self._batch_size)
            try:
                async for doc in cursor:
                    if self._lease is not None and not await self._lease.acquire():
                        self._leader = False
                        log.info("outbox relay lease lost; full scan stopped")
                        self.published += count
                        return count
                    # The scan read the document itself: a hand-over still queued for it is covered.
                    self._handed.pop(doc["_id"], None)
                    if self.published_version(collection, doc["_id"]) == doc.get("version"):
                        continue  # published at this version, its emptying waits to settle

                    count += await self._publish_isolated(collection, doc)
            finally:
                await cursor.close()
        self.published += count
        return count

    async def _publish_nudged(self) -> int:
        """The fast path: handed-over documents as saved, nudged ones read by `_id`; concurrently."""
        handed, self._handed = self._handed, {}
        ids, self._nudged = self._nudged, set()
        # A document both handed over and nudged (saved again since) is read: it may hold more.
        work: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            (doc_id, partial(self._publish_handed, collection, doc_id, version, events))
            for doc_id, (collection, version, events) in handed.items()
            if doc_id not in ids
        ]
        work += [(doc_id, partial(self._publish_by_id, doc_id)) for doc_id in ids]
        self._last_round_documents = len(work)
        done: set[str] = set()
        count = 0
        window = asyncio.Semaphore(FAST_PATH_CONCURRENCY)

        async def one(doc_id: str, publish: Callable[[], Awaitable[int]]) -> int:
            async with window:
                published = await publish()
            done.add(doc_id)
            return published

        self._round_empties = []  # the round's published documents: emptied together at its end
        try:
            results = await asyncio.gather(*(one(d, p) for d, p in work), return_exceptions=True)
            count = sum(r for r in results if isinstance(r, int))
            await self._empty_round()
            failure = next((r for r in results if isinstance(r, BaseException)), None)
            if failure is not None:
                raise failure
        except BaseException:
            # An outage or cancellation: what was not done is tried again (re-read by `_id`).
            self._nudged.update(doc_id for doc_id, _ in work if doc_id not in done)
            raise
        finally:
            self._round_empties = None
            self.published += count
        return count

    async def _empty_round(self, *, everything: bool = False) -> None:
        """Empty the published outboxes whose `settle_seconds` are over (with 0: the round's), one
        group commit per collection (their claims in one insert, their updates
        `CAS_UPDATE_BATCH` statements per command, concurrently)."""
        empties, self._round_empties = self._round_empties or [], None
        now = self._clock() if self._clock is not None else asyncio.get_running_loop().time()
        for collection, doc_id, version in empties:
            self._settling[(collection.full_name, doc_id)] = (collection, version, now + self._settle)
        emptied: dict[str, Any] = {"outbox": {}, PENDING_FLAG: False}
        for collection in self._collections:
            due = [
                key
                for key, (_, _, at) in self._settling.items()
                if key[0] == collection.full_name and (everything or at <= now)
            ]
            mine = [(key[1], self._settling.pop(key)[1]) for key in due]
            if not mine:
                continue
            try:
                await compare_and_set_many(collection, [(doc_id, version, emptied) for doc_id, version in mine])
            except BaseException:
                # Published, not emptied: read again by `_id` next round (its events go out again
                # with the same ids, which consumers skip).
                self._nudged.update(str(doc_id) for doc_id, _ in mine)
                raise

    async def _publish_by_id(self, doc_id: str) -> int:
        for collection in self._collections:
            doc = await collection.find_one({"_id": doc_id}, {"outbox": 1, "version": 1})
            if doc is not None:
                return await self._publish_isolated(collection, doc) if doc.get("outbox") else 0
        return 0

    async def _publish_handed(
        self, collection: AsyncCollection[Document], doc_id: str, version: int, events: tuple[OutboxEvent, ...]
    ) -> int:
        doc: Document = {"_id": doc_id, "version": version, "outbox": {e.event_id: e for e in events}}
        return await self._publish_isolated(collection, doc)

    async def _publish_isolated(self, collection: AsyncCollection[Document], doc: Document) -> int:
        """Publish one document; a failure that is this document's own is logged, not raised."""
        try:
            return await self._publish_document(collection, doc)
        except OUTAGE_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad document must not stop the others
            log.warning(
                "outbox document not published; kept for the next full scan",
                doc_id=str(doc.get("_id")),
                error=type(exc).__name__,
            )
            return 0

    async def _publish_document(self, collection: AsyncCollection[Document], doc: Document) -> int:
        events = sorted(
            (
                e if isinstance(e, OutboxEvent) else OutboxEvent.model_validate(e)
                for e in (doc.get("outbox") or {}).values()
            ),
            key=lambda e: (e.seq, e.time),
        )
        for event in events:
            # The relay's own polling is not traced (see `run`); publishing an event is, as part
            # of the trace of the request that caused it: a fresh context, un-suppressed.
            carrier = {"traceparent": event.traceparent} if event.traceparent else {}
            token = otel_context.attach(propagate.extract(carrier, context=otel_context.Context()))
            try:
                await self._publish(event)
                if self.metrics is not None:
                    self.metrics.events_published.labels(topic=event.topic, type=event.event_type).inc()
            finally:
                otel_context.detach(token)
        # One compare-and-set empties the outbox (and clears the flag) if nothing was saved since
        # the document was read. If something was, the write is skipped: the events stay in the
        # outbox and go out again after that save (same ids, which consumers skip). A crash before
        # this point also re-publishes the same ids. Concurrent documents share the write's
        # commands (`_empty`).
        if self._round_empties is not None:  # a fast-path round: emptied with the others at its end
            self._round_empties.append((collection, doc["_id"], int(doc["version"])))
        else:
            await self._empty(collection, doc["_id"], int(doc["version"]))
        return len(events)

    async def _empty(self, collection: AsyncCollection[Document], doc_id: Any, version: int) -> None:
        """Empty a published document's outbox by compare-and-set at `version`: a group commit, so
        the documents of one fast-path round share their claims' insert and `update` commands
        (`compare_and_set_many`); the caller returns once its own write was tried."""
        done = asyncio.get_running_loop().create_future()
        self._emptying.append((collection, doc_id, version, done))
        if self._emptier is None or self._emptier.done():
            # Untraced housekeeping in a fresh context: it writes for the events of many requests.
            self._emptier = asyncio.create_task(
                self._write_empties(), name="outbox-empty", context=contextvars.Context()
            )
        await asyncio.shield(done)

    async def _write_empties(self) -> None:
        with suppress_instrumentation():
            while self._emptying:
                name = self._emptying[0][0].full_name
                batch = [w for w in self._emptying if w[0].full_name == name][:EMPTY_BATCH]
                self._emptying = [w for w in self._emptying if w not in batch]
                emptied: dict[str, Any] = {"outbox": {}, PENDING_FLAG: False}
                try:
                    await compare_and_set_many(
                        batch[0][0], [(doc_id, version, emptied) for _, doc_id, version, _ in batch]
                    )
                except Exception as exc:  # noqa: BLE001 - each waiting document's publisher gets the failure
                    for *_, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for *_, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _round(self) -> int:
        """The nudged documents, then a full scan when one is due and this relay may run it."""
        published = await self._publish_nudged()
        now = self._clock() if self._clock is not None else asyncio.get_running_loop().time()
        if self._lease is not None and now >= self._next_lease_check:
            # Renewed every third of the lease time (never more often than the poll interval), so
            # the holder keeps it between scans and another replica takes over within a third of
            # the lease time after it lapsed; idle, one command per renewal, not per poll.
            self._next_lease_check = now + max(self._poll_interval, self._lease.renew_seconds)
            self._leader = await self._lease.acquire()
        scan_due = self._scan_requested or now >= self._next_scan
        if scan_due and (self._lease is None or self._leader):
            self._scan_requested = False
            self._next_scan = now + self._full_scan_seconds
            published += await self.publish_pending()
        return published

    async def run(self) -> None:
        """Loop until cancelled; errors are logged and retried after the poll interval."""
        while True:
            self._wake.clear()  # before the round: a nudge during it wakes the next one
            try:
                # Idle polling (lease, scans, reads by _id) starts no traces: ops would see
                # nothing but noise. Each publish attaches its event's own trace instead.
                with suppress_instrumentation():
                    await self._round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka or Mongo down: retry, lose nothing
                log.warning("outbox relay round failed; retrying", error=type(exc).__name__)
                self._next_lease_check = 0.0
                await asyncio.sleep(self._poll_interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            if self._last_round_documents > 1:
                # Busy (the last round had several documents): gather a few more saves for the
                # next round, so that their outboxes are emptied by one group commit. Alone, a
                # save's events go out at once, as before.
                await asyncio.sleep(BUSY_GATHER_SECONDS)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        if self._settling:
            with contextlib.suppress(Exception):  # best effort: a restart publishes them again otherwise
                await asyncio.wait_for(self._empty_round(everything=True), self._poll_interval * 4)
        if self._lease is not None:
            with contextlib.suppress(Exception):  # best effort: the lease lapses by itself otherwise
                await self._lease.release()
