"""Use cases behind the pages: check the role, write the audit record, then read.

Every page that shows personal data (names, person references, which case is whose) writes an
audit record first; if it cannot be written, nothing is shown (`StorageUnavailable`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import anyio.to_thread

from console.domain.access import Actor, Page
from console.domain.alerts import LIABILITY_TOPIC, AlertRow, AlertState, person_label, urgency
from console.domain.cases import CONTINUITY_EXCLUDED_KINDS, CaseState
from console.domain.figures import Row, UnitCosts, compute, month_of, months_between, resolve_team
from console.domain.teams import TeamState
from console.domain.timeline import TimelineEntry
from console.domain.visits import VisitState, VisitStatus, local_date
from console.service_layer.ports import (
    AlertConflict,
    AlertNotFound,
    AuditLog,
    AuditRecord,
    Billing,
    Clock,
    DayCapacity,
    Notifications,
    ReadModel,
    TodayView,
)
from console.service_layer.projections import ChangeFeed
from trygg_shared.auth import may_act_for_team
from trygg_shared.batch import compute_isolated

CAPACITY_DAYS = 7


class Forbidden(Exception):
    """The signed-in role may not see this page or do this."""


class NotFound(LookupError):
    pass


@dataclass
class ConsoleDeps:
    read_model: ReadModel
    audit: AuditLog
    notifications: Notifications
    clock: Clock
    feed: ChangeFeed
    costs: UnitCosts
    trace_id: Callable[[], str | None] | None = None  # the current trace id, for audit records
    billing: Billing | None = None  # the billing service's API (the officers' fees and invoices pages)


def _require(actor: Actor, page: Page) -> None:
    if not actor.may_see(page):
        raise Forbidden(page.value)


async def _audit(deps: ConsoleDeps, actor: Actor, action: str, case_ids: Sequence[str], fields: Sequence[str]) -> None:
    trace = deps.trace_id() if deps.trace_id is not None else None
    shown = tuple(dict.fromkeys(case_ids))
    await deps.audit.append(
        AuditRecord.by(actor, deps.clock.now(), action, case_ids=shown, fields=tuple(fields), trace_id=trace)
    )


@dataclass(frozen=True)
class Board:
    now: datetime
    cases: Sequence[CaseState]  # soonest liability first; then planning cases by expected discharge
    waiting: Sequence[CaseState]
    teams: Mapping[str, TeamState]


CASE_FIELDS = ("name", "person_ref", "care_unit", "status", "liability", "decision")


def _board_order(now: datetime) -> object:
    far = now + timedelta(days=3650)

    def key(c: CaseState) -> tuple[int, datetime, str]:
        if c.clock_running and c.liability_starts_at is not None:
            return (0, c.liability_starts_at, c.case_id)
        expected = (
            datetime.combine(c.expected_discharge_date, datetime.min.time(), now.tzinfo)
            if c.expected_discharge_date
            else far
        )
        return (1, expected, c.case_id)

    return key


def _of_team(actor: Actor, case: CaseState, teams: Mapping[str, TeamState]) -> bool:
    """A team token sees the cases of its teams only: the team of the case's period (scheduling),
    else the team its decision names (matched to a configured team's name or id); a case of no team
    yet is no team's. Officers and on-call see every case."""
    return may_act_for_team(actor.teams, resolve_team(case, teams))


def _alert_of_team(actor: Actor, alert: AlertState, case: CaseState | None, teams: Mapping[str, TeamState]) -> bool:
    """The same for an alert: its team, else its case's team; an alert of neither (an ops alert such
    as an SMS cap) is no team's."""
    if actor.teams is None or alert.team_id is not None:
        return may_act_for_team(actor.teams, alert.team_id)
    return case is not None and _of_team(actor, case, teams)


async def cases_board(deps: ConsoleDeps, actor: Actor) -> Board:
    _require(actor, Page.CASES)
    now = deps.clock.now()
    teams = await deps.read_model.teams()
    board = [c for c in await deps.read_model.board() if _of_team(actor, c, teams)]
    waiting = [
        c for c in await deps.read_model.waiting() if c.waiting and c.waiting.waiting and _of_team(actor, c, teams)
    ]
    board.sort(key=_board_order(now))  # type: ignore[arg-type]
    waiting.sort(key=lambda c: (c.waiting.waiting_since if c.waiting else now, c.case_id))
    await _audit(deps, actor, "view_cases", [c.case_id for c in [*board, *waiting]], CASE_FIELDS)
    return Board(now, board, waiting, teams)


@dataclass(frozen=True)
class CasePage:
    now: datetime
    case: CaseState
    timeline: Sequence[TimelineEntry]
    alerts: Sequence[AlertState]
    teams: Mapping[str, TeamState]


async def readable_case(
    deps: ConsoleDeps, actor: Actor, case_id: str
) -> tuple[CaseState, Sequence[TimelineEntry], Mapping[str, TeamState]]:
    """A case of the Cases pages with its timeline, and the teams: NotFound, or Forbidden for a role
    without the pages or a team token and another team's case (as referral and scheduling answer it)."""
    _require(actor, Page.CASES)
    found = await deps.read_model.case(case_id)
    if found is None:
        raise NotFound(case_id)
    teams = await deps.read_model.teams()
    if not _of_team(actor, found[0], teams):
        raise Forbidden("another team's case")
    return (*found, teams)


async def case_page(deps: ConsoleDeps, actor: Actor, case_id: str) -> CasePage:
    case, timeline, teams = await readable_case(deps, actor, case_id)
    await _audit(deps, actor, "view_case", [case_id], (*CASE_FIELDS, "timeline"))
    alerts = [a for a in await deps.read_model.alerts(open_only=False) if a.case_id == case_id]
    return CasePage(deps.clock.now(), case, timeline, alerts, teams)


async def today(deps: ConsoleDeps, actor: Actor, day: date | None = None) -> TodayView:
    _require(actor, Page.TODAY)
    now = deps.clock.now()
    day = day or local_date(now)

    def own(on_day: Sequence[VisitState]) -> list[VisitState]:  # a team token sees its own teams only
        return [v for v in on_day if may_act_for_team(actor.teams, v.team_id)]

    visits = own(await deps.read_model.visits_on(day))
    teams = {k: t for k, t in (await deps.read_model.teams()).items() if may_act_for_team(actor.teams, k)}
    case_ids = sorted({v.case_id for v in visits})
    await _audit(deps, actor, "view_today", case_ids, ("name", "visits"))
    names: dict[str, str] = {}
    for case_id in case_ids:
        found = await deps.read_model.case(case_id)
        if found is not None and found[0].name:
            names[case_id] = found[0].name
    capacity: list[DayCapacity] = []  # clients visited at home per day (a follow-up call is no visit)
    for offset in range(CAPACITY_DAYS):
        d = day + timedelta(days=offset)
        on_day = visits if offset == 0 else own(await deps.read_model.visits_on(d))
        per_team: dict[str, set[str]] = {}
        for v in on_day:
            if v.status is not VisitStatus.CANCELLED and v.kind not in CONTINUITY_EXCLUDED_KINDS:
                per_team.setdefault(v.team_id, set()).add(v.case_id)
        for team_id in sorted(set(per_team) | set(teams)):
            team = teams.get(team_id)
            capacity.append(
                DayCapacity(team_id, d, len(per_team.get(team_id, ())), team.clients_per_day if team else None)
            )
    ordered = sorted(visits, key=lambda v: (v.team_id, v.staff_id or "", v.planned_start, v.visit_id))
    return TodayView(day, teams, ordered, names, capacity)


@dataclass(frozen=True)
class AlertsPage:
    now: datetime
    open: Sequence[AlertRow]  # most urgent first (`alerts.urgency`)
    recent: Sequence[AlertRow]  # closed in the last day, latest first
    teams: Mapping[str, TeamState]
    may_acknowledge: bool


def _alert_row(actor: Actor, alert: AlertState, case: CaseState | None, teams: Mapping[str, TeamState]) -> AlertRow:
    """Who (as the actor may see), where (the team, else the hospital ward while the person is there)."""
    team_key = alert.team_id or (resolve_team(case, teams) if case else None)
    team = teams[team_key].label if team_key and team_key in teams else team_key
    if case is None:
        return AlertRow(alert, None, None, team, None)
    in_hospital = case.discharged_at is None and case.admitted_at is not None
    return AlertRow(
        alert,
        person_label(case.given_name, case.family_name, actor.alert_person(alert.topic)),
        case.person_ref or None,
        team,
        case.care_unit if in_hospital else None,
        case.liability_starts_at if case.clock_running and alert.topic == LIABILITY_TOPIC else None,
    )


async def alerts_page(deps: ConsoleDeps, actor: Actor) -> AlertsPage:
    _require(actor, Page.ALERTS)
    now = deps.clock.now()
    teams = await deps.read_model.teams()
    rows: list[AlertRow] = []
    cases: dict[str, CaseState | None] = {}
    for alert in await deps.read_model.alerts(open_only=False):
        if alert.case_id and alert.case_id not in cases:
            found = await deps.read_model.case(alert.case_id)
            cases[alert.case_id] = found[0] if found else None
        case = cases.get(alert.case_id) if alert.case_id else None
        if _alert_of_team(actor, alert, case, teams):
            rows.append(_alert_row(actor, alert, case, teams))
    open_ = sorted((r for r in rows if r.alert.open), key=urgency)
    recent = sorted(
        (r for r in rows if not r.alert.open and r.alert.closed_at and now - r.alert.closed_at < timedelta(days=1)),
        key=lambda r: (r.alert.closed_at or now, r.alert.alert_id),
        reverse=True,
    )
    shown = sorted({actor.alert_person(r.alert.topic).value for r in [*open_, *recent] if r.person})
    case_ids = [r.alert.case_id for r in [*open_, *recent] if r.alert.case_id]
    await _audit(deps, actor, "view_alerts", case_ids, ("alerts", *shown, "care_unit"))
    return AlertsPage(now, open_, recent, teams, actor.may_acknowledge())


async def unrouted_alerts(deps: ConsoleDeps, actor: Actor) -> int:
    """Open alerts that reached nobody (nobody on call, not even on the fallback rota), for the
    banner on every page of on-call staff and ops; 0 for other roles."""
    if not actor.sees_unrouted_alerts():
        return 0
    return sum(1 for a in await deps.read_model.alerts(open_only=True) if a.unrouted)


async def acknowledge_alert(deps: ConsoleDeps, actor: Actor, alert_id: str) -> None:
    """Acknowledge through the notification service; its event updates the read model."""
    if not actor.may_acknowledge():
        raise Forbidden("acknowledge")
    alert = await deps.read_model.alert(alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    if not alert.open:
        raise AlertConflict(alert_id)
    await deps.notifications.acknowledge(alert_id, by=actor.subject)


@dataclass(frozen=True)
class FiguresPage:
    months: Sequence[str]
    rows: Sequence[Row]
    teams: Mapping[str, TeamState]
    team: str | None
    cases_left_out: tuple[str, ...] = ()  # cases the figures could not be computed for (reported)


def default_months(now: datetime, count: int = 6) -> list[str]:
    last = month_of(now)
    y, m = int(last[:4]), int(last[5:7]) - (count - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return months_between(f"{y:04d}-{m:02d}", last)


async def figures(
    deps: ConsoleDeps,
    actor: Actor,
    *,
    first: str | None = None,
    last: str | None = None,
    team: str | None = None,
) -> FiguresPage:
    """The follow-up figures (no personal data: aggregates only, so no audit record)."""
    _require(actor, Page.FIGURES)
    now = deps.clock.now()
    if first is None and last is None:
        months = default_months(now)
    else:
        months = months_between(first or last or month_of(now), last or first or month_of(now))
    teams = await deps.read_model.teams()
    cases = list(await deps.read_model.cases())
    # CPU-bound (every case, every month): off the event loop, so that readiness, the event stream
    # and other pages keep answering while it runs. One case the figures cannot be computed for is
    # left out and reported; the others still count.
    rows, left_out = await anyio.to_thread.run_sync(
        lambda: compute_isolated(
            cases,
            lambda some: compute(some, teams, months, deps.costs),
            lambda case: case.case_id,
            "figures",
        )
    )
    if team is not None:
        rows = [r for r in rows if r.team == team]
    return FiguresPage(months, rows, teams, team, left_out)


async def audit_trail(deps: ConsoleDeps, actor: Actor, limit: int = 200) -> list[AuditRecord]:
    _require(actor, Page.AUDIT)
    return await deps.audit.recent(limit)
