"""The in-process rate limiter (`memory://`): the moving window still holds, and hits under load do
not start a housekeeping thread every 10 ms (each `Thread.start` blocks the caller's event loop
until the new thread runs)."""

from __future__ import annotations

import threading
import time

import pytest

from trygg_shared.ratelimit import RateLimiter


def test_hits_under_load_start_at_most_one_housekeeping_thread_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter()
    starts = [0]
    real_start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        starts[0] += 1
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    ends = time.monotonic() + 0.3
    hits = 0
    while time.monotonic() < ends:  # about 300 ms of hits, as a webhook per millisecond would make
        assert limiter.hit("100000/second", "sender", "a") is None
        hits += 1
        time.sleep(0.001)
    assert hits > 50
    assert starts[0] <= 2  # limits' own storage: one every 10 ms, ~30 here


def test_the_moving_window_still_refuses_past_the_limit_and_admits_after_it() -> None:
    limiter = RateLimiter()
    for _ in range(5):
        assert limiter.hit("5/second", "sender", "b") is None
    wait = limiter.hit("5/second", "sender", "b")
    assert wait is not None
    assert 0 < wait <= 1.0
    assert limiter.hit("5/second", "sender", "c") is None  # another key has its own window
    time.sleep(1.05)
    assert limiter.hit("5/second", "sender", "b") is None
