"""A period that ends before its first day has 0 days: `ended_on` is the day before `start_date`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.domain import events as ev
from scheduling.domain.plan import CasePlan, DecisionTerms, PlanContext
from scheduling.domain.profiles import team_config
from scheduling.domain.staffing import ConstantTravel, Roster
from scheduling.domain.team import Team
from scheduling.domain.vocab import EndReason, PeriodKind, VisitStatus

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday
START = date(2026, 11, 25)


def planned() -> tuple[CasePlan, PlanContext]:
    t = Team("t", replace(team_config("stockholm", "T", "+46701740605")))
    ctx = PlanContext(t, Roster(), ConstantTravel(15), NOW)
    plan = CasePlan("c1", "p_c1", planned_discharge_at=datetime(2026, 11, 25, 10, tzinfo=UTC))
    plan.record_decision(
        DecisionTerms("d1", PeriodKind.DAYS, START, START + timedelta(days=13), 14, "T", None, True, NOW)
    )
    plan.plan(ctx)
    return plan, ctx


@pytest.mark.parametrize(
    ("reason", "end_date"),
    [
        (EndReason.CASE_CANCELLED, date(2026, 11, 23)),
        (EndReason.DECLINED, date(2026, 11, 23)),
        (EndReason.ENDED_EARLY, date(2026, 11, 24)),  # ended early to a day before its first day
    ],
)
def test_a_period_ended_before_its_first_day_has_zero_days(reason: EndReason, end_date: date) -> None:
    plan, ctx = planned()
    events = plan.end_decision("d1", end_date, reason, ctx) or []
    (ended,) = [e for e in events if isinstance(e, ev.PeriodEnded)]
    assert ended.ended_on == START - timedelta(days=1)
    assert (ended.ended_on - ended.start_date).days + 1 == 0
    assert all(v.status != VisitStatus.SCHEDULED for v in plan.visits.values())


def test_a_period_ended_on_its_first_day_still_has_one_day() -> None:
    plan, ctx = planned()
    ctx.now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    events = plan.end_decision("d1", START, EndReason.CASE_CANCELLED, ctx) or []
    (ended,) = [e for e in events if isinstance(e, ev.PeriodEnded)]
    assert ended.ended_on == START
