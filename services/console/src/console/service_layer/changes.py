"""The change feed behind the pages' live updates, shared by every console replica.

The replicas of the console are members of the same consumer groups (one per topic), so each
event is handled by exactly one of them: a replica learns of the changes another one made only
through the shared database. The feed is a log of **positions** in the console's database
(`ChangeLog`): the replica that changed the read model claims the next position after its
writes; every replica polls for positions past the newest it knows and wakes its page streams.

- **Claiming** is one atomic unique insert of the position, never a counter update (FerretDB v1
  updates are read-modify-write: two replicas would both write the same number). A writer claims
  `p + 1` only once it has seen `p` (by looking it up, or by losing the claim of `p` to
  another), so the positions are **gapless**: whoever sees `p` has seen every position before
  it, and a poller never steps over a position that is still being written.
- **Finding the newest** from the one a replica knows is a gallop of equality lookups by key
  (`hint + 1, + 2, + 4, ...`, then halving), each served by an index on FerretDB/PostgreSQL too:
  one lookup when nothing changed (two every `CONFIRM_EVERY`, when the known position is looked
  at again), about 2·log2(n) after n changes. Only when the known position itself is gone
  (swept meanwhile) or unknown (at start) is the newest read by a scan.
- **Bounded**: FerretDB v1 has no TTL index, so `sweep` deletes the positions older than a
  retention, never the newest one a replica knows (so the numbering never restarts).

A position tells a page only that something changed (it re-fetches its live region), so a
change claimed once for several writes is enough: concurrent announcements of one replica
share one claim made after all their writes. An announcement that fails (the database is
unreachable) is made by the next poll instead of being lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from console.service_layer.ports import ChangeLog, Clock
from trygg_shared.logging import get_logger

log = get_logger(__name__)

CLAIM_ATTEMPTS = 50  # lost claims in a row before an announcement is left to the next poll
# How long a position seen to exist is trusted to exist still without looking again. Less than the
# least retention (`LiveSettings.retention_seconds` >= 60 s), so a known position is looked at
# again before a sweep can have removed it: a poll that finds nothing new costs one lookup.
CONFIRM_EVERY = timedelta(seconds=30)


class ChangeFeed:
    """This replica's view of the shared change log: the newest position it knows (`version`),
    and page streams waiting for it to move."""

    def __init__(self, log_: ChangeLog, clock: Clock) -> None:
        self._log = log_
        self._clock = clock
        self.version = 0
        self.announced = 0  # positions this replica claimed (the others' come in by polling)
        self._changed = asyncio.Event()
        self._owed = False  # an announcement not yet claimed
        self._claiming = asyncio.Lock()
        self._seen: tuple[int, datetime] | None = None  # a position seen to exist, and when
        self._watchers = 0  # page streams waiting in `wait` now
        self._watched = asyncio.Event()  # set when a stream starts waiting: the idle poll wakes

    def _saw(self, position: int) -> int:
        if position > 0:
            self._seen = (position, self._clock.now())
        return position

    def _seen_lately(self, position: int) -> bool:
        return (
            self._seen is not None and self._seen[0] == position and self._clock.now() - self._seen[1] < CONFIRM_EVERY
        )

    def _advance(self, position: int) -> None:
        if position != self.version:
            self.version = position
            self._changed.set()
            self._changed = asyncio.Event()

    async def start(self) -> None:
        """Learn the newest position (a scan of the bounded log, once)."""
        self._advance(self._saw(await self._log.newest()))

    async def changed(self) -> None:
        """The read model changed here (its writes are done): claim the next position.

        Never raises: the facts are stored already, and an announcement that cannot be made now
        is made by the next `poll`.
        """
        self._owed = True
        try:
            await self._settle()
        except Exception as exc:  # noqa: BLE001 - the poll loop retries; the handler's work stands
            log.warning("change not announced yet; the next poll retries", error=type(exc).__name__)

    async def _settle(self) -> None:
        async with self._claiming:
            if not self._owed:
                return  # an announcement claimed after this one's writes covers it
            self._owed = False
            try:
                await self._claim_next()
            except BaseException:
                self._owed = True
                raise

    async def _claim_next(self) -> None:
        newest = await self.newest(self.version)
        for _ in range(CLAIM_ATTEMPTS):
            if await self._log.claim(newest + 1, self._clock.now()):
                self.announced += 1
                self._advance(self._saw(newest + 1))
                return
            newest = await self.newest(self._saw(newest + 1))  # another replica claimed it: it exists
        raise RuntimeError(f"{CLAIM_ATTEMPTS} change positions claimed by others in a row")

    async def newest(self, known: int) -> int:
        """The newest position, found from `known` (a position that exists, or 0)."""
        if known <= 0:
            return self._saw(await self._log.newest())
        if not await self._log.has(known + 1):
            if self._seen_lately(known):
                return known  # trusted, not refreshed: looked at again once CONFIRM_EVERY has passed
            if await self._log.has(known):
                return self._saw(known)
            return self._saw(await self._log.newest())  # swept meanwhile: one scan
        present, step = known + 1, 1
        while await self._log.has(present + step):
            present += step
            step *= 2
        absent = present + step
        while absent - present > 1:
            middle = (present + absent) // 2
            if await self._log.has(middle):
                present = middle
            else:
                absent = middle
        return self._saw(present)

    async def poll(self) -> None:
        """Catch up with the other replicas' positions (and make an announcement still owed)."""
        if self._owed:
            await self._settle()
        self._advance(await self.newest(self.version))

    async def run(self, every_seconds: float, idle_seconds: float | None = None) -> None:
        """Poll until cancelled (a background loop of the runtime; `start` ran at start-up).

        Every `every_seconds` while a page stream waits for changes; with none waiting, every
        `idle_seconds` (to make an announcement still owed), and at once when a stream starts
        waiting, so it hears of another replica's change as soon as with the fast poll. A page
        rendered meanwhile may carry an older version: its stream then gets one change at once.
        """
        idle = every_seconds if idle_seconds is None else max(every_seconds, idle_seconds)
        while True:
            if self._watchers:
                await asyncio.sleep(every_seconds)
            else:
                self._watched.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._watched.wait(), idle)
            await self.poll()

    async def sweep(self, retention: timedelta) -> int:
        """Forget positions older than `retention`, except the newest this replica knows."""
        if self.version <= 0:
            return 0
        return await self._log.forget(self.version, self._clock.now() - retention)

    async def sweep_every(self, every_seconds: float, retention: timedelta) -> None:
        """Sweep until cancelled (a background loop of the runtime)."""
        while True:
            await asyncio.sleep(every_seconds)
            removed = await self.sweep(retention)
            if removed:
                log.info("change positions past retention removed", removed=removed)

    async def wait(self, seen: int, within: float) -> int:
        """The version after a change newer than `seen`, or the current one after `within` seconds."""
        if self.version != seen:
            return self.version
        event = self._changed
        self._watchers += 1
        self._watched.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), within)
        finally:
            self._watchers -= 1
        return self.version
