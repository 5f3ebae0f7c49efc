"""The idle relay renews its lease every third of the lease time, not every poll interval (#21: idle
database commands), and a lost lease stops the full scans at the next renewal."""

from __future__ import annotations

from typing import Any

from trygg_shared.outbox import OutboxRelay
from trygg_shared.relay_lease import RelayLease


class CountingLease(RelayLease):
    """A lease without a database: counts renewals and answers as told."""

    def __init__(self, ttl_seconds: float, *, held: bool = True) -> None:
        super().__init__(None, "svc", ttl_seconds=ttl_seconds)  # type: ignore[arg-type]
        self.renewals = 0
        self.held = held

    async def acquire(self) -> bool:
        self.renewals += 1
        return self.held


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _publish(_event: Any) -> None:
    raise AssertionError("nothing to publish")


async def test_an_idle_relay_renews_its_lease_every_third_of_the_lease_time() -> None:
    lease, clock = CountingLease(15.0), Clock()
    relay = OutboxRelay([], _publish, poll_interval=0.5, lease=lease, full_scan_seconds=30.0, clock=clock)
    for _ in range(120):  # 60 s of idle polls, one every 0.5 s
        await relay._round()
        clock.now += 0.5
    assert lease.renewals == 12  # every 5 s (15 s / 3), not 120 (every poll)


async def test_the_renewal_is_never_more_often_than_the_poll_interval() -> None:
    lease, clock = CountingLease(1.5), Clock()
    relay = OutboxRelay([], _publish, poll_interval=2.0, lease=lease, clock=clock)
    for _ in range(10):
        await relay._round()
        clock.now += 1.0
    assert lease.renewals == 5  # every 2 s


async def test_a_replica_without_the_lease_takes_it_over_within_a_third_of_the_lease_time() -> None:
    lease, clock = CountingLease(15.0, held=False), Clock()
    relay = OutboxRelay([], _publish, poll_interval=0.5, lease=lease, clock=clock)
    await relay._round()
    assert not relay._leader
    lease.held = True  # the holder's lease lapsed just after the first try
    for _ in range(10):  # 5 s later
        clock.now += 0.5
        await relay._round()
    assert relay._leader
    assert lease.renewals == 2
