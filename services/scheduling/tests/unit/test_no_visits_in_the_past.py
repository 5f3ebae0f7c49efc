"""Visits are never planned in the past: today's visits start after now + MIN_NOTICE, or the next team day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from scheduling.domain.plan import MIN_NOTICE, CasePlan, DecisionTerms, PlanContext
from scheduling.domain.profiles import team_config
from scheduling.domain.staffing import ConstantTravel, Roster
from scheduling.domain.team import Team
from scheduling.domain.vocab import PeriodKind, VisitKind, VisitStatus

MONDAY = date(2026, 11, 23)


def team(**changes: object) -> Team:
    return Team("t", replace(team_config("stockholm", "T", "+46701740605"), **changes))  # type: ignore[arg-type]


def plan_at(now: datetime, *, at_home: bool = True, discharge: datetime | None = None) -> CasePlan:
    plan = CasePlan("c1", "p_c1", at_home=at_home, discharged_at=discharge)
    plan.record_decision(
        DecisionTerms("d1", PeriodKind.DAYS, MONDAY, MONDAY + timedelta(days=13), 14, "T", None, True, now)
    )
    plan.plan(PlanContext(team(), Roster(), ConstantTravel(15), now))
    return plan


def scheduled(plan: CasePlan) -> list:  # type: ignore[type-arg]
    return [v for v in plan.ordered_visits() if v.status == VisitStatus.SCHEDULED]


def test_a_decision_granted_in_the_evening_for_today_gets_its_first_visit_the_next_team_day() -> None:
    now = datetime(2026, 11, 23, 19, 36, tzinfo=UTC)  # 20:36 in Stockholm, after the team's hours
    plan = plan_at(now)
    visits = scheduled(plan)
    assert visits
    assert all(v.planned_start >= now + MIN_NOTICE for v in visits), [(v.kind, v.planned_start) for v in visits]
    first = visits[0]
    assert first.kind == VisitKind.HOMECOMING
    assert first.day == date(2026, 11, 24)
    assert [v.day for v in visits].count(date(2026, 11, 24)) == 1  # it replaces that day's daily visit
    assert plan.next_due_at is not None
    assert plan.next_due_at > now  # nothing is due (missed) at once


def test_a_decision_granted_in_the_morning_for_today_gets_its_visit_today_but_ahead_of_now() -> None:
    now = datetime(2026, 11, 23, 9, 7, tzinfo=UTC)  # 10:07 local
    visits = scheduled(plan_at(now))
    first = visits[0]
    assert first.kind == VisitKind.HOMECOMING
    assert first.day == MONDAY
    assert first.planned_start >= datetime(2026, 11, 23, 10, 15, tzinfo=UTC)  # now + 1 h, on the quarter hour


def test_a_person_home_since_the_morning_is_not_visited_at_their_arrival_time_in_the_past() -> None:
    now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 12:00 local; arrived home at about 08:30
    plan = plan_at(now, at_home=False, discharge=datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    visits = scheduled(plan)
    assert all(v.planned_start >= now + MIN_NOTICE for v in visits)
    assert visits[0].kind == VisitKind.HOMECOMING
