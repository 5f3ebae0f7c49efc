"""Stopping background tasks: a shutdown ends even when a task swallowed its cancellation, and a task's
own clean-up after a cancellation is not cut short."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from trygg_shared.stopping import stop_tasks

pytestmark = pytest.mark.unit


async def _swallows_the_first_cancellation(log: list[str]) -> None:
    """What PyMongo 4.20 can do mid connection set-up: the cancellation is lost and the loop goes on."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(3600)
    log.append("went on")
    await asyncio.sleep(3600)  # the loop's next wait: an hour


async def _cleans_up(log: list[str], seconds: float) -> None:
    try:
        await asyncio.sleep(3600)
    finally:
        await asyncio.sleep(seconds)  # e.g. a Kafka consumer leaving its group
        log.append("cleaned up")


async def test_a_task_that_swallowed_its_cancellation_is_cancelled_again_and_the_stop_ends() -> None:
    log: list[str] = []
    task = asyncio.create_task(_swallows_the_first_cancellation(log))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await stop_tasks([task], grace=0.1, patience=5.0)
    assert task.cancelled()
    assert log == ["went on"]
    assert loop.time() - started < 1.0


async def test_a_slow_clean_up_within_the_grace_is_not_cut_short() -> None:
    log: list[str] = []
    task = asyncio.create_task(_cleans_up(log, 0.3))
    await asyncio.sleep(0)
    await stop_tasks([task], grace=1.0, patience=5.0)
    assert log == ["cleaned up"]
    assert task.cancelled()


async def test_a_task_that_never_ends_is_left_behind_after_the_patience() -> None:
    async def stubborn() -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn(), name="stubborn-loop")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await stop_tasks([task], grace=0.1, patience=0.5)
    assert 0.5 <= loop.time() - started < 1.5
    assert not task.done()
    task.get_coro().close()  # type: ignore[union-attr]  # the test's own clean-up of what it made unstoppable


async def test_finished_and_failed_tasks_are_collected_without_waiting() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await stop_tasks([failed], grace=5.0, patience=5.0)  # done already: nothing to cancel or wait for
    assert isinstance(failed.exception(), RuntimeError)
