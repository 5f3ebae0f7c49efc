"""Unit tests for referral.domain.liability.

Expected instants are written out by hand as UTC, with the Stockholm offset of the day in a
comment (CET +01:00 in winter, CEST +02:00 from the last Sunday of March to the last
Sunday of October), so that a mistake in the code's time handling cannot hide in a helper.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from referral_support import STOCKHOLM_2024 as REGION_STOCKHOLM_2024  # the shipped data file's version

from referral.domain.liability import (
    NATIONAL_DEFAULT,
    AgreementTable,
    CareType,
    DayCount,
    LiabilityClock,
    LiabilityRule,
    RegionalAgreement,
    is_working_day,
    liable_days,
    start_clock,
)

STHLM = ZoneInfo("Europe/Stockholm")
CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
SOMATIC = CareType.SOMATIC
PSYCHIATRIC = CareType.PSYCHIATRIC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    """Shorthand for an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def working_agreement(grace_days: int, cutoff: time | None = time(12)) -> RegionalAgreement:
    """Return a test agreement that counts grace in working days (no preset does)."""
    rule = LiabilityRule(grace_days=grace_days, day_zero_cutoff=cutoff, day_count=DayCount.WORKING)
    return replace(
        REGION_STOCKHOLM_2024,
        agreement_id="test-working",
        somatic=rule,
        psychiatric=rule,
    )


def assert_local_midnight(instant: datetime) -> None:
    assert instant.utcoffset() == timedelta(0)
    assert instant.astimezone(STHLM).time() == time(0)


# --- Noon cutoff, and calendar days that ignore weekends (Region Stockholm, somatic: day 0 + 2) --


@pytest.mark.parametrize(
    ("ready", "day_zero", "starts_at"),
    [
        # Monday 2024-01-15 11:59 CET -> day 0 Monday -> liable from Thursday 00:00 CET.
        (datetime(2024, 1, 15, 11, 59, tzinfo=CET), date(2024, 1, 15), utc(2024, 1, 17, 23, 0)),
        # At exactly noon the next day is day 0: liable from Friday 2024-01-19 00:00 CET.
        (datetime(2024, 1, 15, 12, 0, tzinfo=CET), date(2024, 1, 16), utc(2024, 1, 18, 23, 0)),
        (datetime(2024, 1, 15, 12, 1, tzinfo=CET), date(2024, 1, 16), utc(2024, 1, 18, 23, 0)),
        # Friday morning: Saturday and Sunday are the two grace days, liable from Monday 2024-01-22 00:00 CET.
        (datetime(2024, 1, 19, 10, 0, tzinfo=CET), date(2024, 1, 19), utc(2024, 1, 21, 23, 0)),
        # Friday afternoon makes Saturday day 0: liable from Tuesday 2024-01-23 00:00 CET.
        (datetime(2024, 1, 19, 14, 0, tzinfo=CET), date(2024, 1, 20), utc(2024, 1, 22, 23, 0)),
        # A Saturday notice counts like any other day.
        (datetime(2024, 1, 20, 10, 0, tzinfo=CET), date(2024, 1, 20), utc(2024, 1, 22, 23, 0)),
    ],
    ids=[
        "before_noon_that_day",
        "at_exactly_noon_the_next_day",
        "after_noon_the_next_day",
        "friday_morning_starts_on_monday",
        "friday_afternoon_makes_saturday_day_zero",
        "saturday_like_any_day",
    ],
)
def test_the_stockholm_somatic_clock(ready: datetime, day_zero: date, starts_at: datetime) -> None:
    clock = start_clock(ready, SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.day_zero == day_zero
    assert clock.liability_starts_at == starts_at


def test_a_notice_one_microsecond_before_noon_is_still_before_noon() -> None:
    ready = datetime(2024, 1, 15, 11, 59, 59, 999999, tzinfo=CET)
    assert start_clock(ready, SOMATIC, REGION_STOCKHOLM_2024).day_zero == date(2024, 1, 15)


def test_the_cutoff_is_stockholm_wall_clock_time_not_utc() -> None:
    # 10:59Z is 11:59 in winter; 10:00Z is already 12:00 in summer.
    winter = start_clock(utc(2024, 1, 15, 10, 59), SOMATIC, REGION_STOCKHOLM_2024)
    assert winter.day_zero == date(2024, 1, 15)
    summer_before = start_clock(utc(2024, 6, 10, 9, 59), SOMATIC, REGION_STOCKHOLM_2024)
    summer_at = start_clock(utc(2024, 6, 10, 10, 0), SOMATIC, REGION_STOCKHOLM_2024)
    assert summer_before.day_zero == date(2024, 6, 10)
    assert summer_at.day_zero == date(2024, 6, 11)


# --- National default -----------------------------------------------------------------


def test_the_national_default_starts_liability_after_three_calendar_days() -> None:
    # Monday late evening: no cutoff, so Monday is day 0; Tue, Wed, Thu are the grace days.
    clock = start_clock(datetime(2024, 1, 15, 23, 59, tzinfo=CET), SOMATIC, NATIONAL_DEFAULT)
    assert clock.day_zero == date(2024, 1, 15)
    # Friday 2024-01-19 00:00 CET.
    assert clock.liability_starts_at == utc(2024, 1, 18, 23, 0)
    assert clock.agreement_id == "national-default"


def test_the_national_default_treats_psychiatric_care_like_somatic_care() -> None:
    ready = datetime(2024, 1, 19, 16, 0, tzinfo=CET)
    somatic = start_clock(ready, SOMATIC, NATIONAL_DEFAULT)
    psychiatric = start_clock(ready, PSYCHIATRIC, NATIONAL_DEFAULT)
    assert somatic.liability_starts_at == psychiatric.liability_starts_at == utc(2024, 1, 22, 23)


def test_the_national_default_price_is_socialstyrelsen_2022() -> None:
    assert NATIONAL_DEFAULT.daily_price_sek == 9300
    assert "Socialstyrelsen 2022" in NATIONAL_DEFAULT.source


# --- Psychiatric vs somatic -----------------------------------------------------------


def test_psychiatric_care_in_stockholm_has_five_grace_days() -> None:
    ready = datetime(2024, 1, 15, 10, 0, tzinfo=CET)
    somatic = start_clock(ready, SOMATIC, REGION_STOCKHOLM_2024)
    psychiatric = start_clock(ready, PSYCHIATRIC, REGION_STOCKHOLM_2024)
    # Somatic: Thursday 18th; psychiatric: Sunday 21st (day 0 + 5 + 1), both 00:00 CET.
    assert somatic.liability_starts_at == utc(2024, 1, 17, 23, 0)
    assert psychiatric.liability_starts_at == utc(2024, 1, 20, 23, 0)
    assert psychiatric.care_type is PSYCHIATRIC


def test_psychiatric_care_in_stockholm_also_has_the_noon_cutoff() -> None:
    ready = datetime(2024, 1, 15, 13, 0, tzinfo=CET)
    clock = start_clock(ready, PSYCHIATRIC, REGION_STOCKHOLM_2024)
    assert clock.day_zero == date(2024, 1, 16)
    assert clock.liability_starts_at == utc(2024, 1, 21, 23, 0)


def test_rule_for_returns_the_rule_of_the_care_type() -> None:
    assert REGION_STOCKHOLM_2024.rule_for(SOMATIC).grace_days == 2
    assert REGION_STOCKHOLM_2024.rule_for(PSYCHIATRIC).grace_days == 5
    assert REGION_STOCKHOLM_2024.rule_for(SOMATIC).day_zero_cutoff == time(12)


# --- Daylight saving ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready", "starts_at", "starts_offset_hours", "ready_offset_hours"),
    [
        # Friday 2024-03-29 10:00 CET; clocks go forward on Sunday 31 March at 02:00: Monday 1 April
        # 00:00 CEST, not 23:00Z as 72 h of UTC arithmetic would give.
        (datetime(2024, 3, 29, 10, 0, tzinfo=CET), utc(2024, 3, 31, 22, 0), 2, 1),
        # Thursday 28 March -> Sunday 31 March 00:00, two hours before the change.
        (datetime(2024, 3, 28, 10, 0, tzinfo=CET), utc(2024, 3, 30, 23, 0), 1, 1),
        # Friday 2024-10-25 10:00 CEST; clocks go back on Sunday 27 October at 03:00: Monday 28 October 00:00 CET.
        (datetime(2024, 10, 25, 10, 0, tzinfo=CEST), utc(2024, 10, 27, 23, 0), 1, 2),
        # Thursday 24 October -> Sunday 27 October 00:00, three hours before the change.
        (datetime(2024, 10, 24, 10, 0, tzinfo=CEST), utc(2024, 10, 26, 22, 0), 2, 2),
    ],
    ids=[
        "after_spring_forward_is_midnight_at_plus_two",
        "on_the_spring_forward_sunday_is_midnight_at_plus_one",
        "after_fall_back_is_midnight_at_plus_one",
        "on_the_fall_back_sunday_is_midnight_at_plus_two",
    ],
)
def test_liability_starts_at_local_midnight_across_daylight_saving(
    ready: datetime, starts_at: datetime, starts_offset_hours: int, ready_offset_hours: int
) -> None:
    clock = start_clock(ready, SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.liability_starts_at == starts_at
    assert_local_midnight(clock.liability_starts_at)
    assert clock.liability_starts_at.astimezone(STHLM).utcoffset() == timedelta(hours=starts_offset_hours)
    assert clock.ready_at.astimezone(STHLM).utcoffset() == timedelta(hours=ready_offset_hours)


def test_a_notice_in_the_repeated_fall_back_hour_is_handled_by_its_instant() -> None:
    # 00:30Z and 01:30Z on 27 October are both 02:30 local; both are before noon on Sunday.
    first = start_clock(utc(2024, 10, 27, 0, 30), SOMATIC, NATIONAL_DEFAULT)
    second = start_clock(utc(2024, 10, 27, 1, 30), SOMATIC, NATIONAL_DEFAULT)
    assert first.day_zero == second.day_zero == date(2024, 10, 27)
    # Thursday 31 October 00:00 CET.
    assert first.liability_starts_at == second.liability_starts_at == utc(2024, 10, 30, 23, 0)


# --- Input offsets --------------------------------------------------------------------


def test_the_same_instant_in_utc_and_plus_one_gives_the_same_clock() -> None:
    in_utc = start_clock(utc(2024, 1, 15, 10, 30), SOMATIC, REGION_STOCKHOLM_2024)
    in_cet = start_clock(datetime(2024, 1, 15, 11, 30, tzinfo=CET), SOMATIC, REGION_STOCKHOLM_2024)
    in_zone = start_clock(datetime(2024, 1, 15, 11, 30, tzinfo=STHLM), SOMATIC, REGION_STOCKHOLM_2024)
    assert in_utc == in_cet == in_zone


def test_ready_at_is_stored_in_utc() -> None:
    clock = start_clock(datetime(2024, 1, 15, 11, 30, tzinfo=CET), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.ready_at == utc(2024, 1, 15, 10, 30)
    assert clock.ready_at.utcoffset() == timedelta(0)


def test_a_2330_utc_notice_is_already_the_next_local_day() -> None:
    # 23:30Z on Monday 15 January is 00:30 CET on Tuesday: before noon, so Tuesday is day 0.
    clock = start_clock(utc(2024, 1, 15, 23, 30), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.day_zero == date(2024, 1, 16)
    # Friday 19 January 00:00 CET.
    assert clock.liability_starts_at == utc(2024, 1, 18, 23, 0)


def test_a_2230_utc_notice_in_summer_is_already_the_next_local_day() -> None:
    clock = start_clock(utc(2024, 6, 10, 22, 30), SOMATIC, NATIONAL_DEFAULT)
    assert clock.day_zero == date(2024, 6, 11)


def test_a_notice_with_a_far_offset_is_read_in_stockholm_time() -> None:
    # 2024-01-16 08:00 at -08:00 is 17:00 CET on the 16th: after noon, so day 0 is the 17th.
    pacific = timezone(timedelta(hours=-8))
    clock = start_clock(datetime(2024, 1, 16, 8, 0, tzinfo=pacific), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.day_zero == date(2024, 1, 17)


def test_a_naive_ready_at_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start_clock(datetime(2024, 1, 15, 10, 0), SOMATIC, REGION_STOCKHOLM_2024)


def test_an_unknown_care_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a valid CareType"):
        start_clock(utc(2024, 1, 15, 10), "dental", REGION_STOCKHOLM_2024)  # type: ignore[arg-type]


def test_the_clock_records_the_agreement_and_its_version() -> None:
    clock = start_clock(utc(2024, 1, 15, 10), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.agreement_id == REGION_STOCKHOLM_2024.agreement_id
    assert clock.agreement_version == REGION_STOCKHOLM_2024.version


# --- Working days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 3, 28), True),  # Maundy Thursday: only a half day for banks
        (date(2024, 3, 29), False),  # Good Friday
        (date(2024, 4, 1), False),  # Easter Monday
        (date(2024, 4, 2), True),
        (date(2024, 5, 1), False),  # May Day
        (date(2024, 5, 9), False),  # Ascension Day
        (date(2024, 6, 6), False),  # National Day
        (date(2024, 6, 20), True),  # day before Midsummer Eve
        (date(2024, 6, 21), False),  # Midsummer Eve (de facto)
        (date(2025, 6, 20), False),  # Midsummer Eve (de facto)
        (date(2024, 12, 23), True),
        (date(2024, 12, 24), False),  # Christmas Eve (de facto)
        (date(2024, 12, 25), False),  # Christmas Day
        (date(2024, 12, 26), False),  # Boxing Day
        (date(2024, 12, 27), True),
        (date(2024, 12, 31), False),  # New Year's Eve (de facto)
        (date(2025, 1, 1), False),  # New Year's Day
        (date(2025, 1, 2), True),
        (date(2025, 1, 6), False),  # Epiphany
        (date(2024, 1, 20), False),  # Saturday
        (date(2024, 1, 21), False),  # Sunday
        (date(2024, 1, 22), True),  # Monday
    ],
)
def test_working_days_exclude_weekends_public_holidays_and_the_three_eves(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("ready", "grace_days", "day_zero", "starts_at", "starts_on_weekday"),
    [
        # Maundy Thursday 2024-03-28 10:00: day 0. Good Friday, the weekend and Easter Monday
        # do not count; Tue 2 and Wed 3 April are the two grace days: Thursday 4 April 00:00 CEST.
        (datetime(2024, 3, 28, 10, 0, tzinfo=CET), 2, date(2024, 3, 28), utc(2024, 4, 3, 22, 0), 3),
        # Monday 2024-12-23 is day 0; the grace days are Fri 27 Dec, Mon 30 Dec and Thu 2 Jan:
        # Friday 3 January 2025 00:00 CET. Counting the eves as working days would give 31 Dec.
        (datetime(2024, 12, 23, 10, 0, tzinfo=CET), 3, date(2024, 12, 23), utc(2025, 1, 2, 23, 0), 4),
        # Thursday 2024-06-20 is day 0; Midsummer Eve and the weekend are skipped, Monday counts:
        # Tuesday 25 June 00:00 CEST.
        (datetime(2024, 6, 20, 10, 0, tzinfo=CEST), 1, date(2024, 6, 20), utc(2024, 6, 24, 22, 0), 1),
        # Wednesday 17 January: grace Thu 18 and Fri 19, so liability starts the calendar day after
        # the last grace day, Saturday 00:00.
        (datetime(2024, 1, 17, 10, 0, tzinfo=CET), 2, date(2024, 1, 17), utc(2024, 1, 19, 23, 0), 5),
        # Friday afternoon -> day 0 Saturday; grace Mon 22 and Tue 23 -> Wednesday 24 00:00.
        (datetime(2024, 1, 19, 14, 0, tzinfo=CET), 2, date(2024, 1, 20), utc(2024, 1, 23, 23, 0), 2),
        # Zero working grace days start liability the day after day zero: Sunday 21 January 00:00 CET.
        (datetime(2024, 1, 20, 10, 0, tzinfo=CET), 0, date(2024, 1, 20), utc(2024, 1, 20, 23, 0), 6),
    ],
    ids=[
        "easter",
        "christmas_and_new_year_including_the_eves",
        "midsummer_eve",
        "the_calendar_day_after_the_last_grace_day",
        "a_weekend_day_zero_starts_on_monday",
        "zero_grace_days",
    ],
)
def test_working_day_counting(
    ready: datetime, grace_days: int, day_zero: date, starts_at: datetime, starts_on_weekday: int
) -> None:
    clock = start_clock(ready, SOMATIC, working_agreement(grace_days))
    assert clock.day_zero == day_zero
    assert clock.liability_starts_at == starts_at
    assert clock.liability_starts_at.astimezone(STHLM).weekday() == starts_on_weekday


def test_calendar_counting_does_not_skip_holidays() -> None:
    # Stockholm somatic from Monday 23 December: grace 24 and 25, liable from 26 December.
    clock = start_clock(datetime(2024, 12, 23, 10, 0, tzinfo=CET), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.liability_starts_at == utc(2024, 12, 25, 23, 0)


# --- Agreement selection --------------------------------------------------------------


STOCKHOLM_2025 = replace(
    REGION_STOCKHOLM_2024,
    agreement_id="region-stockholm-2025",
    version=2,
    valid_from=date(2025, 1, 1),
    valid_to=date(2025, 12, 31),
    somatic=LiabilityRule(grace_days=3, day_zero_cutoff=time(12)),
)


def test_the_agreement_valid_on_the_date_is_chosen() -> None:
    table = AgreementTable([REGION_STOCKHOLM_2024, STOCKHOLM_2025])
    assert table.find("01", date(2024, 6, 1)) is REGION_STOCKHOLM_2024
    assert table.find("01", date(2025, 6, 1)) is STOCKHOLM_2025


def test_the_highest_valid_version_wins_where_versions_overlap() -> None:
    # The 2024 agreement is open-ended, so in 2025 both apply and version 2 wins; after
    # version 2 expires, version 1 applies again.
    table = AgreementTable([STOCKHOLM_2025, REGION_STOCKHOLM_2024])
    assert table.find("01", date(2025, 1, 1)).version == 2
    assert table.find("01", date(2025, 12, 31)).version == 2
    assert table.find("01", date(2026, 1, 1)).version == 1


def test_valid_to_is_inclusive() -> None:
    ending = replace(REGION_STOCKHOLM_2024, valid_to=date(2024, 12, 31))
    table = AgreementTable([ending])
    assert table.find("01", date(2024, 12, 31)) is ending
    assert table.find("01", date(2025, 1, 1)) is NATIONAL_DEFAULT


def test_the_national_default_applies_before_an_agreement_starts() -> None:
    table = AgreementTable([REGION_STOCKHOLM_2024])
    assert table.find("01", date(2023, 12, 31)) is NATIONAL_DEFAULT


def test_the_national_default_applies_to_a_region_without_an_agreement() -> None:
    table = AgreementTable([REGION_STOCKHOLM_2024])
    assert table.find("12", date(2024, 6, 1)) is NATIONAL_DEFAULT
    assert table.find(None, date(2024, 6, 1)) is NATIONAL_DEFAULT


def test_an_empty_table_always_gives_the_default() -> None:
    assert AgreementTable().find("01", date(2024, 6, 1)) is NATIONAL_DEFAULT


def test_the_default_can_be_replaced_for_a_new_yearly_price() -> None:
    default_2026 = replace(NATIONAL_DEFAULT, version=2, daily_price_sek=10_000, source="test")
    table = AgreementTable([REGION_STOCKHOLM_2024], default=default_2026)
    assert table.find("12", date(2026, 1, 1)).daily_price_sek == 10_000
    assert table.default is default_2026


def test_the_chosen_agreement_decides_the_clock() -> None:
    table = AgreementTable([REGION_STOCKHOLM_2024, STOCKHOLM_2025])
    ready = datetime(2025, 3, 3, 10, 0, tzinfo=CET)
    clock = start_clock(ready, SOMATIC, table.find("01", ready.astimezone(STHLM).date()))
    assert clock.agreement_version == 2
    # Monday 3 March, grace 3 -> Friday 7 March 00:00 CET.
    assert clock.liability_starts_at == utc(2025, 3, 6, 23, 0)


def test_overlapping_agreements_with_the_same_region_and_version_are_rejected() -> None:
    duplicate = replace(REGION_STOCKHOLM_2024, agreement_id="other", valid_from=date(2024, 6, 1))
    with pytest.raises(ValueError, match="overlapping"):
        AgreementTable([REGION_STOCKHOLM_2024, duplicate])


def test_same_version_agreements_that_do_not_overlap_are_accepted() -> None:
    first = replace(REGION_STOCKHOLM_2024, valid_to=date(2024, 12, 31))
    second = replace(REGION_STOCKHOLM_2024, agreement_id="next", valid_from=date(2025, 1, 1))
    table = AgreementTable([first, second])
    assert table.find("01", date(2025, 1, 1)) is second


def test_the_same_version_in_different_regions_is_accepted() -> None:
    uppsala = replace(REGION_STOCKHOLM_2024, agreement_id="uppsala", region_code="03")
    table = AgreementTable([REGION_STOCKHOLM_2024, uppsala])
    assert table.find("03", date(2024, 6, 1)) is uppsala


def test_the_same_agreement_id_and_version_twice_is_rejected() -> None:
    moved = replace(REGION_STOCKHOLM_2024, region_code="03")
    with pytest.raises(ValueError, match="appears twice"):
        AgreementTable([REGION_STOCKHOLM_2024, moved])


# --- Validation -----------------------------------------------------------------------


@pytest.mark.parametrize("grace_days", [-1, 367])
def test_a_grace_period_out_of_range_is_rejected(grace_days: int) -> None:
    with pytest.raises(ValueError, match="grace_days"):
        LiabilityRule(grace_days=grace_days, day_zero_cutoff=None)


def test_a_boolean_grace_period_is_rejected() -> None:
    with pytest.raises(ValueError, match="grace_days"):
        LiabilityRule(grace_days=True, day_zero_cutoff=None)


def test_a_cutoff_with_a_timezone_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        LiabilityRule(grace_days=2, day_zero_cutoff=time(12, tzinfo=UTC))


def test_an_agreement_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="valid_to"):
        replace(REGION_STOCKHOLM_2024, valid_to=date(2023, 12, 31))


def test_an_agreement_version_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="version"):
        replace(REGION_STOCKHOLM_2024, version=0)


def test_an_agreement_without_a_positive_daily_price_is_rejected() -> None:
    with pytest.raises(ValueError, match="daily_price_sek"):
        replace(REGION_STOCKHOLM_2024, daily_price_sek=0)


def test_a_clock_must_start_liability_after_the_notice() -> None:
    with pytest.raises(ValueError, match="after ready_at"):
        LiabilityClock(
            ready_at=utc(2024, 1, 15, 10),
            care_type=SOMATIC,
            agreement_id="x",
            agreement_version=1,
            day_zero=date(2024, 1, 15),
            liability_starts_at=utc(2024, 1, 15, 10),
        )


# --- liable_days ----------------------------------------------------------------------


def stockholm_clock() -> LiabilityClock:
    """Notice Monday 2024-01-15 10:00 CET; liable from Thursday 18 January 00:00 CET."""
    clock = start_clock(datetime(2024, 1, 15, 10, 0, tzinfo=CET), SOMATIC, REGION_STOCKHOLM_2024)
    assert clock.liability_starts_at == utc(2024, 1, 17, 23, 0)
    return clock


def test_a_discharge_before_liability_starts_costs_nothing() -> None:
    assert liable_days(stockholm_clock(), utc(2024, 1, 17, 12, 0)) == 0


def test_a_discharge_at_the_exact_start_costs_nothing() -> None:
    assert liable_days(stockholm_clock(), utc(2024, 1, 17, 23, 0)) == 0


def test_a_discharge_just_after_the_start_costs_one_day() -> None:
    assert liable_days(stockholm_clock(), utc(2024, 1, 17, 23, 0, 0, 1)) == 1


def test_a_discharge_during_the_first_liable_day_costs_one_day() -> None:
    assert liable_days(stockholm_clock(), datetime(2024, 1, 18, 15, 0, tzinfo=CET)) == 1


def test_a_discharge_at_the_next_local_midnight_costs_one_day() -> None:
    assert liable_days(stockholm_clock(), utc(2024, 1, 18, 23, 0)) == 1


def test_a_discharge_just_after_the_next_local_midnight_costs_two_days() -> None:
    # 23:30Z on the 18th is 00:30 CET on the 19th, a second local day.
    assert liable_days(stockholm_clock(), utc(2024, 1, 18, 23, 30)) == 2


def test_a_discharge_on_the_third_liable_day_costs_three_days() -> None:
    assert liable_days(stockholm_clock(), datetime(2024, 1, 20, 9, 0, tzinfo=CET)) == 3


def test_the_23_hour_spring_forward_day_counts_as_one_day() -> None:
    # Liable from Sunday 31 March 00:00 CET; discharge at Monday 1 April 00:00 CEST.
    clock = start_clock(datetime(2024, 3, 28, 10, 0, tzinfo=CET), SOMATIC, REGION_STOCKHOLM_2024)
    assert liable_days(clock, utc(2024, 3, 31, 22, 0)) == 1
    assert liable_days(clock, utc(2024, 3, 31, 22, 1)) == 2


def test_the_25_hour_fall_back_day_counts_as_one_day() -> None:
    # Liable from Sunday 27 October 00:00 CEST; discharge at Monday 28 October 00:00 CET.
    clock = start_clock(datetime(2024, 10, 24, 10, 0, tzinfo=CEST), SOMATIC, REGION_STOCKHOLM_2024)
    assert liable_days(clock, utc(2024, 10, 27, 23, 0)) == 1
    assert liable_days(clock, utc(2024, 10, 27, 22, 59)) == 1


def test_a_naive_end_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        liable_days(stockholm_clock(), datetime(2024, 1, 20, 9, 0))


# --- Properties -----------------------------------------------------------------------

_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_zones = st.one_of(_offsets, st.just(STHLM), st.just(UTC))
_instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=_zones)
_rules = st.builds(
    LiabilityRule,
    grace_days=st.integers(min_value=0, max_value=30),
    day_zero_cutoff=st.none() | st.times(),
    day_count=st.sampled_from(DayCount),
)


@given(ready_at=_instants, rule=_rules, care_type=st.sampled_from(CareType))
def test_liability_always_starts_at_a_local_midnight_after_the_notice(
    ready_at: datetime, rule: LiabilityRule, care_type: CareType
) -> None:
    agreement = replace(NATIONAL_DEFAULT, somatic=rule, psychiatric=rule)
    clock = start_clock(ready_at, care_type, agreement)
    assert_local_midnight(clock.liability_starts_at)
    assert clock.liability_starts_at > ready_at
    assert clock.liability_starts_at.astimezone(STHLM).date() > clock.day_zero
    assert clock.day_zero >= ready_at.astimezone(STHLM).date()
    # The same instant written with any other offset gives the same clock.
    assert start_clock(ready_at.astimezone(UTC), care_type, agreement) == clock
