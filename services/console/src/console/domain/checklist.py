"""The homecoming checklist as the console shows it, and its follow-up figure.

Scheduling publishes the checklist as a snapshot at each change (`homecoming_checklist_changed`):
the team's items, which are ticked, by whom and when. A case keeps the latest snapshot (fold
order: event time) and when it became complete, so that the figure can ask whether it was complete
when the homecoming visit began, whatever order the events came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from trygg_shared.carry import carry


@dataclass(frozen=True)
class ChecklistItem:
    item_id: str
    label: str
    done: bool
    done_by: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class ChecklistSnapshot:
    """The checklist of a period as it stood at `changed_at`: its items, whether all are ticked, and how
    many hours before the homecoming visit an open item alerts."""

    period_id: str
    items: tuple[ChecklistItem, ...]
    complete: bool
    alert_hours: int
    changed_at: datetime


@dataclass(frozen=True)
class ChecklistChanged(ChecklistSnapshot):
    """The homecoming checklist as it is after a change (opened, an item ticked or unticked)."""

    person_ref: str
    team_id: str
    change: str  # opened, ticked, unticked
    item_id: str | None
    changed_by: str | None


@dataclass(frozen=True)
class Completeness:
    """From `at` on, every item was ticked (`complete`) or not. (An object, not a pair: FerretDB v1
    refuses nested arrays.)"""

    at: datetime
    complete: bool


@dataclass(frozen=True)
class ChecklistState(ChecklistSnapshot):
    """A case's checklist: the latest snapshot and each moment its completeness changed."""

    changes: tuple[Completeness, ...] = ()  # each snapshot's completeness, in fold order

    @property
    def open_items(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if not i.done)

    def deadline(self, homecoming_start: datetime) -> datetime:
        """An item still open then alerts the team lead (scheduling's timer; it moves with the visit)."""
        return homecoming_start - timedelta(hours=self.alert_hours)

    def complete_at(self, moment: datetime) -> bool:
        """Was every item ticked at `moment` (by the snapshots up to then)?"""
        state = False
        for change in self.changes:
            if change.at > moment:
                break
            state = change.complete
        return state


def apply_checklist(state: ChecklistState | None, f: ChecklistChanged) -> ChecklistState:
    """The next state after a snapshot (facts come in fold order; a new period starts afresh)."""
    changes = state.changes if state is not None and state.period_id == f.period_id else ()
    return carry(ChecklistState, f, changes=(*changes, Completeness(f.changed_at, f.complete)))
