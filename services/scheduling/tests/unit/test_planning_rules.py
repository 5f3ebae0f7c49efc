"""Pure domain: how a period is planned and staffed, and how the plan reacts to what happens."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.domain import events as ev
from scheduling.domain.plan import CasePlan, DecisionTerms, PlanContext, PlanError, continuity, team_roster
from scheduling.domain.profiles import team_config
from scheduling.domain.staffing import ConstantTravel, Roster
from scheduling.domain.team import Absence, AbsenceKind, Team
from scheduling.domain.vocab import (
    CancelReason,
    EndReason,
    PeriodKind,
    PeriodStatus,
    RatingMoment,
    VisitKind,
    VisitStatus,
)

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 10:00 local


def team(profile: str = "stockholm", members: int | None = None, **changes: object) -> Team:
    config = team_config(profile, "T", "+46701740605", members=members)
    return Team("t", replace(config, **changes))  # type: ignore[arg-type]


def terms(start: date, length: int, *, kind: PeriodKind = PeriodKind.DAYS, hours: float | None = None) -> DecisionTerms:
    return DecisionTerms("d1", kind, start, start + timedelta(days=length - 1), length, "T", hours, True, NOW)


def planned(
    t: Team,
    start: date = date(2026, 11, 25),
    length: int = 14,
    *,
    case_id: str = "c1",
    discharge: datetime | None = datetime(2026, 11, 25, 10, tzinfo=UTC),
    roster: Roster | None = None,
    at_home: bool = False,
    **kw: object,
) -> tuple[CasePlan, list[object]]:
    plan = CasePlan(case_id, f"p_{case_id}", planned_discharge_at=discharge, at_home=at_home)
    plan.record_decision(terms(start, length, **kw))  # type: ignore[arg-type]
    events = plan.plan(PlanContext(t, roster or Roster(), ConstantTravel(15), NOW))
    return plan, events


def kinds(plan: CasePlan) -> list[VisitKind]:
    return [v.kind for v in plan.ordered_visits() if v.status == VisitStatus.SCHEDULED]


def test_a_period_has_a_hospital_visit_a_homecoming_daily_visits_a_meeting_a_handover_and_a_call() -> None:
    plan, _ = planned(team())
    by_kind = {v.kind: v for v in plan.ordered_visits()}
    assert kinds(plan)[:2] == [VisitKind.HOSPITAL_VISIT, VisitKind.HOMECOMING]
    assert by_kind[VisitKind.HOSPITAL_VISIT].day == date(2026, 11, 24)  # the team day before discharge
    assert by_kind[VisitKind.HOMECOMING].planned_start == datetime(2026, 11, 25, 11, tzinfo=UTC)  # arrival
    assert by_kind[VisitKind.FOLLOW_UP_MEETING].day == date(2026, 11, 30)  # day 5 is a Sunday: Monday
    assert by_kind[VisitKind.FOLLOW_UP_MEETING].officer_invited
    assert by_kind[VisitKind.HANDOVER].day == date(2026, 12, 7)  # the team day before the last day
    assert by_kind[VisitKind.HANDOVER].with_hemtjanst
    assert by_kind[VisitKind.FOLLOW_UP_CALL].day == date(2026, 12, 22)  # 14 days after the end
    daily_days = [v.day for v in plan.ordered_visits() if v.kind == VisitKind.DAILY]
    assert all(d.weekday() < 5 for d in daily_days)  # Stockholm's team works weekdays
    assert len(daily_days) == 7


def test_no_visit_falls_on_a_public_holiday_the_team_does_not_work_and_hemtjanst_covers_it() -> None:
    plan, events = planned(team(), start=date(2026, 12, 21), length=10, discharge=datetime(2026, 12, 21, 9, tzinfo=UTC))
    days = {v.day for v in plan.visits.values() if v.kind != VisitKind.FOLLOW_UP_CALL}
    assert not days & {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)}
    (cover,) = [e for e in events if isinstance(e, ev.HemtjanstCoverOrdered)]
    holiday = [w for w in cover.windows if w.reason.value == "public_holiday"]
    assert holiday[0].start == datetime(2026, 12, 23, 23, tzinfo=UTC)  # Christmas Eve, local midnight
    assert holiday[-1].end == datetime(2026, 12, 26, 23, tzinfo=UTC)  # through Boxing Day (a Saturday)
    assert [w.holiday for w in holiday] == ["Julafton", "Juldagen", "Annandag jul"]  # one named window per day


def test_a_holiday_working_team_visits_on_christmas_day() -> None:
    plan, _ = planned(
        team("hofors"), start=date(2026, 12, 21), length=10, discharge=datetime(2026, 12, 21, 9, tzinfo=UTC)
    )
    assert date(2026, 12, 25) in {v.day for v in plan.visits.values()}


def test_an_arrival_after_the_teams_day_moves_the_homecoming_to_the_next_morning() -> None:
    plan, events = planned(team(), discharge=datetime(2026, 11, 25, 14, 30, tzinfo=UTC))  # 15:30 + 1 h at home
    homecoming = next(v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING)
    assert homecoming.planned_start == datetime(2026, 11, 26, 7, tzinfo=UTC)  # 08:00 local, the team's start
    (cover,) = [e for e in events if isinstance(e, ev.HemtjanstCoverOrdered)]
    assert cover.windows[0].start == datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # from arrival: nobody left alone


def test_a_person_already_at_home_gets_no_hospital_visit_and_a_morning_homecoming() -> None:
    plan, _ = planned(team(), discharge=None, at_home=True)
    assert VisitKind.HOSPITAL_VISIT not in kinds(plan)
    homecoming = next(v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING)
    assert homecoming.planned_start == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # daily visit time 09:30 local


def test_a_pot_of_hours_plans_only_as_many_visits_as_the_hours_allow() -> None:
    plan, events = planned(team(), length=14, kind=PeriodKind.HOURS_POT, hours=5.0)
    home = [v for v in plan.visits.values() if v.kind not in (VisitKind.HOSPITAL_VISIT, VisitKind.FOLLOW_UP_CALL)]
    minutes = sum(int((v.planned_end - v.planned_start).total_seconds() // 60) for v in home)
    assert minutes <= 5 * 60
    assert {VisitKind.HOMECOMING, VisitKind.HANDOVER, VisitKind.FOLLOW_UP_MEETING} <= {v.kind for v in home}
    assert isinstance(events[0], ev.PeriodPlanned)
    assert events[0].kind == PeriodKind.HOURS_POT


def test_when_the_pot_of_hours_is_used_up_the_period_ends_and_the_rest_is_cancelled() -> None:
    plan, _ = planned(team(), length=14, kind=PeriodKind.HOURS_POT, hours=2.0)
    homecoming = next(v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING)
    events = plan.complete_visit(
        homecoming.visit_id,
        "s1",
        homecoming.planned_start,
        homecoming.planned_start + timedelta(hours=2),
        None,
        None,
        NOW,
    )
    assert events is not None
    ended = [e for e in events if isinstance(e, ev.PeriodEnded)]
    assert ended[0].reason == EndReason.HOURS_USED
    assert {e.reason for e in events if isinstance(e, ev.VisitCancelled)} == {CancelReason.HOURS_USED}
    assert any(v.kind == VisitKind.FOLLOW_UP_CALL and v.status == VisitStatus.SCHEDULED for v in plan.visits.values())


def test_one_contact_person_makes_the_visits_when_free_and_an_absence_goes_to_one_stand_in() -> None:
    t = team(members=3)
    t.record_absence("stockholm-us1", Absence(date(2026, 12, 3), date(2026, 12, 7), AbsenceKind.LEAVE))
    t.record_absence("stockholm-us2", Absence(date(2026, 11, 20), date(2026, 12, 31), AbsenceKind.LEAVE))
    t.record_absence("stockholm-us3", Absence(date(2026, 12, 1), date(2026, 12, 2), AbsenceKind.SICK))
    plan, _ = planned(t)
    assert plan.period is not None
    assert plan.period.contact_person_id == "stockholm-us3"  # free on the most days
    visits = [v for v in plan.visits.values() if v.kind != VisitKind.FOLLOW_UP_CALL]
    assert {v.staff_id for v in visits if v.day in (date(2026, 12, 1), date(2026, 12, 2))} == {"stockholm-us1"}
    assert {v.staff_id for v in visits} == {"stockholm-us1", "stockholm-us3"}  # one stand-in, nobody absent


def test_a_member_never_has_two_visits_at_once_and_keeps_travel_time_between_them() -> None:
    t = team(members=2)
    plans: list[CasePlan] = []
    for i in range(5):
        plan, _ = planned(t, case_id=f"c{i}", roster=team_roster(plans))
        plans.append(plan)
    busy: dict[tuple[str, date], list[tuple[datetime, datetime]]] = {}
    for plan in plans:
        for v in plan.visits.values():
            if v.staff_id:
                busy.setdefault((v.staff_id, v.day), []).append((v.planned_start, v.planned_end))
    for slots in busy.values():
        slots.sort()
        for (_, end), (start, _) in itertools.pairwise(slots):
            assert start >= end + timedelta(minutes=15)
    for (staff, _day), slots in busy.items():
        member = t.member(staff)
        assert member is not None
        assert len(slots) <= member.daily_visit_limit


def test_continuity_beats_round_robin_for_a_team_of_seven_and_contact_persons_are_balanced() -> None:
    t = team(members=7)
    plans: list[CasePlan] = []
    for i in range(10):
        plan, _ = planned(
            t, start=date(2026, 11, 23) + timedelta(days=i % 5), case_id=f"c{i}", roster=team_roster(plans)
        )
        plans.append(plan)
    distinct, share = continuity(plans)
    assert distinct <= 1.5
    assert share >= 0.9
    contacts = [p.period.contact_person_id for p in plans]  # type: ignore[union-attr]
    assert len(set(contacts)) == 7  # spread over the whole team


def test_revoking_the_ready_notice_puts_the_plan_on_hold_and_a_new_one_resumes_it() -> None:
    t = team()
    plan, _ = planned(t)
    held = plan.record_revoked(NOW)
    assert plan.period.status == PeriodStatus.ON_HOLD  # type: ignore[union-attr]
    assert all(v.status == VisitStatus.CANCELLED for v in plan.visits.values())
    assert {e.reason for e in held if isinstance(e, ev.VisitCancelled)} == {CancelReason.READY_REVOKED}
    later = datetime(2026, 11, 27, 12, tzinfo=UTC)
    resumed = plan.record_ready(NOW, later, PlanContext(t, Roster(), ConstantTravel(15), NOW))
    assert isinstance(resumed[0], ev.PeriodChanged)
    assert plan.period.status == PeriodStatus.PLANNED  # type: ignore[union-attr]
    homecoming = next(
        v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING and v.status == VisitStatus.SCHEDULED
    )
    assert homecoming.planned_start == later + timedelta(hours=1)


def test_the_actual_discharge_time_moves_the_homecoming_visit() -> None:
    t = team()
    plan, _ = planned(t)
    events = plan.record_discharged(
        datetime(2026, 11, 25, 12, tzinfo=UTC), True, False, PlanContext(t, Roster(), ConstantTravel(15), NOW)
    )
    moved = [e for e in events if isinstance(e, ev.VisitRescheduled)]
    assert [m.kind for m in moved] == [VisitKind.HOMECOMING]
    assert moved[0].planned_start == datetime(2026, 11, 25, 13, tzinfo=UTC)
    assert moved[0].reason.value == "discharge_time"


def test_readmission_cancels_every_future_visit_and_keeps_the_history() -> None:
    t = team()
    plan, _ = planned(t)
    homecoming = next(v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING)
    plan.complete_visit(homecoming.visit_id, "s1", homecoming.planned_start, homecoming.planned_end, None, None, NOW)
    events = plan.readmitted(NOW, date(2026, 11, 27))
    assert homecoming.status == VisitStatus.COMPLETED
    assert all(v.status in (VisitStatus.CANCELLED, VisitStatus.COMPLETED) for v in plan.visits.values())
    (ended,) = [e for e in events if isinstance(e, ev.PeriodEnded)]
    assert (ended.reason, ended.ended_on, ended.visits_completed) == (EndReason.READMITTED, date(2026, 11, 27), 1)
    assert not ended.follow_up_call_planned


def test_extending_the_decision_adds_days_and_moves_the_handover_and_the_call() -> None:
    t = team()
    plan, _ = planned(t, length=7)
    handover = next(v for v in plan.visits.values() if v.kind == VisitKind.HANDOVER)
    events = plan.change_terms(
        replace(terms(date(2026, 11, 25), 14), terms_at=NOW + timedelta(hours=1)),
        PlanContext(t, Roster(), ConstantTravel(15), NOW),
    )
    assert isinstance(events[0], ev.PeriodChanged)
    assert events[0].change.value == "extended"
    assert handover.day == date(2026, 12, 7)
    assert any(isinstance(e, ev.VisitScheduled) and e.kind == VisitKind.DAILY for e in events)
    call = next(v for v in plan.visits.values() if v.kind == VisitKind.FOLLOW_UP_CALL)
    assert call.day == date(2026, 12, 22)


def test_shortening_the_decision_cancels_the_days_after_the_new_end() -> None:
    t = team()
    plan, _ = planned(t, length=14)
    events = plan.change_terms(
        replace(terms(date(2026, 11, 25), 5), terms_at=NOW + timedelta(hours=1)),
        PlanContext(t, Roster(), ConstantTravel(15), NOW),
    )
    cancelled = [e for e in events if isinstance(e, ev.VisitCancelled)]
    assert cancelled
    assert all(e.reason == CancelReason.PERIOD_SHORTENED for e in cancelled)
    open_days = [
        v.day for v in plan.visits.values() if v.status == VisitStatus.SCHEDULED and v.kind != VisitKind.FOLLOW_UP_CALL
    ]
    assert max(open_days) <= date(2026, 11, 29)


def test_an_older_decision_change_arriving_late_changes_nothing() -> None:
    t = team()
    plan, _ = planned(t, length=14)
    ctx = PlanContext(t, Roster(), ConstantTravel(15), NOW)
    plan.change_terms(replace(terms(date(2026, 11, 25), 10), terms_at=NOW + timedelta(hours=2)), ctx)
    assert plan.change_terms(replace(terms(date(2026, 11, 25), 5), terms_at=NOW + timedelta(hours=1)), ctx) == []
    assert plan.period.end_date == date(2026, 12, 4)  # type: ignore[union-attr]


def test_a_sick_member_s_visits_go_to_someone_the_client_already_met_when_possible() -> None:
    t = team(members=4)
    plan, _ = planned(t)
    contact = plan.period.contact_person_id  # type: ignore[union-attr]
    # The client has met a second member once (a visit moved to them).
    daily = [v for v in plan.ordered_visits() if v.kind == VisitKind.DAILY]
    other = next(m.staff_id for m in t.active_members() if m.staff_id != contact)
    daily[0].staff_id = other
    sick_day = daily[1].day
    roster = team_roster([plan])
    events, moved, unstaffed, kept = plan.restaff_day(
        sick_day, contact, PlanContext(t, roster, ConstantTravel(15), NOW), roster
    )  # type: ignore[arg-type]
    assert (moved, unstaffed, kept) == (1, 0, 1)
    (reassigned,) = events
    assert isinstance(reassigned, ev.VisitReassigned)
    assert reassigned.staff_id == other


def test_timers_fire_once_in_due_order_and_nothing_is_due_before_its_time() -> None:
    t = team()
    plan, _ = planned(t, length=5)
    assert plan.fire_due(NOW) is None
    end = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    first = plan.fire_due(end)
    assert first is not None
    assert sum(isinstance(e, ev.PeriodEnded) for e in first) == 1
    assert plan.fire_due(end) is None


def test_the_self_rating_is_taken_at_the_first_and_the_last_visit_only() -> None:
    t = team()
    plan, _ = planned(t, length=5)
    rating = ev.SelfRating(3, 2, 3, 2, 2, 60, 3, 4)
    home = [
        v
        for v in plan.ordered_visits()
        if v.kind in (VisitKind.HOMECOMING, VisitKind.DAILY, VisitKind.HANDOVER, VisitKind.FOLLOW_UP_MEETING)
    ]
    first = plan.complete_visit(home[0].visit_id, "s1", home[0].planned_start, home[0].planned_end, None, rating, NOW)
    assert first is not None
    assert isinstance(first[0], ev.VisitCompleted)
    assert first[0].rating_moment == RatingMoment.FIRST_VISIT
    with pytest.raises(PlanError):
        plan.complete_visit(home[1].visit_id, "s1", home[1].planned_start, home[1].planned_end, None, rating, NOW)
    last = plan.complete_visit(home[-1].visit_id, "s1", home[-1].planned_start, home[-1].planned_end, None, rating, NOW)
    assert last is not None
    assert isinstance(last[0], ev.VisitCompleted)
    assert last[0].rating_moment == RatingMoment.LAST_VISIT


def test_a_completed_visit_cannot_be_cancelled_but_a_repeated_completion_is_a_no_op() -> None:
    plan, _ = planned(team(), length=5)
    v = next(v for v in plan.visits.values() if v.kind == VisitKind.HOMECOMING)
    plan.complete_visit(v.visit_id, "s1", v.planned_start, v.planned_end, None, None, NOW)
    assert plan.complete_visit(v.visit_id, "s1", None, v.planned_end, None, None, NOW) is None
    with pytest.raises(PlanError):
        plan.cancel_visit(v.visit_id, CancelReason.DECLINED, "s1", NOW)
