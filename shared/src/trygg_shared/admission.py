"""Admission control of one route: take what the service can answer in time, refuse the rest at once.

A request of the guarded route (`GuardedRoute`, put around the whole app: outside tracing, the
request guard and routing) asks the gate for a slot before anything else happens to it. It gets
one when fewer than the **limit** are in flight; when all are taken it may wait up to `max_wait`
for one to free (a short queue that absorbs a burst, no longer than the slots the measured rate
frees within half of `max_wait`: a request that would only wait to be refused is refused at once),
and is otherwise answered 503 with `Retry-After` (RFC 9457 problem+json), which costs a fraction of
a millisecond: no span, no body read, no signature checked, nothing stored. The gate decides only
on entry: a request that holds a slot keeps it until it has answered, so nothing that started
storing is ever refused.

The limit follows the rate the service achieves (Little's law, N = X · R): each finished request
gives the rate it ran at, `X = n / r` (the requests in flight when it was admitted over its time in
the service), smoothed over recent requests from a start at `max_in_flight / target_latency` (a cold
process's first slow request does not set the limit alone); the limit is `X · target_latency`, so
that an admitted request spends about `target_latency` in the service, kept between `MIN_LIMIT` and
`max_in_flight`.
When the database slows down, the limit shrinks with it instead of letting a queue of slow requests
build up inside the process. Why not a rate (token bucket): a rate calibrated once is wrong when the
database grows or the machine is shared; the requests' own times say what the service can do now.

`Retry-After` is `retry_after` seconds plus a random 0..`retry_after` (whole seconds), so that the
senders refused in one burst do not all come back in the same second. The backlog behind the gate
is at most about `target_latency`, so it does not say how long an overload lasts; the jitter spreads
the retries instead.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from fastapi import FastAPI
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from trygg_shared.http import ProblemError, problem_response

MIN_LIMIT = 2  # the limit never falls below this: one slow request must not close the route
SMOOTHING = 0.1  # weight of the newest request in the rate estimate (an EWMA over ≈ 10-20 requests)


class AdmissionSettings(BaseModel):
    """How many requests a route takes at once, and how it refuses the rest (503 with Retry-After)."""

    max_in_flight: int = Field(
        16,
        ge=1,
        description="Most requests of the route handled at once; more wait up to `max_wait_seconds` for a slot, "
        "then are answered 503 with Retry-After before their body is read. The limit in force is lower when the "
        "measured rate says an admitted request would take longer than `target_latency_seconds`.",
    )
    max_wait_seconds: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Longest wait for a free slot before a request is refused (503); a short queue for bursts.",
    )
    target_latency_seconds: float = Field(
        0.5,
        gt=0,
        description="Time an admitted request should spend in the service: the limit in force is the measured "
        "rate times this (Little's law), between 2 and `max_in_flight`.",
    )
    retry_after_seconds: int = Field(
        2,
        ge=1,
        description="Retry-After of a refused request: this many seconds plus a random 0 to this many "
        "(whole seconds), so that refused senders do not retry all at once.",
    )


class Overloaded(Exception):
    """The gate refused a request: answer 503 with `Retry-After: retry_after`."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("overloaded")
        self.retry_after = retry_after


class AdmissionGate:
    """A concurrency limit with a bounded wait and a limit that follows the measured rate (see the module)."""

    def __init__(
        self,
        settings: AdmissionSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.max_in_flight = settings.max_in_flight
        self.max_wait = settings.max_wait_seconds
        self.target_latency = settings.target_latency_seconds
        self.retry_after = settings.retry_after_seconds
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.in_flight = 0
        self.refused = 0
        # Requests/s the service ran at (EWMA). It starts at the rate that allows `max_in_flight`, so that
        # the first requests of a cold process (slow, one at a time) move the limit like any others
        # instead of setting it: a first sample of 1 request in 1 s closed the gate to 2 at start-up.
        self._rate = self.max_in_flight / self.target_latency
        self._waiters: deque[asyncio.Future[bool]] = deque()

    @property
    def limit(self) -> int:
        """Requests allowed in flight now: the measured rate times the target latency, within bounds."""
        by_rate = math.floor(self._rate * self.target_latency)
        return max(min(MIN_LIMIT, self.max_in_flight), min(self.max_in_flight, by_rate))

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot while the block runs; `Overloaded` (before the block) when none can be had in time."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
        elif not await self._wait():
            self.refused += 1
            raise Overloaded(self.retry_after + self._rng.randint(0, self.retry_after))
        admitted_with, started = self.in_flight, self._clock()
        try:
            yield
        finally:
            self._learn(admitted_with, self._clock() - started)
            self._release()

    @property
    def drainable(self) -> int:
        """Waiters the gate lets queue: as many as the measured rate frees slots in half of `max_wait`
        (at least one, at most the limit). Half, because slots free at random (a group commit answers
        several at once, then none for a while): the last of rate × wait waiters would still time out
        about a third of the time, and be refused only after waiting the whole `max_wait`."""
        return max(1, min(self.limit, math.floor(self._rate * self.max_wait / 2)))

    async def _wait(self) -> bool:
        """Wait up to `max_wait` for a released slot; False at once when that is hopeless: when the
        waiters already queued are as many as the slots the measured rate frees within the wait, a
        newcomer would wait the whole `max_wait` only to be refused then."""
        if self.max_wait <= 0 or self.waiting >= self.drainable:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.max_wait, _expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self._release()  # granted just as the request was cancelled: hand the slot on
            raise
        finally:
            timer.cancel()
            if not waiter.done() or waiter.cancelled() or not waiter.result():
                self._forget(waiter)

    def _release(self) -> None:
        while self._waiters and self.in_flight <= self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)  # the slot passes on: `in_flight` stays
                return
        self.in_flight -= 1

    def _forget(self, waiter: asyncio.Future[bool]) -> None:
        with suppress(ValueError):
            self._waiters.remove(waiter)

    def _learn(self, in_flight: int, seconds: float) -> None:
        """The rate this request ran at (Little's law: in flight over time in the service), smoothed."""
        if seconds <= 0:
            return
        rate = in_flight / seconds
        self._rate += SMOOTHING * (rate - self._rate)


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


@dataclass(frozen=True)
class GuardedRoute:
    """A gate in front of one route (`method`, `path`), outside everything else in the app: tracing,
    the request guard, timing, routing. A refusal is the cheapest answer the app can give (no span,
    no body read, no route resolved): under overload the refusals outnumber what is taken, and on one
    event loop their cost is taken from the admitted requests. `on_refused` counts each refusal."""

    gate: AdmissionGate
    method: str
    path: str
    what: str = "requests"
    on_refused: Callable[[], None] = lambda: None

    def install(self, app: FastAPI) -> None:
        """Put the gate around the app's whole middleware stack (as the OpenTelemetry instrumentation
        wraps it; installed after it, the gate is outside it)."""
        build = app.build_middleware_stack

        def build_guarded() -> ASGIApp:
            return _Admission(build(), self)

        app.build_middleware_stack = build_guarded  # type: ignore[method-assign]


class _Admission:
    """ASGI: requests of the guarded route pass through the gate; everything else goes straight on."""

    def __init__(self, app: ASGIApp, route: GuardedRoute) -> None:
        self.app = app
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.route.path or scope["method"] != self.route.method:
            await self.app(scope, receive, send)
            return
        try:
            async with self.route.gate.slot():
                await self.app(scope, receive, send)
            return
        except Overloaded as refused:
            retry_after = refused.retry_after
        self.route.on_refused()
        refusal = ProblemError(
            503,
            "Service unavailable",
            f"Too many {self.route.what} at once; send it again after Retry-After seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        await problem_response(refusal, instance=self.route.path)(scope, receive, send)
