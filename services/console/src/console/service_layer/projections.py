"""Use cases that keep the read model: record one fact in the fact sets it belongs to.

Each fact set is stored through the shared aggregate-store port (`update_aggregate`: load,
record, save, again on a concurrent save), keyed by case, visit, team or alert id. Recording
an event that is already in the set writes nothing, so a redelivered event (also one that
arrives after a crash between the write and the consumer's offset commit) has no second
effect, and the views, folds of the sets, do not depend on arrival order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from console.domain.facts import AlertFact, CaseFact, FactSet, Recorded, TeamFact, VisitFact
from console.service_layer.changes import ChangeFeed
from trygg_shared.aggregate import AggregateStore, update_aggregate

__all__ = ["ChangeFeed", "Projector", "Stores", "record_alert_fact", "record_case_fact", "record_team_fact"]

F = TypeVar("F")


@dataclass
class Stores:
    """The read model's fact sets, one store per kind."""

    cases: AggregateStore[FactSet[CaseFact]]
    visits: AggregateStore[FactSet[VisitFact]]
    teams: AggregateStore[FactSet[TeamFact]]
    alerts: AggregateStore[FactSet[AlertFact]]


@dataclass
class Projector(Generic[F]):
    store: AggregateStore[FactSet[F]]

    async def record(self, key: str, recorded: Recorded[F]) -> bool:
        """Add the fact to the set `key`; False when the set had it already (nothing written)."""

        def change(facts: FactSet[F]) -> tuple[bool, list[object] | None]:
            return (True, []) if facts.record(recorded) else (False, None)

        create: Callable[[], FactSet[F]] = lambda: FactSet(key)  # noqa: E731
        return await update_aggregate(self.store, key, change, create=create)


async def record_case_fact(stores: Stores, feed: ChangeFeed, case_id: str, recorded: Recorded[CaseFact]) -> None:
    """A fact about one case (and, for a visit fact, about that visit too)."""
    changed = await Projector(stores.cases).record(case_id, recorded)
    fact = recorded.fact
    visit_id = getattr(fact, "visit_id", None)
    if visit_id is not None and _is_visit_fact(recorded):
        # Written after the case, also when the case had the fact already: a crash between the
        # two writes is healed by the redelivery.
        changed = await Projector(stores.visits).record(visit_id, recorded) or changed  # type: ignore[arg-type]
    if changed:
        await feed.changed()


def _is_visit_fact(recorded: Recorded[CaseFact]) -> bool:
    return isinstance(recorded.fact, VisitFact)


async def record_team_fact(
    stores: Stores, feed: ChangeFeed, team_id: str, recorded: Recorded[TeamFact], *, case_id: str | None = None
) -> None:
    """A fact about a team; waiting-list and capacity facts also go on their case's timeline."""
    await _record_also_on_case(stores, feed, Projector(stores.teams), team_id, recorded, case_id)


async def record_alert_fact(
    stores: Stores, feed: ChangeFeed, alert_id: str, recorded: Recorded[AlertFact], *, case_id: str | None = None
) -> None:
    """A fact about an on-call alert; an alert about a case also goes on the case's timeline."""
    await _record_also_on_case(stores, feed, Projector(stores.alerts), alert_id, recorded, case_id)


async def _record_also_on_case(
    stores: Stores, feed: ChangeFeed, own: Projector[F], key: str, recorded: Recorded[F], case_id: str | None
) -> None:
    """The fact in its own set `key` and, when it names a case, in the case's set too (its timeline)."""
    changed = await own.record(key, recorded)
    if case_id is not None:
        changed = await Projector(stores.cases).record(case_id, recorded) or changed  # type: ignore[arg-type]
    if changed:
        await feed.changed()
