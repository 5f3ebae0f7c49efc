"""A timer loop that sleeps until the next due time instead of polling blindly.

Timers live in the services' documents (never only in memory), so any replica can fire them;
firing stays exactly-once by the services' own compare-and-set saves and claims. This loop
only decides *when* to look:

- right after firing, it reads the earliest due time from the store (`next_due`, one indexed
  query) and sleeps until then;
- `wake()` (a timer was saved in this process) cuts the sleep short, so a new timer due
  sooner than the one the loop sleeps for is not missed;
- it never sleeps longer than `recheck_seconds`, so a timer saved by *another* replica is
  seen within that time, and fired on time once seen (it is due later than that, or it is
  fired by the replica that saved it, which was woken);
- a timer still due right after firing (another replica holds it, or it keeps failing) is
  looked at again after a short pause that doubles up to `recheck_seconds`, not in a busy loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

# The bucket of a due time in a document: its UTC hour, e.g. '2026-11-25T08'. A timer query reads
# a bucket by equality (the only filter FerretDB 1.24 pushes down to an index), not a time range.
HOUR_KEY_FORMAT = "%Y-%m-%dT%H"


def hour_key(instant: datetime) -> str:
    """The due-time bucket of an instant: its UTC hour, e.g. '2026-11-25T08'."""
    return instant.astimezone(UTC).strftime(HOUR_KEY_FORMAT)


# Sleep a little past the due time: `asyncio` may wake a millisecond early by the wall clock.
_PAST_DUE = 0.005


class DueTimeLoop:
    """Runs `fire()` when something is due; see the module docstring."""

    def __init__(
        self,
        fire: Callable[[], Awaitable[object]],
        next_due: Callable[[], Awaitable[datetime | None]],
        now: Callable[[], datetime],
        *,
        recheck_seconds: float,
        min_pause_seconds: float = 0.05,
    ) -> None:
        if recheck_seconds <= 0:
            raise ValueError("recheck_seconds must be positive")
        self._fire = fire
        self._next_due = next_due
        self._now = now
        self.recheck_seconds = recheck_seconds
        self._min_pause = min(min_pause_seconds, recheck_seconds)
        self._event = asyncio.Event()
        self._until: datetime | None = None  # when the current sleep ends (None: not asleep)
        self.rounds = 0

    def wake(self) -> None:
        """A timer was saved in this process: look again now (it may be due before the current sleep ends)."""
        self._event.set()

    def saved(self, due: datetime | None) -> None:
        """A document with a timer due at `due` was saved here: wake only if it is due before the sleep ends."""
        if due is not None and (self._until is None or due < self._until):
            self._event.set()

    def delay(self, due: datetime | None, pause: float) -> tuple[float, bool]:
        """Seconds to sleep before the next look, and whether `due` is overdue already."""
        if due is None:
            return self.recheck_seconds, False
        seconds = (due - self._now()).total_seconds()
        if seconds <= 0:
            return pause, True
        return min(seconds + _PAST_DUE, self.recheck_seconds), False

    async def run(self) -> None:
        pause = self._min_pause
        while True:
            self._event.clear()
            await self._fire()
            self.rounds += 1
            delay, overdue = self.delay(await self._next_due(), pause)
            pause = min(pause * 2, self.recheck_seconds) if overdue else self._min_pause
            self._until = self._now() + timedelta(seconds=delay)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), delay)
            finally:
                self._until = None
