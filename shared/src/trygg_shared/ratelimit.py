"""Rate limits with the `limits` library: one limiter per process, keyed by what is being limited.

A limit is written in `limits`' notation (`"50/second"`, `"10/minute;100/hour"`); the storage
is a `limits` storage URI (`memory://` keeps the counters in the process, so with several
replicas each one counts its own share; `redis://host:6379` shares them). What a service
limits: each API token (`per_token`), failed attempts by client address on routes that can be
guessed at (console login, acknowledgement codes: `per_client_failures`), and, in referral,
each webhook sender after its signature is verified plus a cheaper pre-limit by client address.
A refused request is answered 429 problem+json with `Retry-After` (whole seconds, at least 1).
"""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from trygg_shared.http import ProblemError
from trygg_shared.settings import LimitSettings, parse_rate

__all__ = ["LimitSettings", "RateLimiter", "parse_rate", "too_many_requests"]

TOO_MANY_REQUESTS = 429


EXPIRY_INTERVAL_S = 1.0  # how often `memory://` drops expired entries (limits' own: every 10 ms)


class _MemoryStorage(MemoryStorage):
    """`limits`' `memory://` storage with its housekeeping thread started at most once a second.

    `limits` starts a new `threading.Timer` thread 10 ms after each hit once the last one has run, so
    under load a thread per 10 ms, each `start()` blocking the event loop until the new thread runs
    (5-6 % of referral's samples in py-spy at 50-100 webhooks/s on a loaded machine). Dropping expired
    entries is housekeeping only: the moving window compares each entry's time itself."""

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides limits' private hook (5.x)
        if not self.timer.is_alive():
            self.timer = threading.Timer(EXPIRY_INTERVAL_S, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


class RateLimiter:
    """A moving-window limiter (`limits.strategies.MovingWindowRateLimiter`) over one storage."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        storage = _MemoryStorage() if storage_uri == "memory://" else storage_from_string(storage_uri)
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, rate: str | list[RateLimitItem], *key: str) -> float | None:
        """Count one request under `key`: None when allowed, else the seconds until one more is.

        A refused request is not counted, so a client that waits out `Retry-After` gets in again.
        """
        items = parse_rate(rate) if isinstance(rate, str) else rate
        refused = self.refused(items, *key)
        if refused is not None:
            return refused
        for item in items:
            self._limiter.hit(item, *key)
        return None

    def refused(self, rate: str | list[RateLimitItem], *key: str) -> float | None:
        """Without counting: None when `key` still has room under every item, else the seconds until it has."""
        items = parse_rate(rate) if isinstance(rate, str) else rate
        waits = [self._retry_after(item, *key) for item in items if not self._limiter.test(item, *key)]
        return max(waits) if waits else None

    def _retry_after(self, item: RateLimitItem, *key: str) -> float:
        stats = self._limiter.get_window_stats(item, *key)
        return max(stats.reset_time - time.time(), 0.0)

    def reset(self) -> None:
        self._limiter.storage.reset()


def too_many_requests(retry_after: float, what: str = "requests") -> ProblemError:
    """The 429 problem: `Retry-After` in whole seconds (at least 1)."""
    seconds = max(1, math.ceil(retry_after))
    return ProblemError(
        TOO_MANY_REQUESTS,
        "Too many requests",
        f"Too many {what}; try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )
