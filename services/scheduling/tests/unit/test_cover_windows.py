"""Why hemtjänst covers a window: evening, night, morning, weekend, another day off, or a named holiday.

The reason comes from the real cause (the team's hours, its weekdays, Sweden's holidays from the
`holidays` library), not one label for every window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from scheduling.domain.calendar import Calendar, CoverCause, CoverReason, DayHours

WEEKDAYS_8_TO_16 = {d: DayHours(time(8), time(16)) for d in range(5)}


def _local_day(calendar: Calendar, day: date) -> list[tuple[str, str, CoverCause, str | None]]:
    """The windows of one local day as local times (24:00 for the midnight after it)."""
    spans = calendar.cover_spans(calendar.midnight(day), calendar.midnight(day + timedelta(days=1)))

    def hhmm(instant: datetime) -> str:
        local = instant.astimezone(calendar.tz)
        return "24:00" if local.date() > day else local.strftime("%H:%M")

    return [(hhmm(s.start), hhmm(s.end), s.cause, s.holiday) for s in spans]


def test_a_weekday_is_covered_in_the_night_the_morning_before_the_team_starts_and_the_evening_after_it_ends() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    assert _local_day(calendar, date(2026, 12, 8)) == [  # a Tuesday
        ("00:00", "07:00", CoverCause.NIGHT, None),
        ("07:00", "08:00", CoverCause.MORNING, None),
        ("16:00", "22:00", CoverCause.EVENING, None),
        ("22:00", "24:00", CoverCause.NIGHT, None),
    ]


def test_a_team_from_seven_has_no_morning_window_and_its_evening_starts_when_it_ends() -> None:
    hofors = Calendar({d: DayHours(time(7), time(15, 30)) for d in range(7)}, works_on_holidays=True)
    assert [(a, b, c) for a, b, c, _ in _local_day(hofors, date(2026, 12, 8))] == [
        ("00:00", "07:00", CoverCause.NIGHT),
        ("15:30", "22:00", CoverCause.EVENING),
        ("22:00", "24:00", CoverCause.NIGHT),
    ]


def test_a_saturday_the_team_does_not_work_is_a_weekend_window_of_the_whole_day() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    assert _local_day(calendar, date(2026, 12, 5)) == [("00:00", "24:00", CoverCause.WEEKEND, None)]
    (span,) = calendar.cover_spans(calendar.midnight(date(2026, 12, 5)), calendar.midnight(date(2026, 12, 6)))
    assert span.reason == CoverReason.TEAM_DAY_OFF


def test_midsummer_eve_and_christmas_day_are_holiday_windows_with_their_swedish_names() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    assert _local_day(calendar, date(2026, 6, 19)) == [("00:00", "24:00", CoverCause.HOLIDAY, "Midsommarafton")]
    assert _local_day(calendar, date(2026, 12, 25)) == [("00:00", "24:00", CoverCause.HOLIDAY, "Juldagen")]
    (span,) = calendar.cover_spans(calendar.midnight(date(2026, 12, 25)), calendar.midnight(date(2026, 12, 26)))
    assert span.reason == CoverReason.PUBLIC_HOLIDAY


def test_christmas_is_three_named_windows_not_one() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    spans = calendar.cover_spans(calendar.midnight(date(2026, 12, 24)), calendar.midnight(date(2026, 12, 27)))
    assert [(s.cause, s.holiday) for s in spans] == [
        (CoverCause.HOLIDAY, "Julafton"),
        (CoverCause.HOLIDAY, "Juldagen"),
        (CoverCause.HOLIDAY, "Annandag jul"),
    ]


def test_a_team_that_works_holidays_covers_christmas_day_itself_and_hemtjanst_has_only_its_evening() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=True)
    causes = [c for _, _, c, _ in _local_day(calendar, date(2026, 12, 25))]
    assert causes == [CoverCause.NIGHT, CoverCause.MORNING, CoverCause.EVENING, CoverCause.NIGHT]


def test_a_weekday_outside_the_teams_days_is_a_day_off_not_a_weekend() -> None:
    monday_to_thursday = Calendar({d: DayHours(time(8), time(16)) for d in range(4)}, works_on_holidays=False)
    assert _local_day(monday_to_thursday, date(2026, 12, 11)) == [("00:00", "24:00", CoverCause.DAY_OFF, None)]


def test_the_night_runs_on_across_midnight_as_one_window() -> None:
    calendar = Calendar(WEEKDAYS_8_TO_16, works_on_holidays=False)
    tuesday_evening = datetime(2026, 12, 8, 15, tzinfo=UTC)  # 16:00 local
    spans = calendar.cover_spans(tuesday_evening, datetime(2026, 12, 9, 7, tzinfo=UTC))
    assert [(s.start, s.end, s.cause) for s in spans] == [
        (tuesday_evening, datetime(2026, 12, 8, 21, tzinfo=UTC), CoverCause.EVENING),
        (datetime(2026, 12, 8, 21, tzinfo=UTC), datetime(2026, 12, 9, 6, tzinfo=UTC), CoverCause.NIGHT),
        (datetime(2026, 12, 9, 6, tzinfo=UTC), datetime(2026, 12, 9, 7, tzinfo=UTC), CoverCause.MORNING),
    ]
