"""The homecoming checklist: what the team makes sure of before the person comes home.

What a team checks today by phone before the homecoming visit (Hofors' brochure promises that the
aids are in place before the person is): aids (hjälpmedel) in place, the medication list received,
the safety alarm (trygghetslarm) ordered, keys or a digital lock arranged, SIP planned. Each team
keeps its own list (`ChecklistTemplate`, part of its configuration; these five by default) and how
many hours before the homecoming visit an item still open alerts the team lead.

A case's checklist is a copy of its team's list taken when the period is planned: changing a
team's list changes the checklists of cases planned afterwards, never one already started (its
items may be ticked already, and a checklist whose items changed under the team would lose them).

The deadline is the homecoming visit's planned start minus the checklist's `alert_hours`; it moves
with the visit. One timer in the case plan (`checklist:<visit id>@<planned start>`) fires at the
deadline (or, when the plan is made or the visit moved after it, halfway to the visit) while an item is open;
ticking the last item removes it, unticking one arms it again. It alerts once per checklist
(`alerted_at`): the alert stays open with on-call until acknowledged, and the homecoming moving
afterwards does not alert again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduling.domain.events import PeriodRef
from trygg_shared.carry import carry
from trygg_shared.vocabulary import scheduling as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
ChecklistChange = words.ChecklistChangeKind

DEFAULT_ALERT_HOURS = 24
CHECKLIST_TIMER = "checklist"  # the kind of the case plan's timer for the open-item alert


class ChecklistError(Exception):
    """A checklist request that does not fit the template (answered 409 or 422)."""


class ChecklistItemNotFound(LookupError):
    """No such item on the case's checklist."""


@dataclass(frozen=True)
class ChecklistItemSpec:
    """One line of a team's list: a stable code and the text the team reads."""

    item_id: str
    label: str


# The labels are what the team reads on its Swedish pages (a team's own list is in its own words):
# aids in place, the medication list received, the safety alarm ordered, keys or a digital lock
# arranged, SIP planned.
DEFAULT_ITEMS: tuple[ChecklistItemSpec, ...] = (
    ChecklistItemSpec("aids", "Hjälpmedel på plats"),
    ChecklistItemSpec("medication_list", "Läkemedelslista mottagen"),
    ChecklistItemSpec("safety_alarm", "Trygghetslarm beställt"),
    ChecklistItemSpec("keys", "Nycklar eller digitalt lås ordnat"),
    ChecklistItemSpec("sip", "SIP planerad"),
)


@dataclass(frozen=True)
class ChecklistTemplate:
    """A team's list and its alert lead time (hours before the homecoming visit)."""

    items: tuple[ChecklistItemSpec, ...] = DEFAULT_ITEMS
    alert_hours: int = DEFAULT_ALERT_HOURS

    def __post_init__(self) -> None:
        ids = [i.item_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ChecklistError("two checklist items have the same id")


@dataclass
class ChecklistItem:
    item_id: str
    label: str
    done: bool = False
    done_by: str | None = None  # who ticked it (staff id), kept while it stays ticked
    done_at: datetime | None = None


@dataclass(frozen=True)
class ChecklistMark:
    """One tick or untick, kept for good: who and when."""

    item_id: str
    done: bool
    by: str
    at: datetime


@dataclass
class Checklist:
    """One case's checklist for its homecoming: a copy of the team's list when the period was planned."""

    period_id: str
    items: list[ChecklistItem]
    alert_hours: int
    opened_at: datetime
    marks: list[ChecklistMark] = field(default_factory=list)
    alerted_at: datetime | None = None

    @classmethod
    def open(cls, template: ChecklistTemplate, period_id: str, now: datetime) -> Checklist:
        items = [ChecklistItem(i.item_id, i.label) for i in template.items]
        return cls(period_id, items, template.alert_hours, now)

    @property
    def complete(self) -> bool:
        return all(i.done for i in self.items)

    def open_items(self) -> list[ChecklistItem]:
        return [i for i in self.items if not i.done]

    def item(self, item_id: str) -> ChecklistItem:
        found = next((i for i in self.items if i.item_id == item_id), None)
        if found is None:
            raise ChecklistItemNotFound(item_id)
        return found

    def mark(self, item_id: str, done: bool, by: str, at: datetime) -> bool:
        """Tick (or untick) an item; False when it already was so (a phone sending twice)."""
        item = self.item(item_id)
        if item.done == done:
            return False
        item.done, item.done_by, item.done_at = done, (by if done else None), (at if done else None)
        self.marks.append(ChecklistMark(item_id, done, by, at))
        return True

    def deadline(self, homecoming_start: datetime) -> datetime:
        return homecoming_start - timedelta(hours=self.alert_hours)

    def due(self, homecoming_start: datetime, now: datetime) -> datetime | None:
        """When the open-item alert fires for a homecoming at `homecoming_start`; None: it does not.

        At the deadline; when that has passed already (the period was planned, the visit moved or
        an item unticked within the last `alert_hours`), halfway from now to the visit, so that the
        team has half the time left to tick and the team lead the other half to act. Never when
        every item is ticked, the alert was raised already, or the visit is due to begin.
        """
        if self.complete or self.alerted_at is not None or homecoming_start <= now:
            return None
        deadline = self.deadline(homecoming_start)
        return deadline if deadline >= now else now + (homecoming_start - now) / 2


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItemState:
    item_id: str
    label: str
    done: bool
    done_by: str | None
    done_at: datetime | None


def item_states(checklist: Checklist) -> tuple[ChecklistItemState, ...]:
    return tuple(carry(ChecklistItemState, i) for i in checklist.items)


@dataclass(frozen=True)
class ChecklistChanged:
    """The checklist as it is now (a snapshot: the latest one is the truth whatever the order)."""

    ref: PeriodRef
    change: ChecklistChange
    item_id: str | None
    changed_by: str | None
    items: tuple[ChecklistItemState, ...]
    complete: bool
    alert_hours: int
    at: datetime


@dataclass(frozen=True)
class ChecklistOverdue:
    """An item was still open at the deadline before the homecoming visit (fired once, from a timer)."""

    ref: PeriodRef
    visit_id: str
    homecoming_at: datetime
    deadline: datetime
    open_items: tuple[ChecklistItemState, ...]
    items_total: int
    at: datetime


def changed_event(
    ref: PeriodRef, checklist: Checklist, change: ChecklistChange, item_id: str | None, by: str | None, at: datetime
) -> ChecklistChanged:
    return ChecklistChanged(
        ref, change, item_id, by, item_states(checklist), checklist.complete, checklist.alert_hours, at
    )
