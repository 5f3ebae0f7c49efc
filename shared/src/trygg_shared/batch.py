"""One bad record never stops a batch: the failure is reported, counted, and the rest finishes.

Batches (billing's statement runs and reports, the console's figures, replays) walk many
records; a record that breaks a rule nobody foresaw (a case dated in the year 378, accepted
before the edges refused such dates) must not stop the others. `isolate` wraps the work on
one record: an error is logged with the batch, the record's reference (a pseudonymous id,
never personal data) and the error's type and place, never its message (it can quote
personal data); it is counted in `trygg_batch_record_failures_total{batch=...}`, and the
caller gets `False` to report the record (in the run's outcome, for ops) and goes on.

Errors that mean "the store is down" are not a bad record: they stop the batch (it is
idempotent and is run again), so pass them in `reraise`.

Background loops (timers, sweeps) meet the same record again in their next round: a record that
failed is parked (`Backoff`) and tried again only after a pause that doubles with each failure
(`backoff_delay`), so a poisoned timer is reported once per try, never retried in a busy loop,
and never holds up the others.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from prometheus_client import Counter

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")
R = TypeVar("R")

BATCH_RECORD_FAILURES = Counter(
    "trygg_batch_record_failures",
    "Records a batch (statement run, report, figures, replay) could not process and left out.",
    ["batch"],
)


@dataclass
class Failures:
    """The records of one batch run that failed, by reference, in order."""

    batch: str
    refs: list[str] = field(default_factory=list)

    @contextmanager
    def isolate(self, ref: str, *, reraise: tuple[type[BaseException], ...] = (StorageUnavailable,)) -> Iterator[None]:
        """Run the body for record `ref`; an error other than `reraise` is reported and swallowed."""
        try:
            yield
        except reraise:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the batch
            self.report(ref, exc)

    def report(self, ref: str, exc: BaseException) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else None
        log.error("batch record failed; left out", batch=self.batch, record=ref, error=type(exc).__name__, where=where)
        BATCH_RECORD_FAILURES.labels(batch=self.batch).inc()
        self.refs.append(ref)


def compute_isolated(
    items: Sequence[T], compute: Callable[[Sequence[T]], R], ref: Callable[[T], str], batch: str
) -> tuple[R, tuple[str, ...]]:
    """`compute(items)`, or, when that fails, `compute` over the items that work alone (the rest reported).

    For a pure computation over many records (a report, the figures): the whole set is computed
    once, and only when that fails is each record tried alone (the cost is paid only then). A
    failure that needs several records together still raises.
    """
    try:
        return compute(items), ()
    except Exception:  # noqa: BLE001 - find the records that break it; the others still count
        failures = Failures(batch)
        good: list[T] = []
        for item in items:
            with failures.isolate(ref(item)):
                compute([item])
                good.append(item)
        return compute(good), tuple(failures.refs)


def backoff_delay(failures: int, first: timedelta, longest: timedelta) -> timedelta:
    """The pause after the `failures`-th failure in a row: `first`, doubling, at most `longest`."""
    factor: int = 2 ** min(max(failures - 1, 0), 30)
    return min(first * factor, longest)


@dataclass
class Backoff:
    """Records a background loop parked after a failure, in this process: reference -> (failures, until).

    `waiting(ref, now)` is True while a failed record's pause lasts (the loop skips it); `failed`
    parks it for `backoff_delay` (doubling with each failure in a row), `succeeded` forgets it.
    At most `capacity` records are remembered (the oldest are forgotten first: they are tried again).
    """

    first: timedelta = timedelta(seconds=5)
    longest: timedelta = timedelta(minutes=30)
    capacity: int = 10_000
    _parked: dict[str, tuple[int, datetime]] = field(default_factory=dict, init=False, repr=False)

    def waiting(self, ref: str, now: datetime) -> bool:
        parked = self._parked.get(ref)
        return parked is not None and parked[1] > now

    def failed(self, ref: str, now: datetime) -> datetime:
        """Park `ref` after a failure; returns when it is tried again."""
        failures = self._parked.pop(ref, (0, now))[0] + 1
        until = now + backoff_delay(failures, self.first, self.longest)
        self._parked[ref] = (failures, until)
        while len(self._parked) > self.capacity:
            del self._parked[next(iter(self._parked))]
        return until

    def succeeded(self, ref: str) -> None:
        self._parked.pop(ref, None)

    def failures(self, ref: str) -> int:
        return self._parked.get(ref, (0, None))[0]

    def parked(self, now: datetime) -> list[str]:
        """The records still waiting at `now` (a loop's next-due query leaves them out)."""
        return [ref for ref, (_, until) in self._parked.items() if until > now]

    def next_try(self, now: datetime) -> datetime | None:
        """When the first parked record may be tried again (None: none waits)."""
        return min((until for _, until in self._parked.values() if until > now), default=None)

    @contextmanager
    def attempt(
        self,
        failures: Failures,
        ref: str,
        now: datetime,
        *,
        reraise: tuple[type[BaseException], ...] = (StorageUnavailable,),
    ) -> Iterator[None]:
        """Run the body for `ref` (the caller checked `waiting`): a failure is reported in `failures`
        and parks the record; success forgets an earlier failure. `reraise` errors stop the round."""
        try:
            yield
        except reraise:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the loop
            failures.report(ref, exc)
            self.failed(ref, now)
        else:
            self.succeeded(ref)
