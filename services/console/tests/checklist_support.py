"""Test support: homecoming checklists as scheduling publishes them, and April 2026's homecomings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from console_support import TEAM, TEAM_NAME, Stream, _Case, team_configured, utc

from trygg_shared.contracts import scheduling as sc

LABELS = ("Aids in place", "Medication list received", "Safety alarm ordered", "Keys arranged", "SIP planned")


def snapshot(case: _Case, at: datetime, ticked: int, *, change: str = "ticked") -> None:
    """The checklist with its first `ticked` items done, as scheduling publishes it at `at`."""
    items = tuple(
        sc.ChecklistItemState(
            item_id=f"i{n}",
            label=label,
            done=n < ticked,
            done_by="a1" if n < ticked else None,
            done_at=at if n < ticked else None,
        )
        for n, label in enumerate(LABELS)
    )
    case.stream.add(
        sc.HomecomingChecklistChanged(
            case_id=case.case_id,
            person_ref=case.person_ref,
            period_id=f"P-{case.case_id}",
            team_id=TEAM,
            change=sc.ChecklistChangeKind(change),
            item_id=None if change == "opened" else f"i{max(ticked - 1, 0)}",
            changed_by=None if change == "opened" else "a1",
            items=items,
            complete=ticked == len(LABELS),
            alert_hours=24,
            changed_at=at,
        ),
        at,
    )


def april() -> Stream:
    """Homecomings in April 2026: H1 complete a day before, H2 completed an hour after the visit began,
    H3 complete, then an item unticked before the visit, H4 planned before checklists (none)."""
    s = Stream()
    s.add(team_configured(TEAM, TEAM_NAME, (("a1", "Anna"),), clients_per_day=4), utc(2026, 1, 1))
    for n, (case_id, completed_offset) in enumerate((("H1", -24), ("H2", 1), ("H3", -30), ("H4", None))):
        case = _Case(s, case_id, f"p{case_id}")
        start = utc(2026, 4, 6 + n, 11)
        case.decide(utc(2026, 4, 1, 9), "trygg_hemgang", start=start.date(), days=7, team=TEAM_NAME)
        case.plan(utc(2026, 4, 1, 10), start.date(), date(2026, 4, 20), "a1", 7)
        if completed_offset is not None:
            snapshot(case, utc(2026, 4, 1, 10), 0, change="opened")
            snapshot(case, start + timedelta(hours=completed_offset), len(LABELS))
        if case_id == "H3":
            snapshot(case, start - timedelta(hours=2), 4, change="unticked")
        case.visit(1, "homecoming", start, "a1", True, 60)
    return s
