"""The cover-order page and CSV: hemtjänst's cover order of one case, for the hemtjänst unit.

Who may read it (need to know): the roles of a case's pages (officer, team, on-call), a team token
only for its own teams' cases, as the case page. Ops does not: the order names the person and
carries the coded handover summary. The read is audited (name, cover order, needs summary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from console.domain.access import Actor
from console.domain.cases import CaseState
from console.domain.cover import CoverRow, HoursSpan, cover_rows, team_hours
from console.domain.facts import HemtjanstCoverOrdered
from console.domain.figures import resolve_team
from console.domain.teams import TeamState
from console.domain.visits import VisitState, VisitStatus
from console.service_layer.pages import ConsoleDeps, _audit, readable_case

COVER_FIELDS = ("name", "cover_order", "needs_summary")


@dataclass(frozen=True)
class CoverOrderPage:
    now: datetime
    case: CaseState
    team: TeamState | None
    order: HemtjanstCoverOrdered | None  # None: no cover order for this case (yet)
    rows: Sequence[CoverRow]
    hours: Sequence[HoursSpan]
    handover: VisitState | None  # the joint handover visit with hemtjänst

    @property
    def team_label(self) -> str | None:
        return self.team.label if self.team else self.case.team_key


async def cover_order_page(deps: ConsoleDeps, actor: Actor, case_id: str) -> CoverOrderPage:
    case, _, teams = await readable_case(deps, actor, case_id)
    await _audit(deps, actor, "view_cover_order", [case_id], COVER_FIELDS)
    order = case.cover_order
    handovers = sorted(
        (v for v in case.visits.values() if v.kind == "handover" and v.status is not VisitStatus.CANCELLED),
        key=lambda v: v.planned_start,
    )
    team_id = resolve_team(case, teams)
    team = teams.get(team_id) if team_id else None
    return CoverOrderPage(
        deps.clock.now(),
        case,
        team,
        order,
        cover_rows(order) if order else [],
        team_hours(order.team_hours) if order else [],
        handovers[-1] if handovers else None,
    )
