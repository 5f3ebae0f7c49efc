"""Pure domain: the team's calendar (hours, holidays, partial days) and its capacity with the FIFO waiting list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

from scheduling.domain import events as ev
from scheduling.domain.calendar import Calendar, CoverCause, CoverReason, DayHours
from scheduling.domain.profiles import PROFILES, default_teams, team_config
from scheduling.domain.team import Absence, AbsenceKind, CapacityVerdict, Member, Team

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
WEEKDAYS_8_TO_16 = {d: DayHours(time(8), time(16)) for d in range(5)}


def test_a_team_that_does_not_work_on_holidays_is_off_on_christmas_day_and_midsummer_eve() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    assert calendar.day_off_reason(date(2026, 12, 25)) == CoverReason.PUBLIC_HOLIDAY  # a Friday
    assert calendar.day_off_reason(date(2026, 6, 19)) == CoverReason.PUBLIC_HOLIDAY  # midsummer eve, a Friday
    assert calendar.day_off_reason(date(2026, 12, 28)) is None  # an ordinary Monday
    assert calendar.day_off_reason(date(2026, 12, 27)) == CoverReason.TEAM_DAY_OFF  # a Sunday


def test_a_team_that_works_on_holidays_works_them_within_its_weekday_hours() -> None:
    jarfalla = Calendar(PROFILES["jarfalla"].hours, works_on_holidays=True)
    assert jarfalla.works(date(2026, 12, 25))
    assert not jarfalla.works(date(2026, 12, 26))  # a Saturday: Järfälla works weekdays only


def test_hofors_works_every_day_from_seven_to_half_past_three_local_time_across_daylight_saving() -> None:
    hofors = Calendar(PROFILES["hofors"].hours, works_on_holidays=True)
    winter, summer = hofors.window(date(2026, 12, 6)), hofors.window(date(2026, 7, 5))  # two Sundays
    assert winter is not None
    assert summer is not None
    assert (winter.start, winter.end) == (
        datetime(2026, 12, 6, 6, tzinfo=UTC),
        datetime(2026, 12, 6, 14, 30, tzinfo=UTC),
    )
    assert (summer.start, summer.end) == (datetime(2026, 7, 5, 5, tzinfo=UTC), datetime(2026, 7, 5, 13, 30, tzinfo=UTC))


def test_the_time_the_team_does_not_cover_runs_from_the_end_of_a_partial_day_through_the_night_and_the_weekend() -> (
    None
):
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    # Friday 4 December 2026, 13:00 local (12:00 UTC) to Tuesday 00:00 local.
    spans = calendar.cover_spans(datetime(2026, 12, 4, 12, tzinfo=UTC), datetime(2026, 12, 7, 23, tzinfo=UTC))
    assert [(s.start, s.end, s.cause, s.reason) for s in spans] == [
        (utc(12, 4, 15), utc(12, 4, 21), CoverCause.EVENING, CoverReason.OUTSIDE_TEAM_HOURS),
        (utc(12, 4, 21), utc(12, 4, 23), CoverCause.NIGHT, CoverReason.OUTSIDE_TEAM_HOURS),
        (utc(12, 4, 23), utc(12, 6, 23), CoverCause.WEEKEND, CoverReason.TEAM_DAY_OFF),
        (utc(12, 6, 23), utc(12, 7, 6), CoverCause.NIGHT, CoverReason.OUTSIDE_TEAM_HOURS),
        (utc(12, 7, 6), utc(12, 7, 7), CoverCause.MORNING, CoverReason.OUTSIDE_TEAM_HOURS),
        (utc(12, 7, 15), utc(12, 7, 21), CoverCause.EVENING, CoverReason.OUTSIDE_TEAM_HOURS),
        (utc(12, 7, 21), utc(12, 7, 23), CoverCause.NIGHT, CoverReason.OUTSIDE_TEAM_HOURS),
    ]


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_every_seed_profile_is_expressible_as_a_team() -> None:
    teams = default_teams()
    assert {t.municipality_profile for t in teams.values()} == {"hofors", "huddinge", "jarfalla", "stockholm"}
    huddinge = teams["huddinge"]
    assert sorted(huddinge.hours) == [0, 1, 2, 3, 4]
    assert huddinge.hours[0] == DayHours(time(7), time(16))
    assert not huddinge.works_on_holidays
    assert teams["jarfalla"].works_on_holidays
    assert teams["jarfalla"].max_period_days == 5


def test_a_member_works_only_within_their_own_hours_and_not_when_absent() -> None:
    config = team_config("huddinge", "T", "+46701740605", members=2)
    part_time = Member("half", hours={0: DayHours(time(12), time(20))})  # Mondays from noon
    team = Team("t", replace(config, members=(*config.members, part_time)))
    monday = date(2026, 11, 30)
    window = team.member_window(part_time, monday)
    assert window == (datetime(2026, 11, 30, 11, tzinfo=UTC), datetime(2026, 11, 30, 15, tzinfo=UTC))  # 12-16 local
    assert team.member_window(part_time, date(2026, 12, 1)) is None  # no own hours on Tuesdays
    team.record_absence("huddinge-us1", Absence(monday, monday, AbsenceKind.SICK))
    member = team.member("huddinge-us1")
    assert member is not None
    assert team.member_window(member, monday) is None


def _team(per_day: int = 2, per_month: int = 10) -> Team:
    return Team(
        "t",
        replace(team_config("jarfalla", "T", "+46701740605"), clients_per_day=per_day, new_clients_per_month=per_month),
    )


def test_a_full_day_puts_the_case_on_the_waiting_list_and_tells_on_call() -> None:
    team = _team(per_day=2)
    first, last = date(2026, 11, 25), date(2026, 11, 29)
    assert team.admit("a", "p_a", first, last, first, NOW)[0] == CapacityVerdict.ADMITTED
    assert team.admit("b", "p_b", first, last, first, NOW)[0] == CapacityVerdict.ADMITTED
    verdict, _, events = team.admit("c", "p_c", date(2026, 11, 27), date(2026, 12, 1), first, NOW)
    assert verdict == CapacityVerdict.WAITING
    exceeded, added = events
    assert isinstance(exceeded, ev.TeamCapacityExceeded)
    assert (exceeded.limit, exceeded.capacity, exceeded.on_date) == (
        ev.CapacityLimit.CLIENTS_PER_DAY,
        2,
        date(2026, 11, 27),
    )
    assert isinstance(added, ev.WaitingListChanged)
    assert (added.change, added.position, added.waiting_count) == (ev.WaitingChange.ADDED, 1, 1)


def test_the_monthly_limit_of_new_clients_counts_periods_started_in_the_month() -> None:
    team = _team(per_day=10, per_month=2)
    for case in ("a", "b"):
        team.admit(case, f"p_{case}", date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 2), NOW)
    team.release("a", date(2026, 11, 4), NOW)  # a period that ended still counts as started this month
    verdict, _, events = team.admit("c", "p_c", date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 4), NOW)
    assert verdict == CapacityVerdict.WAITING
    assert isinstance(events[0], ev.TeamCapacityExceeded)
    assert events[0].limit == ev.CapacityLimit.NEW_CLIENTS_PER_MONTH


def test_a_freed_place_goes_to_the_oldest_waiting_case_first() -> None:
    team = _team(per_day=1)
    day = date(2026, 11, 25)
    team.admit("a", "p_a", day, date(2026, 11, 29), day, NOW)
    team.admit("b", "p_b", day, date(2026, 11, 29), day, NOW)
    team.admit("c", "p_c", day, date(2026, 11, 29), day, NOW)
    assert [w.case_id for w in team.waiting] == ["b", "c"]
    admitted, events = team.release("a", day, NOW)
    assert admitted == ["b"]
    assert [w.case_id for w in team.waiting] == ["c"]
    (planned,) = events
    assert isinstance(planned, ev.WaitingListChanged)
    assert (planned.change, planned.waiting_count) == (ev.WaitingChange.PLANNED, 1)


def test_a_new_case_waits_behind_those_already_waiting_even_when_it_would_fit() -> None:
    team = _team(per_day=1)
    team.admit("a", "p_a", date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 25), NOW)
    team.admit("b", "p_b", date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 25), NOW)  # waits for day 26
    verdict, _, _ = team.admit("c", "p_c", date(2026, 12, 10), date(2026, 12, 11), date(2026, 11, 25), NOW)
    assert verdict == CapacityVerdict.WAITING  # first come, first served


def test_a_waiting_case_whose_decision_ran_out_leaves_the_list_when_a_place_frees() -> None:
    team = _team(per_day=1)
    team.admit("a", "p_a", date(2026, 11, 25), date(2026, 11, 30), date(2026, 11, 25), NOW)
    team.admit("b", "p_b", date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 25), NOW)
    admitted, events = team.release("a", date(2026, 11, 28), NOW)
    assert admitted == []
    assert [e.change for e in events if isinstance(e, ev.WaitingListChanged)] == [ev.WaitingChange.REMOVED]
    assert team.waiting == []


def test_admitting_the_same_case_twice_books_one_place() -> None:
    team = _team(per_day=1)
    day = date(2026, 11, 25)
    team.admit("a", "p_a", day, day, day, NOW)
    assert team.admit("a", "p_a", day, day, day, NOW) == (CapacityVerdict.ADMITTED, [], [])
    assert team.occupancy(day) == 1
