"""The admission gate: refuses at once when full, admits again as slots free, never refuses a started
request, and lowers its limit when the measured rate says admitted requests would wait too long."""

from __future__ import annotations

import asyncio
import random

import pytest

from trygg_shared.admission import AdmissionGate, AdmissionSettings, Overloaded


def gate(max_in_flight: int = 2, max_wait: float = 0.0, target: float = 0.5, retry_after: int = 2) -> AdmissionGate:
    return AdmissionGate(
        AdmissionSettings(
            max_in_flight=max_in_flight,
            max_wait_seconds=max_wait,
            target_latency_seconds=target,
            retry_after_seconds=retry_after,
        ),
        rng=random.Random(7),
    )


async def hold(g: AdmissionGate, release: asyncio.Event, entered: asyncio.Event | None = None) -> str:
    async with g.slot():
        if entered is not None:
            entered.set()
        await release.wait()
    return "done"


async def start_holders(g: AdmissionGate, count: int, release: asyncio.Event) -> list[asyncio.Task[str]]:
    tasks = []
    for _ in range(count):
        entered = asyncio.Event()
        tasks.append(asyncio.create_task(hold(g, release, entered)))
        await asyncio.wait_for(entered.wait(), 1)
    return tasks


async def test_a_full_gate_refuses_at_once_with_a_jittered_whole_second_retry_after() -> None:
    g, release = gate(max_in_flight=2, max_wait=0.0, retry_after=2), asyncio.Event()
    holders = await start_holders(g, 2, release)
    loop = asyncio.get_running_loop()
    retry_afters = set()
    for _ in range(40):
        began = loop.time()
        with pytest.raises(Overloaded) as refused:
            async with g.slot():
                pytest.fail("admitted past the limit")
        assert loop.time() - began < 0.01
        retry_afters.add(refused.value.retry_after)
    assert retry_afters <= {2, 3, 4}
    assert len(retry_afters) > 1  # jittered
    assert g.refused == 40
    assert g.in_flight == 2
    release.set()
    assert await asyncio.gather(*holders) == ["done", "done"]
    assert g.in_flight == 0


async def test_a_refusal_waits_no_longer_than_max_wait() -> None:
    g, release = gate(max_in_flight=1, max_wait=0.05), asyncio.Event()
    holders = await start_holders(g, 1, release)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(Overloaded):
        async with g.slot():
            pytest.fail("admitted past the limit")
    assert 0.04 <= loop.time() - began < 0.5
    assert g.waiting == 0
    release.set()
    await asyncio.gather(*holders)
    assert g.in_flight == 0


async def test_the_gate_admits_again_as_slots_free() -> None:
    g, release = gate(max_in_flight=2), asyncio.Event()
    holders = await start_holders(g, 2, release)
    with pytest.raises(Overloaded):
        async with g.slot():
            pass
    release.set()
    await asyncio.gather(*holders)
    async with g.slot(), g.slot():
        assert g.in_flight == 2
    assert g.in_flight == 0


async def test_a_waiting_request_gets_the_slot_a_finished_one_frees() -> None:
    g, release = gate(max_in_flight=1, max_wait=1.0), asyncio.Event()
    holders = await start_holders(g, 1, release)
    waiter = asyncio.create_task(hold(g, asyncio.Event()))  # waits for the slot
    await asyncio.sleep(0.02)
    assert g.waiting == 1
    release.set()
    await asyncio.gather(*holders)
    await asyncio.sleep(0.01)
    assert g.in_flight == 1  # passed on, not refused
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert g.in_flight == 0


async def test_a_cancelled_waiter_leaves_no_slot_taken() -> None:
    g, release = gate(max_in_flight=1, max_wait=1.0), asyncio.Event()
    holders = await start_holders(g, 1, release)
    waiter = asyncio.create_task(hold(g, asyncio.Event()))
    await asyncio.sleep(0.02)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await asyncio.gather(*holders)
    assert (g.in_flight, g.waiting) == (0, 0)
    async with g.slot():
        assert g.in_flight == 1


async def test_a_started_request_is_never_refused_however_full_or_slow_the_gate_gets() -> None:
    now = [0.0]
    g = AdmissionGate(AdmissionSettings(max_in_flight=4, max_wait_seconds=0.0), clock=lambda: now[0])
    release, entered = asyncio.Event(), asyncio.Event()
    started = asyncio.create_task(hold(g, release, entered))
    await entered.wait()
    others_done = asyncio.Event()
    others = await start_holders(g, 3, others_done)
    now[0] += 100.0  # they were slow: the gate learns a low rate, its limit falls to the floor
    others_done.set()
    await asyncio.gather(*others)
    assert g.limit == 2
    assert g.in_flight == 1  # the started one
    filler = await start_holders(g, 1, asyncio.Event())
    for _ in range(10):
        with pytest.raises(Overloaded):
            async with g.slot():
                pass
    release.set()
    assert await started == "done"  # admitted before: finished, whatever happened since
    filler[0].cancel()
    await asyncio.gather(*filler, return_exceptions=True)
    assert g.in_flight == 0


async def test_the_limit_follows_the_measured_rate_littles_law() -> None:
    now = [0.0]
    g = AdmissionGate(
        AdmissionSettings(max_in_flight=64, max_wait_seconds=0.0, target_latency_seconds=0.5), clock=lambda: now[0]
    )
    assert g.limit == 64  # nothing measured yet: the configured bound
    for _ in range(100):  # one at a time, 50 ms each: 20/s
        async with g.slot():
            now[0] += 0.05
    assert g.limit == 10  # 20/s x 0.5 s
    for _ in range(100):  # faster: 5 ms each, 200/s: the bound again
        async with g.slot():
            now[0] += 0.005
    assert g.limit == 64


@pytest.mark.parametrize(
    ("per_second", "max_wait", "queue"),
    [
        (128, 0.05, 3),  # 128/s x 25 ms (half the wait): 3 waiters, not the limit (4)
        (8, 0.02, 1),  # a slow service: less than one slot frees within 10 ms, yet one request may wait
    ],
)
async def test_a_request_that_would_only_wait_to_be_refused_is_refused_at_once(
    per_second: int, max_wait: float, queue: int
) -> None:
    """The queue is no longer than the slots the measured rate frees within half of `max_wait` (at least one);
    the next request is refused without waiting, and the waiters get the slots freed."""
    now = [0.0]
    g = AdmissionGate(
        AdmissionSettings(max_in_flight=4, max_wait_seconds=max_wait, target_latency_seconds=0.5),
        clock=lambda: now[0],
        rng=random.Random(7),
    )
    for _ in range(50):  # one at a time: the gate measures `per_second`
        async with g.slot():
            now[0] += 1 / per_second
    assert (g.limit, g.drainable) == (4, queue)
    release = asyncio.Event()
    holders = await start_holders(g, 4, release)
    waiters = [asyncio.create_task(hold(g, asyncio.Event())) for _ in range(queue)]
    await asyncio.sleep(0.005)
    assert g.waiting == queue
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(Overloaded):
        async with g.slot():
            pytest.fail("admitted past the limit")
    assert loop.time() - began < 0.01  # at once, not after the wait
    release.set()
    await asyncio.gather(*holders)
    await asyncio.sleep(0.005)
    assert (g.in_flight, g.waiting) == (queue, 0)  # the waiters got freed slots
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert (g.in_flight, g.waiting) == (0, 0)


async def test_a_cold_first_request_does_not_close_the_gate() -> None:
    """A cold process's first webhook is slow (1 s, alone): the limit moves from the configured bound
    like after any other request, instead of taking that one sample as the service's rate (limit 2)."""
    now = [0.0]
    g = AdmissionGate(
        AdmissionSettings(max_in_flight=16, max_wait_seconds=0.0, target_latency_seconds=0.5), clock=lambda: now[0]
    )
    async with g.slot():
        now[0] += 1.0
    assert g.limit >= 12
    holders = await start_holders(g, g.limit, asyncio.Event())
    assert g.in_flight >= 12  # a burst of concurrent webhooks after it is let in
    for holder in holders:
        holder.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
