"""One visit as the team lead sees it: when, who, and what happened, folded from its facts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from console.domain.facts import (
    Recorded,
    SelfRating,
    VisitCancelled,
    VisitCompleted,
    VisitFact,
    VisitMissed,
    VisitReassigned,
    VisitRef,
    VisitRescheduled,
    VisitScheduled,
    VisitStarted,
)
from trygg_shared.carry import carry

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_date(moment: datetime) -> date:
    """The Swedish calendar date of a moment (the team's day)."""
    return moment.astimezone(STOCKHOLM).date()


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    STARTED = "started"
    COMPLETED = "completed"
    MISSED = "missed"
    CANCELLED = "cancelled"


# A later fact never moves a visit back from these: a completion is final, a cancellation is
# final unless the visit still took place.
_FINAL = {VisitStatus.COMPLETED}


@dataclass(frozen=True)
class VisitState(VisitRef):
    planned_start: datetime
    planned_end: datetime
    location: str | None
    staff_id: str | None
    by_contact_person: bool
    status: VisitStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_minutes: int | None = None
    cancel_reason: str | None = None
    self_rating: SelfRating | None = None

    @property
    def day(self) -> date:
        return local_date(self.planned_start)

    @property
    def unstaffed(self) -> bool:
        """Planned but nobody assigned: on-call must act."""
        return self.staff_id is None and self.status in (VisitStatus.SCHEDULED, VisitStatus.MISSED)


def fold_visit(recorded: Iterable[Recorded[VisitFact]]) -> VisitState | None:
    """The visit's current state from its facts in fold order (None without any fact)."""
    state: VisitState | None = None
    for r in sorted(recorded, key=lambda r: r.order):
        state = _apply(state, r.fact)
    return state


def _base(f: VisitFact, planned_end: datetime) -> VisitState:
    """A scheduled visit known only from this fact: nobody assigned, no place yet (what the fact
    itself changes, `_apply` sets after: the times a start or completion carries are the same)."""
    return carry(
        VisitState,
        f,
        planned_end=planned_end,
        location=None,
        staff_id=None,
        by_contact_person=False,
        status=VisitStatus.SCHEDULED,
    )


def _apply(s: VisitState | None, f: VisitFact) -> VisitState:
    if isinstance(f, VisitScheduled):
        fresh = carry(VisitState, f, status=VisitStatus.SCHEDULED)
        if s is None:
            return fresh
        # Scheduled after something else (reordered): keep what happened, take the plan's place.
        return replace(s, location=f.location, planned_end=max(s.planned_end, f.planned_end))
    if s is None:
        end = getattr(f, "planned_end", None) or getattr(f, "ended_at", None) or f.planned_start
        s = _base(f, end)
    # Every fact names the same visit (its case, period, team and kind never change), so what a fact
    # says goes across by name over what was known (`carry` takes the fact's fields first).
    if isinstance(f, VisitRescheduled):
        return carry(VisitState, f, s)  # the new times, and who
    if isinstance(f, VisitReassigned):
        return replace(s, staff_id=f.staff_id, by_contact_person=f.by_contact_person)
    if s.status in _FINAL:
        return s
    if isinstance(f, VisitCancelled):
        return replace(s, status=VisitStatus.CANCELLED, cancel_reason=f.reason)
    if isinstance(f, VisitStarted):
        return replace(s, status=VisitStatus.STARTED, staff_id=f.staff_id, started_at=f.started_at)
    if isinstance(f, VisitCompleted):
        # Who, when, how long and the rating; the planned start stays as the plan last had it.
        return carry(VisitState, f, s, status=VisitStatus.COMPLETED, planned_start=s.planned_start)
    if isinstance(f, VisitMissed):
        if s.status in (VisitStatus.STARTED, VisitStatus.CANCELLED):
            return s
        return replace(s, status=VisitStatus.MISSED)
    return s
