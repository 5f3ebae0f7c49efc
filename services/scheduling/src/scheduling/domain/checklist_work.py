"""The case plan's homecoming checklist: opened when the period is planned, ticked from the field.

The checklist's rules are in `checklist.py`; its timer (the open-item alert before the homecoming
visit) lives with the plan's other timers in `plan_state.py`, so it moves with the visit and fires
once in the plan's own conditional save.
"""

from __future__ import annotations

from datetime import datetime

from scheduling.domain.checklist import Checklist, ChecklistChange, ChecklistTemplate, changed_event
from scheduling.domain.plan_state import PlanState


class NoChecklist(LookupError):
    """The case's plan has no checklist (planned before checklists existed, or not planned)."""


class ChecklistWork(PlanState):
    """The checklist of the period's homecoming."""

    def open_checklist(self, template: ChecklistTemplate, now: datetime) -> list[object]:
        """A copy of the team's list for this period (kept when the period is the same)."""
        assert self.period is not None
        if self.checklist is not None and self.checklist.period_id == self.period.period_id:
            return []
        self.checklist = Checklist.open(template, self.period.period_id, now)
        self._sync_checklist_timer(now)
        return [changed_event(self.ref, self.checklist, ChecklistChange.OPENED, None, None, now)]

    def mark_checklist(self, item_id: str, done: bool, by: str, now: datetime) -> list[object] | None:
        """Tick or untick an item (who, when); None when it already was so. Items may still be ticked
        after the homecoming visit began (the figures count the checklist as it was at its start)."""
        checklist = self.checklist
        if checklist is None or self.period is None:
            raise NoChecklist(self.case_id)
        if not checklist.mark(item_id, done, by, now):
            return None
        self._sync_checklist_timer(now)
        change = ChecklistChange.TICKED if done else ChecklistChange.UNTICKED
        return [changed_event(self.ref, checklist, change, item_id, by, now)]
