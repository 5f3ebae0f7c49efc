"""A decision's events handled out of order (a dead letter replayed, the relay out of order) end
where in-order delivery ends: a grant after its own end or change, a change after the end."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from scheduling_support import Harness, grant_command, seeded

from scheduling.domain import events as ev
from scheduling.domain.plan import CasePlan, DecisionChange, DecisionTerms, PlanContext
from scheduling.domain.profiles import team_config
from scheduling.domain.staffing import ConstantTravel, Roster
from scheduling.domain.team import Team
from scheduling.domain.vocab import EndReason, PeriodKind, PeriodStatus, VisitKind, VisitStatus
from scheduling.service_layer import planning as uc

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 10:00 local
GRANTED_AT = datetime(2026, 11, 10, 9, tzinfo=UTC)
CHANGED_AT = datetime(2026, 11, 18, 9, tzinfo=UTC)


def team() -> Team:
    return Team("t", team_config("stockholm", "T", "+46701740605"))


def ctx(t: Team) -> PlanContext:
    return PlanContext(t, Roster(), ConstantTravel(15), NOW)


def terms(start: date = date(2026, 11, 16), length: int = 14) -> DecisionTerms:
    last = start + timedelta(days=length - 1)
    return DecisionTerms("d1", PeriodKind.DAYS, start, last, length, "T", None, True, GRANTED_AT)


def extension(length: int = 21, start: date = date(2026, 11, 16)) -> DecisionChange:
    return DecisionChange("d1", length, start + timedelta(days=length - 1), None, True, CHANGED_AT)


def fresh() -> CasePlan:
    return CasePlan("c1", "p_c1", discharged_at=datetime(2026, 11, 16, 10, tzinfo=UTC))


def test_an_end_before_its_grant_is_kept_and_the_late_grant_plans_and_ends_the_period_as_in_order() -> None:
    t = team()
    in_order = fresh()
    in_order.record_decision(terms())
    in_order.plan(ctx(t))
    in_order.end_decision("d1", date(2026, 11, 20), EndReason.ENDED_EARLY, ctx(t))

    late = fresh()
    assert late.end_decision("d1", date(2026, 11, 20), EndReason.ENDED_EARLY, None) == []
    assert late.end_decision("d1", date(2026, 11, 20), EndReason.ENDED_EARLY, None) is None  # known already
    assert late.ended_decisions == []  # not ended here yet: the grant is still to be planned
    assert late.record_decision(terms())
    late.plan(ctx(t))
    end = late.pending_end("d1")
    assert end is not None
    late.end_decision("d1", end.end_date, end.reason, ctx(t))

    assert late == in_order
    assert late.period is not None
    assert late.period.status == PeriodStatus.ENDED
    assert late.period.ended_on == date(2026, 11, 20)
    call = next(v for v in late.visits.values() if v.kind == VisitKind.FOLLOW_UP_CALL)
    assert call.status == VisitStatus.SCHEDULED  # ended early: the follow-up call still happens
    assert late.pending_end("d1") is None


def in_order_and_late(end_day: date) -> tuple[CasePlan, CasePlan, list[object]]:
    """A change and then an end to `end_day`, in order; and the same with the change handled after the end
    (with the events of handling it)."""
    t = team()
    in_order = fresh()
    in_order.record_decision(terms())
    in_order.plan(ctx(t))
    in_order.change_terms(terms().changed_by(extension()), ctx(t))
    in_order.end_decision("d1", end_day, EndReason.ENDED_EARLY, ctx(t))

    late = fresh()
    late.record_decision(terms())
    late.plan(ctx(t))
    late.end_decision("d1", end_day, EndReason.ENDED_EARLY, ctx(t))
    events = late.change_terms(terms().changed_by(extension()), ctx(t))
    return in_order, late, events


def test_a_change_handled_after_the_end_it_preceded_gives_the_in_order_plan() -> None:
    in_order, late, events = in_order_and_late(date(2026, 11, 20))

    assert late == in_order
    assert late.period is not None
    assert (late.period.end_date, late.period.ended_on) == (date(2026, 12, 6), date(2026, 11, 20))
    ended = [e for e in events if isinstance(e, ev.PeriodEnded)]
    assert len(ended) == 1
    assert ended[0].planned_end_date == date(2026, 12, 6)


def test_a_change_handled_after_an_end_to_a_later_day_gives_the_in_order_plan() -> None:
    in_order, late, _ = in_order_and_late(date(2026, 11, 27))

    # The same period, terms and open visits; the late path's history also holds the visits it
    # planned for the extension and cancelled again (another visit id for one of them).
    def live(plan: CasePlan) -> list[tuple[object, ...]]:
        return [
            (v.kind, v.planned_start, v.staff_id) for v in plan.ordered_visits() if v.status == VisitStatus.SCHEDULED
        ]

    assert (late.period, late.decision, late.ended_decisions) == (
        in_order.period,
        in_order.decision,
        in_order.ended_decisions,
    )
    assert live(late) == live(in_order)
    assert late.period is not None
    assert late.period.end_date == date(2026, 11, 27)


def test_a_decision_ended_before_the_end_was_kept_is_never_planned() -> None:
    # A plan saved before ends were kept: the decision id alone says it ended.
    plan = CasePlan("c1", "p_c1", ended_decisions=["d1"])
    assert not plan.record_decision(terms())
    assert plan.plan(ctx(team())) == []
    assert plan.period is None


def test_a_change_before_its_grant_is_kept_until_the_grant() -> None:
    plan = fresh()
    change = extension()
    assert plan.remember_change(change) == []
    assert plan.remember_change(change) is None  # a repeat
    assert plan.early_changes_of("d1") == [change]
    assert plan.forget_early_changes("d1") == []
    assert plan.early_changes == []


# --- through the use cases (the team's side too) ------------------------------------------------


def _grant(case_id: str) -> uc.GrantDecision:
    return grant_command(case_id, start=date(2026, 11, 16), decision_id="d1", granted_at=GRANTED_AT)


def _change(case_id: str) -> uc.ChangeDecision:
    return uc.ChangeDecision(case_id, f"p_{case_id}", extension())


def _end(case_id: str, end_date: date, reason: EndReason = EndReason.ENDED_EARLY) -> uc.EndDecision:
    return uc.EndDecision(case_id, f"p_{case_id}", "d1", end_date, reason)


async def _state(h: Harness, case_id: str) -> tuple[CasePlan, Team]:
    plan = await h.plan(case_id)
    loaded = await h.teams.load("team-vast")
    assert loaded is not None
    return plan, loaded.state


async def _run(case_id: str, steps: list[str], end_date: date, reason: EndReason) -> tuple[CasePlan, Team]:
    h = await seeded(NOW)
    await uc.record_discharged(h.deps, case_id, f"p_{case_id}", datetime(2026, 11, 16, 10, tzinfo=UTC), "home")
    for step in steps:
        if step == "grant":
            await uc.grant_decision(h.deps, _grant(case_id))
        elif step == "change":
            await uc.change_decision(h.deps, _change(case_id))
        else:
            await uc.end_decision(h.deps, _end(case_id, end_date, reason))
    return await _state(h, case_id)


async def test_a_grant_handled_after_its_change_and_end_plans_the_period_as_in_order_delivery() -> None:
    case_id = uuid.uuid4().hex[:12]
    expected = await _run(case_id, ["grant", "change", "end"], date(2026, 11, 20), EndReason.ENDED_EARLY)
    for order in (["end", "change", "grant"], ["change", "end", "grant"], ["grant", "end", "change"]):
        assert await _run(case_id, order, date(2026, 11, 20), EndReason.ENDED_EARLY) == expected, order
    plan, team_state = expected
    assert plan.period is not None
    assert plan.period.ended_on == date(2026, 11, 20)
    assert plan.early_changes == []
    assert team_state.bookings[case_id].last_day == date(2026, 12, 6)


async def test_a_grant_handled_after_the_person_died_is_planned_and_ended_as_in_order() -> None:
    case_id = uuid.uuid4().hex[:12]
    # Referral ends the decision itself when the person dies (reason deceased, the day of death).
    expected = await _run(case_id, ["grant", "end"], date(2026, 11, 21), EndReason.DECEASED)
    late = await _run(case_id, ["end", "grant"], date(2026, 11, 21), EndReason.DECEASED)
    assert late == expected
    plan, _ = late
    assert plan.period is not None
    assert (plan.period.end_reason, plan.period.ended_on) == (EndReason.DECEASED, date(2026, 11, 21))
    assert all(v.status != VisitStatus.SCHEDULED for v in plan.visits.values())  # the call too


async def test_a_grant_redelivered_after_its_late_planning_changes_nothing() -> None:
    h = await seeded(NOW)
    case_id = uuid.uuid4().hex[:12]
    await uc.end_decision(h.deps, _end(case_id, date(2026, 11, 20)))
    await uc.grant_decision(h.deps, _grant(case_id))
    before = (await h.plan(case_id), len(h.events(case_id)), len(h.team_events()))
    await uc.grant_decision(h.deps, replace(_grant(case_id)))
    assert (await h.plan(case_id), len(h.events(case_id)), len(h.team_events())) == before
