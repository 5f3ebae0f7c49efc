"""The aggregate-store port's retry policy and the in-memory store tests use."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from trygg_shared.aggregate import (
    AggregateNotFound,
    ConcurrencyConflict,
    InMemoryAggregateStore,
    Loaded,
    update_aggregate,
)

pytestmark = pytest.mark.unit


@dataclass
class Counter:
    value: int = 0
    notes: list[str] = field(default_factory=list)


def bump(state: Counter) -> tuple[int, list[object]]:
    state.value += 1
    return state.value, [f"bumped to {state.value}"]


async def test_events_are_numbered_per_aggregate_across_saves() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    for _ in range(3):
        await update_aggregate(store, "a", bump, create=Counter)
    await update_aggregate(store, "b", bump, create=Counter)
    assert [(agg, seq) for agg, seq, _ in store.outbox] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    loaded = await store.load("a")
    assert loaded is not None
    assert (loaded.state.value, loaded.version, loaded.last_sequence) == (3, 3, 3)


async def test_a_save_against_a_stale_version_is_a_conflict() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    await update_aggregate(store, "a", bump, create=Counter)
    with pytest.raises(ConcurrencyConflict):
        await store.save("a", 0, Counter(), [])
    with pytest.raises(ConcurrencyConflict):
        await store.save("a", 1, Counter(), [], last_sequence=0)


async def test_a_concurrent_save_makes_the_change_run_again_on_fresh_state() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    await update_aggregate(store, "a", bump, create=Counter)
    raced = False

    def bump_after_a_rival(state: Counter) -> tuple[int, list[object]]:
        nonlocal raced
        if not raced:  # another writer saves between our load and our save
            raced = True
            rival = store.states["a"]
            store.states["a"] = (Counter(rival[0].value + 10), rival[1] + 1, rival[2])
        return bump(state)

    assert await update_aggregate(store, "a", bump_after_a_rival) == 12


async def test_a_copy_the_caller_holds_is_tried_first_and_the_store_read_only_after_a_conflict() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    await update_aggregate(store, "a", bump, create=Counter)
    held = await store.load("a")
    assert held is not None
    assert await update_aggregate(store, "a", bump, first=held) == 2  # written against the held version

    stale = Loaded(Counter(1), 1, 1)  # version 1: the store is at 2 by now
    assert await update_aggregate(store, "a", bump, first=stale) == 3  # conflict, then the stored state
    loaded = await store.load("a")
    assert loaded is not None
    assert (loaded.state.value, loaded.version) == (3, 3)


async def test_nothing_is_written_when_the_change_says_nothing_changed() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    await update_aggregate(store, "a", bump, create=Counter)
    assert await update_aggregate(store, "a", lambda s: (s.value, None)) == 1
    assert store.saves == 1


async def test_a_missing_aggregate_without_a_factory_is_not_found() -> None:
    store: InMemoryAggregateStore[Counter] = InMemoryAggregateStore()
    with pytest.raises(AggregateNotFound):
        await update_aggregate(store, "nope", bump)


async def test_create_first_skips_the_read_of_an_unknown_aggregate_and_falls_back_when_it_exists() -> None:
    @dataclass
    class Forgetful(InMemoryAggregateStore[Counter]):
        """Has aggregates it does not know of (stored by another process)."""

        loads: int = 0

        def known(self, aggregate_id: str) -> bool:
            return False

        async def load(self, aggregate_id: str) -> Loaded[Counter] | None:
            self.loads += 1
            return await super().load(aggregate_id)

    store = Forgetful()
    assert await update_aggregate(store, "a", bump, create=Counter, create_first=True) == 1
    assert store.loads == 0
    assert await update_aggregate(store, "a", bump, create=Counter, create_first=True) == 2  # exists: read, once
    assert store.loads == 1
    assert store.events("a") == ["bumped to 1", "bumped to 2"]
    assert await update_aggregate(store, "a", bump, create=Counter) == 3  # without it: read first
    assert store.loads == 2
