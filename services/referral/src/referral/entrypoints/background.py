"""Background loops: apply stored messages, expire old inbox records, reread the agreements,
count the running payment clocks, tell the SIP deadlines that lapsed.

The runtime runs loops untraced (`trygg_shared.telemetry.quiet`), so idle polling starts no
traces; real work found by a loop (a stored message to apply, records to remove) is wrapped in
`traced_work` and shows up as its own small trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from referral.service_layer.deps import ReferralDeps
from referral.service_layer.intake import apply_pending, sweep_inbox
from referral.service_layer.liability import count_running_liability
from referral.service_layer.sip import next_sip_due, report_lapsed_sips
from trygg_shared.batch import Backoff
from trygg_shared.logging import get_logger
from trygg_shared.telemetry import traced_work
from trygg_shared.timers import DueTimeLoop

log = get_logger(__name__)

Loop = Callable[[], Awaitable[None]]


def inbox_sweeper(deps: ReferralDeps, regions: dict[str, str | None], interval_seconds: float) -> Loop:
    """Every interval: apply messages stored but not applied (older than one interval).

    A message that still fails is parked for a pause that doubles (from one interval up to an
    hour) and left out of the rounds meanwhile, so it never crowds out the others."""
    backoff = Backoff(first=timedelta(seconds=interval_seconds), longest=timedelta(hours=1))

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            await apply_pending(
                deps,
                regions,
                older_than=timedelta(seconds=interval_seconds),
                backoff=backoff,
                around=lambda record: traced_work(
                    "referral.inbox.apply_stored_message",
                    attributes={"case_id": record.case_id, "message_type": record.message_type},
                ),
            )

    return loop


def inbox_retention(deps: ReferralDeps, retention: timedelta, interval_seconds: float = 3600.0) -> Loop:
    """Hourly: remove applied inbox records past their retention (FerretDB v1 has no TTL indexes)."""

    async def loop() -> None:
        while True:
            removed = await sweep_inbox(deps, retention)
            if removed:
                log.info("inbox records past retention removed", removed=removed)
            await asyncio.sleep(interval_seconds)

    return loop


def agreement_refresher(deps: ReferralDeps, interval_seconds: float) -> Loop:
    """Reread the agreements now and then, so a version added on another replica is used here too."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await deps.agreement_book.refresh()
            except ValueError as exc:  # stored versions that contradict each other: keep the table in use
                log.error("agreements could not be reread; the previous table stays in use", error=type(exc).__name__)

    return loop


def liability_counter(deps: ReferralDeps, interval_seconds: float) -> Loop:
    """Every interval: publish the count of each running clock that a new liable day has grown."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            counted = await count_running_liability(deps)
            if counted:
                log.info("running payment clocks counted", cases=counted)

    return loop


def sip_timer(deps: ReferralDeps, recheck_seconds: float) -> Loop:
    """Sleep until the earliest SIP deadline still waiting, then record each lapse (once, on one replica)."""

    async def fire() -> None:
        reported = await report_lapsed_sips(deps)
        if reported:
            log.info("SIP deadlines lapsed without an invitation", cases=reported)

    timer = DueTimeLoop(fire, lambda: next_sip_due(deps), deps.clock.now, recheck_seconds=recheck_seconds)
    return timer.run
