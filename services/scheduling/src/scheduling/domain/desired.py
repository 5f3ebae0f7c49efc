"""The visits a period should have, computed from the decision's period, the hospital facts and the team's calendar.

Pure: it reads the plan and the team and returns `Spec`s (what kind of visit, which day, when
preferably, how long, how far it may move); `replan.py` makes the plan's visits match them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from scheduling.domain.plan_state import PlanState
from scheduling.domain.plan_values import MIN_NOTICE, Period, Spec, quarter_hour_up
from scheduling.domain.team import Team
from scheduling.domain.vocab import HOME_VISITS, Location, PeriodKind, VisitKind, VisitStatus


def desired(plan: PlanState, team: Team, now: datetime, *, from_day: date) -> list[Spec]:
    """The visits the period should have from `from_day` on, by the team's rules."""
    p = plan.period
    assert p is not None
    cal = team.calendar
    arrival = plan.arrival(team)
    if arrival is not None and cal.local_date(arrival) < p.start_date:
        arrival = None  # discharged before the period: home on its first day
    first_home_day = max(p.start_date, cal.local_date(arrival) if arrival else p.start_date)
    hospital = _hospital_visit(plan, team, now, first_home_day)
    specs: list[Spec] = [hospital] if hospital is not None else []
    homecoming = _homecoming(plan, team, arrival, first_home_day)
    if homecoming is not None:
        specs.append(homecoming)
        later_days = cal.team_days(homecoming.day + timedelta(days=1), p.end_date)
    else:
        later_days = cal.team_days(first_home_day, p.end_date)
    essential, daily = _home_visits(team, p, later_days)
    if p.kind == PeriodKind.HOURS_POT and p.hours_granted is not None:
        specs = _within_pot(plan, specs, essential, daily, from_day=from_day)
    else:
        specs += essential + daily
    call = _follow_up_call(team, p)
    if call is not None:
        specs.append(call)
    wanted = sorted((s for s in specs if s.day >= from_day), key=lambda s: (s.day, s.preferred))
    return not_in_the_past(plan, team, now, wanted)


def _hospital_visit(plan: PlanState, team: Team, now: datetime, first_home_day: date) -> Spec | None:
    """On a team day shortly before discharge, while the person is still in hospital."""
    p = plan.period
    assert p is not None
    cal, rules = team.calendar, team.rules
    if not rules.hospital_visit or plan.at_home or plan.discharged_at is not None:
        return None
    not_before = max(cal.local_date(now), p.start_date - timedelta(days=3))
    day = cal.previous_team_day(first_home_day - timedelta(days=1), not_before=not_before)
    window = cal.window(day) if day else None
    if day is None or window is None:
        return None
    preferred = window.start + timedelta(hours=3)
    return Spec(VisitKind.HOSPITAL_VISIT, day, preferred, rules.hospital_visit_minutes, 240, Location.HOSPITAL)


def _homecoming(plan: PlanState, team: Team, arrival: datetime | None, first_home_day: date) -> Spec | None:
    """When the person arrives, or the team's next working time (within the period)."""
    p = plan.period
    assert p is not None
    cal, rules = team.calendar, team.rules
    home_day: date | None = None
    preferred_home: datetime | None = None
    if arrival is not None:
        day = cal.local_date(arrival)
        window = cal.window(day)
        if window is not None and arrival + timedelta(minutes=rules.homecoming_minutes) <= window.end:
            home_day, preferred_home = day, max(arrival, window.start)
        else:
            later = cal.next_team_day(day + timedelta(days=1) if window is None or arrival >= window.start else day)
            if later is not None and (w := cal.window(later)) is not None:
                home_day, preferred_home = later, w.start
    else:
        day_found = cal.next_team_day(first_home_day)
        if day_found is not None and (w := cal.window(day_found)) is not None:
            moment = rules.daily_visit_time if plan.at_home or plan.discharged_at else rules.default_arrival
            home_day = day_found
            preferred_home = min(
                max(cal.at(day_found, moment), w.start), w.end - timedelta(minutes=rules.homecoming_minutes)
            )
    if home_day is None or preferred_home is None or home_day > p.end_date:
        return None
    return Spec(VisitKind.HOMECOMING, home_day, preferred_home, rules.homecoming_minutes, 60, Location.HOME)


def _home_visits(team: Team, p: Period, later_days: list[date]) -> tuple[list[Spec], list[Spec]]:
    """After the homecoming: the follow-up meeting and the handover (essential), a daily visit on every other day."""
    cal, rules = team.calendar, team.rules
    handover_target = p.end_date - timedelta(days=rules.handover_days_before_end)
    handover_day = next(
        (d for d in reversed(later_days) if d <= handover_target), later_days[-1] if later_days else None
    )
    meeting_target = p.start_date + timedelta(days=rules.follow_up_meeting_day - 1)
    meeting_day = next((d for d in later_days if d >= meeting_target and d != handover_day), None)
    if meeting_day is None:
        meeting_day = next((d for d in reversed(later_days) if d != handover_day), None)
    essential: list[Spec] = []
    daily: list[Spec] = []
    for d in later_days:
        window = cal.window(d)
        assert window is not None
        kind, minutes = VisitKind.DAILY, rules.daily_visit_minutes
        if d == handover_day:
            kind, minutes = VisitKind.HANDOVER, rules.handover_minutes
        elif d == meeting_day:
            kind, minutes = VisitKind.FOLLOW_UP_MEETING, rules.follow_up_meeting_minutes
        preferred = min(max(cal.at(d, rules.daily_visit_time), window.start), window.end - timedelta(minutes=minutes))
        spec = Spec(
            kind,
            d,
            preferred,
            minutes,
            12 * 60,
            Location.HOME,
            officer_invited=kind == VisitKind.FOLLOW_UP_MEETING,
            with_hemtjanst=kind == VisitKind.HANDOVER,
        )
        (daily if kind == VisitKind.DAILY else essential).append(spec)
    return essential, daily


def _within_pot(
    plan: PlanState, specs: list[Spec], essential: list[Spec], daily: list[Spec], *, from_day: date
) -> list[Spec]:
    """A pot of hours: the homecoming and the essential visits first, then daily visits while hours remain."""
    p = plan.period
    assert p is not None
    assert p.hours_granted is not None
    budget = p.hours_granted * 60 - plan.minutes_used()
    budget -= sum(
        v.planned_end.timestamp() / 60 - v.planned_start.timestamp() / 60
        for v in plan.visits.values()
        if v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED) and v.kind in HOME_VISITS and v.day < from_day
    )
    chosen: list[Spec] = []
    for spec in [s for s in specs if s.kind == VisitKind.HOMECOMING] + essential + daily:
        if spec.minutes <= budget:
            chosen.append(spec)
            budget -= spec.minutes
    return [s for s in specs if s.kind == VisitKind.HOSPITAL_VISIT] + chosen


def _follow_up_call(team: Team, p: Period) -> Spec | None:
    """The call on the first team day the set number of days after the period."""
    cal, rules = team.calendar, team.rules
    call_day = cal.next_team_day(p.end_date + timedelta(days=rules.follow_up_call_days_after))
    if call_day is None or (w := cal.window(call_day)) is None:
        return None
    minutes = rules.follow_up_call_minutes
    preferred = min(max(cal.at(call_day, time(13, 0)), w.start), w.end - timedelta(minutes=minutes))
    return Spec(VisitKind.FOLLOW_UP_CALL, call_day, preferred, minutes, 12 * 60, Location.PHONE)


def not_in_the_past(plan: PlanState, team: Team, now: datetime, specs: list[Spec]) -> list[Spec]:
    """Today's visits start after now + MIN_NOTICE, or move to the next team day (see MIN_NOTICE).

    A visit already planned for today (of that kind) is left as it is: re-planning never
    moves or cancels a visit that is due or under way; its missed-visit check stays honest.
    """
    p = plan.period
    assert p is not None
    cal = team.calendar
    today = cal.local_date(now)
    earliest = quarter_hour_up(now + MIN_NOTICE)
    planned = {
        (v.kind, v.day)
        for v in plan.visits.values()
        if v.status in (VisitStatus.SCHEDULED, VisitStatus.STARTED, VisitStatus.COMPLETED)
    }
    out: list[Spec] = []
    moved_to: set[date] = set()
    for s in specs:
        if s.day != today or (s.kind, s.day) in planned:
            out.append(s)
            continue
        window = cal.window(s.day)
        if window is not None and earliest + timedelta(minutes=s.minutes) <= window.end:
            out.append(replace(s, preferred=max(s.preferred, earliest), not_before=earliest))
            continue
        if s.kind in (VisitKind.DAILY, VisitKind.HOSPITAL_VISIT):
            continue  # the next day has its own daily visit; the hospital visit is too late
        day = cal.next_team_day(s.day + timedelta(days=1))
        w = cal.window(day) if day is not None else None
        if day is None or w is None or (day > p.end_date and s.kind != VisitKind.FOLLOW_UP_CALL):
            continue
        preferred = min(max(cal.at(day, cal.local_time(s.preferred)), w.start), w.end - timedelta(minutes=s.minutes))
        out.append(replace(s, day=day, preferred=preferred))
        moved_to.add(day)
    out = [s for s in out if not (s.kind == VisitKind.DAILY and s.day in moved_to)]
    return sorted(out, key=lambda s: (s.day, s.preferred))
