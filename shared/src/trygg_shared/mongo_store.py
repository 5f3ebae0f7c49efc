"""The MongoDB adapter of the aggregate-store port, with the outbox in the aggregate's document.

One document per aggregate:

    {_id, version, last_seq, <state fields from the codec>, outbox: {<event id>: {...}}, outbox_pending}

A save is one single-document write (insert for a new aggregate, otherwise an update whose
filter holds the expected `version` and `last_seq`): the state and the events it produced are
stored together or not at all, which is what FerretDB v1 can do without transactions. The
codec maps domain events to wire contracts here, at the edge, and each wire event gets the next
number of the aggregate's sequence. `OutboxRelay` (trygg_shared.outbox) publishes them.

Every write goes through `trygg_shared.mongo.compare_and_set`: a conditional update alone is not
atomic on FerretDB v1 (see there).

Hand-over of an update's events: the store remembers, per aggregate, the latest version it has
seen with an empty outbox (read with `outbox_pending` false, or written so by itself). A save
with events against exactly that version wrote the document's whole outbox, so with `on_updated`
set the relay is handed those events and the new version and publishes them without reading the
document back, as after a create. It also remembers the whole outbox it handed over at a
version: a save against that version (before the relay emptied it, e.g. a delivery report right
after the send's outcome) hands over those events and its own, the whole outbox again. A version
is written once (its number is claimed by a unique insert), so "this version's outbox was empty"
(or "held exactly these events") never turns false; any other save nudges the relay, which reads
the document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from bson.errors import BSONError
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure

from trygg_shared.aggregate import ConcurrencyConflict, Loaded, Saved, StorageUnavailable
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.group_commit import GroupInsert
from trygg_shared.indexes import Index
from trygg_shared.mongo import Document, compare_and_set
from trygg_shared.outbox import PENDING_FLAG, OutboxEvent
from trygg_shared.store_errors import is_permanent_store_error, is_transient_operation_failure, storage_error

A = TypeVar("A")

# Fields the store owns in every aggregate document; a codec must not write them.
RESERVED_FIELDS = frozenset({"_id", "version", "last_seq", "outbox", PENDING_FLAG})

# Aggregates whose empty-outbox version is remembered (the oldest are forgotten first).
EMPTY_OUTBOX_MEMORY = 4096
# Aggregates remembered as stored (`known`: a hint for creating before reading).
KNOWN_MEMORY = 16384


class AggregateCodec(Protocol[A]):
    """How one kind of aggregate is stored and how its domain events go on the wire."""

    def to_document(self, state: A) -> Document:
        """The state as document fields (query fields denormalised at top level)."""
        ...

    def from_document(self, doc: Document) -> A:
        """The state from a stored document (which also holds the store's own fields)."""
        ...

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        """The wire contracts of one domain event (none, one, or several topics)."""
        ...


class MongoAggregateStore(Generic[A]):
    """`AggregateStore` on one collection; `on_saved(aggregate_id)` is told of every save with events."""

    def __init__(
        self, db: AsyncDatabase[Document], collection: str, codec: AggregateCodec[A], *, remember_saved: int = 0
    ) -> None:
        self.collection: AsyncCollection[Document] = db[collection]
        self._codec = codec
        self._inserts = GroupInsert(self.collection)  # new aggregates of concurrent saves share a command
        self.on_saved: Callable[[str], None] = lambda _aggregate_id: None
        # Told of a save that created a document, with its version and whole outbox (the relay's
        # `hand_over`: it publishes them without reading the document back); `on_saved` if None.
        self.on_created: Callable[[str, int, Sequence[OutboxEvent]], None] | None = None
        # Told of an update saved against a version whose outbox was empty, with the new version
        # and its events, which are then the whole outbox (the relay's `hand_over`); `on_saved` if None.
        self.on_updated: Callable[[str, int, Sequence[OutboxEvent]], None] | None = None
        # Told of every successful save, with or without events, with the codec's fields (e.g.
        # a timer's due time, so a timer loop in this process can wake for an earlier one).
        self.on_written: Callable[[str, Document], None] | None = None
        # The version at which the relay published an aggregate's whole outbox and waits to empty
        # it (`OutboxRelay.published_version`); a save at that version replaces the outbox, and
        # `on_outbox_dropped` tells the relay its own emptying is not needed.
        self.published_version: Callable[[str], int | None] = lambda _aggregate_id: None
        self.on_outbox_dropped: Callable[[str, int], None] = lambda _aggregate_id, _version: None
        self._empty_outbox: dict[str, int] = {}  # aggregate id -> a version with an empty outbox
        # aggregate id -> (version, its whole outbox), as handed to the relay (`on_created`/`on_updated`)
        self._handed_outbox: dict[str, tuple[int, tuple[OutboxEvent, ...]]] = {}
        self._known: dict[str, None] = {}  # aggregates this process saw stored, the latest last
        # `saved_here`: the fields, version and last event number of this process's latest saves
        # (up to `remember_saved` aggregates; 0: none).
        self._remember_saved = remember_saved
        self._saved: dict[str, tuple[Document, int, int]] = {}

    @property
    def indexes(self) -> list[Index]:
        """The store's own index (the relay's full scan); services add theirs for queries."""
        return [Index(self.collection.name, (PENDING_FLAG,))]

    def saved_here(self, aggregate_id: str) -> Loaded[A] | None:
        """The aggregate as this process last saved it, if it did lately and has not read it since;
        given once (the next save remembers it again).

        It may be stale (another process wrote since): a save against it is a compare-and-set and
        conflicts then, so it only spares the read when it is current. A caller that would *not*
        write because of what it says must read the stored one before deciding (nothing checks a
        copy that is not written against).
        """
        entry = self._saved.pop(aggregate_id, None)
        if entry is None:
            return None
        fields, version, last = entry
        return Loaded(self._codec.from_document({"_id": aggregate_id, **copy.deepcopy(fields)}), version, last)

    def _remember_saved_state(self, aggregate_id: str, fields: Document, version: int, last: int) -> None:
        if not self._remember_saved:
            return
        saved = self._saved
        saved.pop(aggregate_id, None)
        saved[aggregate_id] = (copy.deepcopy(fields), version, last)
        if len(saved) > self._remember_saved:
            del saved[next(iter(saved))]

    def known(self, aggregate_id: str) -> bool:
        """Whether this process loaded or saved the aggregate (the latest `KNOWN_MEMORY` of them)."""
        return aggregate_id in self._known

    def _remember_known(self, aggregate_id: str) -> None:
        known = self._known
        known.pop(aggregate_id, None)
        known[aggregate_id] = None
        if len(known) > KNOWN_MEMORY:
            del known[next(iter(known))]

    async def load(self, aggregate_id: str) -> Loaded[A] | None:
        try:
            doc = await self.collection.find_one({"_id": aggregate_id}, {"outbox": 0})
        except ConnectionFailure as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        except OperationFailure as exc:
            if is_transient_operation_failure(exc):
                raise StorageUnavailable(f"OperationFailure code {exc.code}") from None
            raise
        if doc is None:
            return None
        return self.loaded(doc)

    def loaded(self, doc: Document) -> Loaded[A]:
        """An aggregate from its document as a query read it (the outbox may be left out)."""
        version = int(doc["version"])
        self._saved.pop(str(doc["_id"]), None)  # what was read is as new as what was saved here
        self._remember_known(str(doc["_id"]))
        if doc.get(PENDING_FLAG):
            self._empty_outbox.pop(str(doc["_id"]), None)
        else:
            self._remember_empty(str(doc["_id"]), version)
        return Loaded(self._codec.from_document(doc), version, int(doc.get("last_seq", 0)))

    def _remember_empty(self, aggregate_id: str, version: int) -> None:
        known = self._empty_outbox
        if known.get(aggregate_id, 0) > version:
            return  # a newer version is known
        known.pop(aggregate_id, None)
        known[aggregate_id] = version
        if len(known) > EMPTY_OUTBOX_MEMORY:
            del known[next(iter(known))]

    async def save(
        self,
        aggregate_id: str,
        expected_version: int,
        state: A,
        new_events: Sequence[object],
        *,
        last_sequence: int = 0,
    ) -> Saved:
        fields = self._codec.to_document(state)
        clash = RESERVED_FIELDS & fields.keys()
        if clash:
            raise ValueError(f"codec wrote store-owned fields: {sorted(clash)}")
        wire = [w for event in new_events for w in self._codec.to_wire(aggregate_id, event)]
        base = last_sequence if expected_version else 0
        outbox = [OutboxEvent.of(w, base + i, subject=aggregate_id) for i, w in enumerate(wire, start=1)]
        # At the version the relay published whole, the save replaces the outbox: it then holds
        # exactly this save's events, as after an empty one.
        replace = expected_version != 0 and self.published_version(aggregate_id) == expected_version
        was_empty = replace or (expected_version != 0 and self._empty_outbox.get(aggregate_id) == expected_version)
        try:
            version = await self._write(aggregate_id, expected_version, fields, outbox, last_sequence, replace=replace)
        except DuplicateKeyError:
            self._remember_known(aggregate_id)  # it exists (a create that lost, or a claimed version)
            raise ConcurrencyConflict(aggregate_id) from None
        except ConnectionFailure as exc:
            raise StorageUnavailable(type(exc).__name__) from None
        except (OperationFailure, BSONError, UnicodeEncodeError) as exc:
            # The content, for good: StorageRejected (422); busy or failing over: StorageUnavailable (503).
            if is_permanent_store_error(exc) or (
                isinstance(exc, OperationFailure) and is_transient_operation_failure(exc)
            ):
                raise storage_error(exc) from None
            raise
        self._remember_known(aggregate_id)
        self._remember_saved_state(
            aggregate_id, fields, version, (last_sequence if expected_version else 0) + len(outbox)
        )
        if replace:
            self.on_outbox_dropped(aggregate_id, expected_version)
        if self.on_written is not None:
            self.on_written(aggregate_id, fields)
        self._announce(aggregate_id, expected_version, version, outbox, was_empty=was_empty)
        return Saved(version, tuple(e.seq for e in outbox))

    async def _write(
        self,
        aggregate_id: str,
        expected_version: int,
        fields: Document,
        outbox: Sequence[OutboxEvent],
        last_sequence: int,
        *,
        replace: bool = False,
    ) -> int:
        """Insert version 1, or compare-and-set the next version (`replace`: its outbox by this
        save's events); returns the version written."""
        last = (last_sequence if expected_version else 0) + len(outbox)
        if expected_version == 0:
            # New aggregates of concurrent saves share one insert command (trygg_shared.group_commit).
            await self._inserts.insert(
                {
                    "_id": aggregate_id,
                    **fields,
                    "version": 1,
                    "last_seq": last,
                    "outbox": {e.event_id: e.model_dump(mode="python") for e in outbox},
                    PENDING_FLAG: bool(outbox),
                }
            )
            return 1
        update: dict[str, Any] = {**fields, "last_seq": last}
        if replace:
            update["outbox"] = {e.event_id: e.model_dump(mode="python") for e in outbox}
            update[PENDING_FLAG] = bool(outbox)
        else:
            update.update({f"outbox.{e.event_id}": e.model_dump(mode="python") for e in outbox})
            if outbox:
                update[PENDING_FLAG] = True
        written = await compare_and_set(
            self.collection, aggregate_id, expected_version, update, extra_filter={"last_seq": last_sequence}
        )
        if written is None:
            raise ConcurrencyConflict(aggregate_id)
        return written

    def _announce(
        self, aggregate_id: str, expected_version: int, version: int, outbox: Sequence[OutboxEvent], *, was_empty: bool
    ) -> None:
        """Tell the relay of a save's events (or remember that the outbox stays empty)."""
        handed = self._handed_outbox.pop(aggregate_id, None)
        before = handed[1] if handed is not None and handed[0] == expected_version else None
        if not outbox:
            if expected_version == 0 or was_empty:
                self._remember_empty(aggregate_id, version)
            elif before is not None:  # the outbox is still the one handed over
                self._remember_handed(aggregate_id, version, before)
            return
        self._empty_outbox.pop(aggregate_id, None)
        if expected_version == 0 and self.on_created is not None:
            self.on_created(aggregate_id, version, outbox)
            self._remember_handed(aggregate_id, version, tuple(outbox))
        elif was_empty and self.on_updated is not None:
            self.on_updated(aggregate_id, version, outbox)
            self._remember_handed(aggregate_id, version, tuple(outbox))
        elif before is not None and self.on_updated is not None:
            # Saved against a version whose whole outbox this store handed over: the outbox is now
            # exactly those events and this save's (the relay's emptying of that version, had it
            # happened, would have moved the version on and this save would have conflicted).
            whole = (*before, *outbox)
            self.on_updated(aggregate_id, version, whole)
            self._remember_handed(aggregate_id, version, whole)
        else:
            self.on_saved(aggregate_id)

    def _remember_handed(self, aggregate_id: str, version: int, events: tuple[OutboxEvent, ...]) -> None:
        handed = self._handed_outbox
        handed[aggregate_id] = (version, events)
        if len(handed) > EMPTY_OUTBOX_MEMORY:
            del handed[next(iter(handed))]
