"""How close the running payment-liability clocks are to liability, for the operators' metrics.

A case whose clock runs and that has no active decision yet costs the municipality money once
its liability starts: `watch_liability` counts those and finds the least time left among them
(negative: liability has started), so that an alert rule can fire two hours before.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import CaseQuery

WATCHED_CASES = 500  # the soonest clocks; a municipality has far fewer open at once


@dataclass(frozen=True)
class LiabilityWatch:
    running: int  # clocks that run (capped at WATCHED_CASES)
    undecided: int  # of those, cases without an active decision
    least_seconds_left: float | None  # among the undecided; None when there are none


async def watch_liability(deps: ReferralDeps) -> LiabilityWatch:
    cases = await deps.queries.find(CaseQuery(liability_running=True, order="liability", limit=WATCHED_CASES))
    now = deps.clock.now()
    running = 0
    left: list[float] = []
    for case in cases:
        ready = case.facts(deps.agreements).ready
        if ready is None or ready.ended_at is not None:
            continue
        running += 1
        if case.active_decision() is None:
            left.append((ready.clock.liability_starts_at - now).total_seconds())
    return LiabilityWatch(running=running, undecided=len(left), least_seconds_left=min(left, default=None))
