"""Events the scheduling service publishes about a case's homecoming checklist (`SCHEDULING_PERIOD_EVENTS`).

Keyed by case id like every period event, and re-exported by `trygg_shared.contracts.scheduling`
with them; the same rules hold (see there). The checklist is the team's own list (aids in place,
medication list received, safety alarm ordered, keys or a digital lock, SIP planned by default):
item codes and the team's wording, ticks by staff id, nothing about the person.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import CaseEvent, Part
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS
from trygg_shared.fields import PlausibleDatetime, Text
from trygg_shared.vocabulary.scheduling import ChecklistChangeKind

_PREFIX = "se.trygghemgang.scheduling."


class ChecklistItemState(Part):
    """One item of a homecoming checklist (the team's own wording; never about the person)."""

    item_id: Text = Field(max_length=64, description="The item's code in the team's list, e.g. 'aids'.")
    label: Text = Field(max_length=200, description="The item as the team's list words it.")
    done: bool = Field(description="Ticked.")
    done_by: Text | None = Field(None, description="Staff id of who ticked it (while ticked).")
    done_at: PlausibleDatetime | None = Field(None, description="When it was ticked (while ticked).")


class _ChecklistEvent(CaseEvent):
    TOPIC: ClassVar[str] = SCHEDULING_PERIOD_EVENTS

    person_ref: Text = Field(description="Pseudonymous reference to the person (as in referral's events).")
    period_id: Text = Field(description="The Trygg hemgång period whose homecoming the checklist prepares.")
    team_id: Text = Field(description="The team that carries out the period (see TeamConfigured).")


class HomecomingChecklistChanged(_ChecklistEvent):
    """The homecoming checklist as it is now: opened when the period is planned, then each tick or untick.

    A snapshot: the latest (by `changed_at`) is the checklist's state whatever the arrival order.
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "homecoming_checklist_changed.v1"
    change: ChecklistChangeKind = Field(description="Opened, or an item ticked or unticked.")
    item_id: Text | None = Field(None, description="The item ticked or unticked.")
    changed_by: Text | None = Field(None, description="Staff id of who ticked or unticked it.")
    items: tuple[ChecklistItemState, ...] = Field(description="Every item, in the team's order.")
    complete: bool = Field(description="Every item is ticked.")
    alert_hours: int = Field(ge=0, description="Hours before the homecoming visit an open item alerts the team lead.")
    changed_at: PlausibleDatetime = Field(description="When.")


class HomecomingChecklistOverdue(_ChecklistEvent):
    """An item of the homecoming checklist was still open at its deadline (fired once, from a persisted timer)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "homecoming_checklist_overdue.v1"
    visit_id: Text = Field(description="The homecoming visit.")
    homecoming_at: PlausibleDatetime = Field(description="Planned start of the homecoming visit.")
    deadline: PlausibleDatetime = Field(
        description="The homecoming minus the checklist's alert hours (the timer fires then, or halfway to the "
        "visit when the period was planned after it)."
    )
    open_items: tuple[ChecklistItemState, ...] = Field(description="The items still open.")
    items_total: int = Field(ge=0, description="Items on the checklist.")
    detected_at: PlausibleDatetime = Field(description="When the timer fired.")


CHECKLIST_EVENTS = (HomecomingChecklistChanged, HomecomingChecklistOverdue)
