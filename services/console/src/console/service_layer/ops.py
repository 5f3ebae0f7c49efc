"""The ops page's use cases: what it shows, and replaying a dead letter (ops only, audited, once).

A replay claims the dead letter first (a unique claim: of two clicks, or two replicas, exactly
one goes on), writes the audit record, then publishes the original record again to its original
topic with its key; if the record cannot be published the claim is released, so it can be tried
again. A replayed message that fails again is dead-lettered again by its consumer and comes back
to this page as a new dead letter (`replay_of` names the one it came from).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from console.domain.access import Actor, Page
from console.domain.ops import DeadLetter, Gauges, OpsView, ServiceHealth, alerts_for_ops
from console.service_layer.pages import ConsoleDeps, Forbidden, NotFound
from console.service_layer.ports import AuditRecord

DEAD_LETTERS_SHOWN = 100


class ServiceProbe(Protocol):
    """Each service's readiness, and the gauges the services measure (lag, outbox age)."""

    async def health(self) -> list[ServiceHealth]: ...

    async def gauges(self) -> Gauges: ...


class DeadLetterStore(Protocol):
    """Dead letters the console read from the dead-letter topics, and their replay claims."""

    async def recent(self, limit: int) -> list[DeadLetter]:
        """The newest dead letters first, each with its replay (if any)."""
        ...

    async def get(self, letter_id: str) -> DeadLetter | None: ...

    async def claim_replay(self, letter_id: str, by: str, at: datetime) -> bool:
        """Claim the replay of one dead letter: True for exactly one caller, ever (until released)."""
        ...

    async def release_replay(self, letter_id: str) -> None:
        """Give a claim back (the record could not be published), so the replay can be tried again."""
        ...

    async def replay_published(self, letter_id: str, at: datetime) -> None: ...


class ReplayFailed(Exception):
    """The original record could not be published again (Kafka down, or gone from the dead-letter topic)."""


class Republisher(Protocol):
    async def republish(self, letter: DeadLetter) -> None:
        """Read the dead-letter record and publish it again, unchanged, to its original topic with its
        key (without the dead-letter headers); raises `ReplayFailed`."""
        ...


class AlreadyReplayed(Exception):
    """Someone (perhaps this very person, clicking twice) replayed this dead letter already."""


@dataclass
class OpsDeps:
    probe: ServiceProbe
    dead_letters: DeadLetterStore
    republisher: Republisher
    services: Sequence[str] = ()  # the services' names (a consumer group's service is found by its prefix)


def _require_ops(actor: Actor) -> None:
    if not actor.may_see(Page.OPS):
        raise Forbidden(Page.OPS.value)


async def ops_page(deps: ConsoleDeps, ops: OpsDeps, actor: Actor) -> OpsView:
    """Health, lag and outbox from the services (read at once, side by side), dead letters and the
    alerts ops must see from the read model. No personal data: codes, ids, counts, reasons."""
    _require_ops(actor)
    health, gauges, letters, alerts = await asyncio.gather(
        ops.probe.health(),
        ops.probe.gauges(),
        ops.dead_letters.recent(DEAD_LETTERS_SHOWN),
        deps.read_model.alerts(open_only=True),
    )
    now = deps.clock.now()
    return OpsView(now, health, gauges, letters, alerts_for_ops(alerts, now))


async def replay_dead_letter(deps: ConsoleDeps, ops: OpsDeps, actor: Actor, letter_id: str) -> DeadLetter:
    """Publish a dead letter's original record again (see the module docstring); returns the letter."""
    _require_ops(actor)
    letter = await ops.dead_letters.get(letter_id)
    if letter is None:
        raise NotFound(letter_id)
    now = deps.clock.now()
    if not await ops.dead_letters.claim_replay(letter_id, actor.subject, now):
        raise AlreadyReplayed(letter_id)
    try:
        trace = deps.trace_id() if deps.trace_id is not None else None
        record = AuditRecord.new(
            now, actor.subject, actor.roles, "replay_dead_letter", subject=f"dead_letter:{letter_id}", trace_id=trace
        )
        await deps.audit.append(record)
        await ops.republisher.republish(letter)
    except BaseException:
        await ops.dead_letters.release_replay(letter_id)
        raise
    await ops.dead_letters.replay_published(letter_id, deps.clock.now())
    return letter
