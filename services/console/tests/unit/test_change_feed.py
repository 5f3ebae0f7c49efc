"""The change feed shared by console replicas through one log (here in memory; on FerretDB in
tests/integration/test_live_across_replicas.py): positions gapless and claimed once, another
replica's change found by polling with few lookups, the log bounded by its sweep."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from console.adapters.memory import MemoryChangeLog
from console.service_layer.changes import CONFIRM_EVERY, ChangeFeed
from trygg_shared.clock import FixedClock


class InterleavingLog(MemoryChangeLog):
    """Yields to the event loop inside every call (as a database round trip does), so that
    concurrent writers interleave; records which positions existed when each one was claimed."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self._random = random.Random(seed)
        self.claimed_after_predecessor: list[bool] = []

    async def _pause(self) -> None:
        for _ in range(self._random.randint(0, 3)):
            await asyncio.sleep(0)

    async def has(self, position: int) -> bool:
        await self._pause()
        return await super().has(position)

    async def claim(self, position: int, at: datetime) -> bool:
        await self._pause()
        won = await super().claim(position, at)
        if won:
            self.claimed_after_predecessor.append(position == 1 or position - 1 in self.positions)
        return won


class DownLog(MemoryChangeLog):
    down = True

    async def claim(self, position: int, at: datetime) -> bool:
        if self.down:
            raise ConnectionError("database unreachable")
        return await super().claim(position, at)


def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 6, 3, 0, tzinfo=UTC))


async def test_a_change_made_by_one_replica_wakes_the_page_streams_of_another() -> None:
    log, now = MemoryChangeLog(), clock()
    a, b = ChangeFeed(log, now), ChangeFeed(log, now)
    await a.start()
    await b.start()
    waiting = asyncio.ensure_future(b.wait(b.version, within=5.0))

    await a.changed()
    assert a.version == 1
    await asyncio.sleep(0)
    assert not waiting.done()  # b knows nothing until it polls the shared log
    await b.poll()

    assert await asyncio.wait_for(waiting, timeout=1.0) == 1
    assert (a.announced, b.announced) == (1, 0)


async def test_replicas_announcing_at_once_claim_each_position_once_without_gaps() -> None:
    log, now = InterleavingLog(seed=3), clock()
    feeds = [ChangeFeed(log, now) for _ in range(3)]

    await asyncio.gather(*(feed.changed() for _ in range(40) for feed in feeds))
    for feed in feeds:
        await feed.poll()

    newest = max(log.positions)
    assert sorted(log.positions) == list(range(1, newest + 1))  # gapless: nothing to step over
    assert all(log.claimed_after_predecessor)  # p + 1 only once p existed
    assert sum(feed.announced for feed in feeds) == newest  # each position claimed by one replica
    assert {feed.version for feed in feeds} == {newest}
    assert all(feed.announced > 0 for feed in feeds)


async def test_announcements_made_during_a_claim_share_the_next_claim() -> None:
    log, now = InterleavingLog(seed=1), clock()
    feed = ChangeFeed(log, now)

    await asyncio.gather(*(feed.changed() for _ in range(20)))

    # Twenty writes finished while claims were under way: every one of them is covered by a claim
    # made after it, and they did not need twenty claims.
    assert 1 <= feed.announced < 20
    assert feed.version == max(log.positions)


async def test_polling_costs_one_lookup_when_idle_and_about_2_log2_n_after_n_changes() -> None:
    log, now = MemoryChangeLog(), clock()
    writer, reader = ChangeFeed(log, now), ChangeFeed(log, now)
    await writer.changed()
    await reader.poll()
    log.lookups = 0
    for _ in range(10):
        await reader.poll()
    assert log.lookups == 10
    now.advance(seconds=CONFIRM_EVERY.total_seconds())
    await reader.poll()
    assert log.lookups == 12  # now and then it looks again at the position it knows

    for _ in range(1000):
        await writer.changed()
    log.lookups = 0
    await reader.poll()

    assert reader.version == 1001
    assert log.lookups <= 2 * math.ceil(math.log2(1000)) + 2, log.lookups


async def test_the_sweep_keeps_the_log_bounded_and_the_numbering_goes_on() -> None:
    log, now = MemoryChangeLog(), clock()
    a, b = ChangeFeed(log, now), ChangeFeed(log, now)
    for _ in range(5):
        await a.changed()
    await b.poll()
    now.advance(minutes=10)
    for _ in range(3):
        await a.changed()  # positions 6..8, recent

    assert await a.sweep(timedelta(minutes=5)) == 5
    assert sorted(log.positions) == [6, 7, 8]
    now.advance(minutes=10)
    assert await a.sweep(timedelta(minutes=5)) == 2  # never the newest: the numbering must not restart
    assert sorted(log.positions) == [8]

    # b knew position 5, which is gone: it finds the newest by a scan, and claims after it.
    await b.changed()
    assert b.version == 9
    assert sorted(log.positions) == [8, 9]


async def test_a_replica_starting_on_a_used_log_counts_from_its_newest_position() -> None:
    log, now = MemoryChangeLog(), clock()
    for position in range(40, 46):
        await log.claim(position, now.now())  # the first 39 swept long ago
    feed = ChangeFeed(log, now)

    await feed.start()
    await feed.changed()

    assert feed.version == 46


async def test_an_announcement_the_database_refused_is_made_by_the_next_poll() -> None:
    log, now = DownLog(), clock()
    feed = ChangeFeed(log, now)

    await feed.changed()  # the handler's writes are done: no exception back to it
    assert feed.version == 0
    log.down = False
    await feed.poll()

    assert feed.version == 1
    assert log.positions.keys() == {1}


@pytest.mark.parametrize("claimed_by_other", [1, 7])
async def test_a_lost_claim_moves_on_past_what_the_other_replica_claimed(claimed_by_other: int) -> None:
    log, now = MemoryChangeLog(), clock()
    for position in range(1, claimed_by_other + 1):
        await log.claim(position, now.now())  # another replica, not yet polled
    feed = ChangeFeed(log, now)

    await feed.changed()

    assert feed.version == claimed_by_other + 1
    assert feed.announced == 1


class CountingLog(MemoryChangeLog):
    """Counts the lookups a feed makes."""

    lookups = 0

    async def has(self, position: int) -> bool:
        self.lookups += 1
        return await super().has(position)

    async def newest(self) -> int:
        self.lookups += 1
        return await super().newest()


async def _yield(times: int = 50) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


async def test_the_feed_polls_fast_only_while_a_page_waits_and_at_once_when_one_starts() -> None:
    log, now = CountingLog(), clock()
    feed, other = ChangeFeed(log, now), ChangeFeed(log, now)
    await feed.start()
    await other.start()
    log.lookups = 0
    # The fast poll is "every 0 s" here, the idle one an hour: any lookup below is the fast poll's.
    loop = asyncio.create_task(feed.run(0.0, 3600.0))
    try:
        await _yield()
        assert log.lookups == 0  # nobody watching: no lookups until the idle poll
        await other.changed()  # another replica's change, position 1
        log.lookups = 0
        waiting = asyncio.create_task(feed.wait(feed.version, 3600.0))
        await _yield()
        assert waiting.done()  # polled at once when the page started waiting
        assert waiting.result() == 1
        still = asyncio.create_task(feed.wait(feed.version, 3600.0))
        await _yield()
        during = log.lookups
        await _yield()
        assert log.lookups > during  # while a page waits: the fast poll goes on
        still.cancel()
        await _yield()
        quiet = log.lookups
        await _yield()
        assert log.lookups - quiet <= 1  # the page left: back to the idle poll (at most the round under way)
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
