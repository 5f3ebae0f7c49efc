"""What the Today page draws: visits in lanes per team member on a day axis, and the capacity table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from console.domain.visits import STOCKHOLM, VisitState
from console.entrypoints.i18n import gettext as _
from console.entrypoints.labels import label
from console.service_layer.ports import TodayView

DAY_AXIS: Mapping[str, int] = {"start": 6, "end": 22}


def visit_kind(kind: str) -> str:
    """The visit kind as staff name it, in the request's language."""
    return label("visit_kind", kind)


@dataclass(frozen=True)
class Lane:
    label: str
    visits: list[VisitState]


@dataclass(frozen=True)
class TeamLanes:
    label: str
    lanes: list[Lane]


def lanes(view: TodayView) -> list[TeamLanes]:
    """Per team, one lane per team member with visits (members in configured order), unstaffed last."""
    out = []
    for team_id in sorted({v.team_id for v in view.visits}):
        team = view.teams.get(team_id)
        visits = [v for v in view.visits if v.team_id == team_id]
        order = [m.staff_id for m in team.members] if team else []
        staff = sorted(
            {v.staff_id for v in visits if v.staff_id}, key=lambda s: (order.index(s) if s in order else len(order), s)
        )
        lanes = [
            Lane(
                team.member_label(s) if team else s,
                sorted((v for v in visits if v.staff_id == s), key=lambda v: v.planned_start),
            )
            for s in staff
        ]
        unstaffed = sorted((v for v in visits if v.staff_id is None), key=lambda v: v.planned_start)
        if unstaffed:
            lanes.append(Lane(_("Unstaffed"), unstaffed))
        out.append(TeamLanes(team.label if team else team_id, lanes))
    return out


def position(visit: VisitState, axis: Mapping[str, int]) -> tuple[float, float]:
    """x and width of a visit on a 0..1000 lane spanning the axis hours (local time)."""
    span = (axis["end"] - axis["start"]) * 60
    start = visit.planned_start.astimezone(STOCKHOLM)
    end = visit.planned_end.astimezone(STOCKHOLM)
    begin = (start.hour - axis["start"]) * 60 + start.minute
    minutes = max((end - start).total_seconds() / 60, 15)
    begin = min(max(begin, 0), span - 15)
    return round(begin * 1000 / span, 1), round(min(minutes, span - begin) * 1000 / span, 1)


@dataclass(frozen=True)
class CapacityCell:
    text: str
    over: bool


@dataclass(frozen=True)
class CapacityRow:
    label: str
    cells: list[CapacityCell]


@dataclass(frozen=True)
class CapacityTable:
    teams: list[str]
    days: list[date]
    rows: list[CapacityRow]


def capacity_table(view: TodayView) -> CapacityTable:
    days = sorted({c.day for c in view.capacity})
    teams = sorted({c.team_id for c in view.capacity})
    cells = {(c.team_id, c.day): c for c in view.capacity}
    rows = []
    for team_id in teams:
        team = view.teams.get(team_id)
        row = []
        for d in days:
            c = cells.get((team_id, d))
            clients, capacity = (c.clients, c.capacity) if c else (0, None)
            text = f"{clients} / {capacity}" if capacity else str(clients)
            row.append(CapacityCell(text, capacity is not None and clients >= capacity))
        rows.append(CapacityRow(team.label if team else team_id, row))
    return CapacityTable(teams, days, rows)
