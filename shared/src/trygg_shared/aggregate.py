"""The aggregate-store port: state and the events it produced, saved together or not at all.

Pure Python: use cases (`service_layer/`) depend on this module, never on PyMongo, Kafka or
the wire contracts. Adapters implement `AggregateStore`:
- `trygg_shared.mongo_store.MongoAggregateStore` writes the state and its outbox entries in one
  single-document write (FerretDB v1 has no multi-document transactions) and maps each domain
  event to its wire contract there, at the edge;
- `InMemoryAggregateStore` (here) for use-case tests.

Every event an aggregate records gets the next number of that aggregate's sequence
(1, 2, 3, …). The number travels on the wire as the CloudEvents `sequence` extension, so a
consumer can tell a repeat or a reordered event from the next one (see `trygg_shared.kafka`).

One retry policy for every service: `update_aggregate` loads, changes, saves, and starts again
from the top when another writer saved in between (optimistic concurrency on `version`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

A = TypeVar("A")
R = TypeVar("R")

MAX_SAVE_ATTEMPTS = 8


class ConcurrencyConflict(Exception):
    """The aggregate changed since it was loaded (or was created meanwhile): load again and retry."""


class StorageUnavailable(Exception):
    """The store cannot save durably right now; the caller should retry later."""


class StorageRejected(Exception):
    """The store refuses this content and always will (e.g. PostgreSQL refuses U+0000 in JSONB).

    A retry cannot fix it: HTTP answers 422 (never 503), a consumer dead-letters the message.
    The message names the error class only, never the content.
    """


class AggregateNotFound(LookupError):
    """No aggregate with that id."""


@dataclass(frozen=True)
class Loaded(Generic[A]):
    """An aggregate as loaded: its state, the version to save against, its last event number."""

    state: A
    version: int
    last_sequence: int


@dataclass(frozen=True)
class Saved:
    """What a save wrote: the new version and the sequence numbers given to the new events."""

    version: int
    sequences: tuple[int, ...]


class AggregateStore(Protocol[A]):
    """Loads and saves one kind of aggregate; each save is atomic (state + new events)."""

    async def load(self, aggregate_id: str) -> Loaded[A] | None: ...

    def known(self, aggregate_id: str) -> bool:
        """Whether this process has seen the aggregate stored (loaded or saved it). A hint for
        `update_aggregate(create_first=True)` only: False does not mean that it does not exist."""
        ...

    async def save(
        self,
        aggregate_id: str,
        expected_version: int,
        state: A,
        new_events: Sequence[object],
        *,
        last_sequence: int = 0,
    ) -> Saved:
        """Write `state` and `new_events` in one atomic write.

        `expected_version` 0 creates the aggregate; otherwise the stored version (and the last
        event number, `last_sequence`, as loaded) must equal it. Raises `ConcurrencyConflict`
        when they do not, `StorageUnavailable` when the store is down, `StorageRejected` when it
        refuses the content for good.
        """
        ...


async def update_aggregate(
    store: AggregateStore[A],
    aggregate_id: str,
    change: Callable[[A], tuple[R, Sequence[object] | None]],
    *,
    create: Callable[[], A] | None = None,
    first: Loaded[A] | None = None,
    attempts: int = MAX_SAVE_ATTEMPTS,
    create_first: bool = False,
) -> R:
    """Load (or create), apply `change`, save; again from the top after a concurrent save.

    `change(state)` mutates `state` in place and returns `(result, new_events)`; `new_events`
    `None` means nothing changed (nothing is written), `[]` a change of state without events.
    With no stored aggregate and no `create`, raises `AggregateNotFound`. `first`: the aggregate
    as the caller holds it already (a copy `change` may mutate), tried before any read; after a
    concurrent save the store is read as usual.

    `create_first` (with `create`): when the store has not seen the aggregate (`known`), try to
    create it before reading, for an aggregate that is most likely new (a hospital message that
    opens a case): the read is saved. If it exists after all, the create fails as a concurrent
    save (`ConcurrencyConflict`, nothing written) and it is read and changed as usual.
    """
    if create_first and create is not None and first is None and not store.known(aggregate_id):
        first = Loaded(create(), 0, 0)
    for _ in range(attempts):
        loaded = first if first is not None else await store.load(aggregate_id)
        first = None
        if loaded is None:
            if create is None:
                raise AggregateNotFound(aggregate_id)
            state, version, last = create(), 0, 0
        else:
            state, version, last = loaded.state, loaded.version, loaded.last_sequence
        result, events = change(state)
        if events is None:
            return result
        try:
            await store.save(aggregate_id, version, state, events, last_sequence=last)
        except ConcurrencyConflict:
            continue
        return result
    raise ConcurrencyConflict(f"{aggregate_id} kept changing; gave up after {attempts} tries")


@dataclass
class InMemoryAggregateStore(Generic[A]):
    """An `AggregateStore` in a dict, for use-case tests. Keeps published events in `outbox`.

    `copy` turns a state into an independent copy (default: `copy.deepcopy`), so a test sees
    the same isolation between load and save as with a real database.
    """

    copy: Callable[[A], A] | None = None
    states: dict[str, tuple[A, int, int]] = field(default_factory=dict)
    outbox: list[tuple[str, int, object]] = field(default_factory=list)
    saves: int = 0

    def _copy(self, state: A) -> A:
        if self.copy is not None:
            return self.copy(state)
        import copy

        return copy.deepcopy(state)

    def known(self, aggregate_id: str) -> bool:
        return aggregate_id in self.states

    async def load(self, aggregate_id: str) -> Loaded[A] | None:
        found = self.states.get(aggregate_id)
        if found is None:
            return None
        state, version, last = found
        return Loaded(self._copy(state), version, last)

    async def save(
        self,
        aggregate_id: str,
        expected_version: int,
        state: A,
        new_events: Sequence[object],
        *,
        last_sequence: int = 0,
    ) -> Saved:
        current = self.states.get(aggregate_id)
        current_version, last = (current[1], current[2]) if current else (0, 0)
        if current_version != expected_version or (expected_version and last != last_sequence):
            raise ConcurrencyConflict(aggregate_id)
        sequences = tuple(range(last + 1, last + 1 + len(new_events)))
        self.states[aggregate_id] = (self._copy(state), expected_version + 1, last + len(new_events))
        self.outbox.extend((aggregate_id, seq, event) for seq, event in zip(sequences, new_events, strict=True))
        self.saves += 1
        return Saved(expected_version + 1, sequences)

    def events(self, aggregate_id: str | None = None) -> list[Any]:
        """Events saved so far (for one aggregate, or all), in save order."""
        return [e for agg, _, e in self.outbox if aggregate_id is None or agg == aggregate_id]
