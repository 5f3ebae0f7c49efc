"""The team's working calendar: hours per weekday, Swedish public holidays, and the time it does not cover.

Dates are the team's local dates; instants are timezone-aware and normalised to UTC.
Holidays are Sweden's public holidays plus the de facto ones municipal teams keep
(midsummer, Christmas and New Year's eve), from the `holidays` package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CoverReason(StrEnum):
    OUTSIDE_TEAM_HOURS = "outside_team_hours"
    TEAM_DAY_OFF = "team_day_off"
    PUBLIC_HOLIDAY = "public_holiday"


@dataclass(frozen=True)
class DayHours:
    """Working hours of one weekday, local time, `end` exclusive."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("a working day must start before it ends")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class CoverSpan:
    """A stretch of time the team does not cover: hemtjänst's."""

    start: datetime
    end: datetime
    reason: CoverReason


@lru_cache(maxsize=64)
def swedish_holidays(year: int) -> frozenset[date]:
    found = holidays.country_holidays("SE", years=year, include_sundays=False, categories=("public", "de_facto"))
    return frozenset(found.keys())


def is_swedish_holiday(day: date) -> bool:
    return day in swedish_holidays(day.year)


def days(first: date, last: date) -> Iterator[date]:
    """Every date from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """When a team works: hours per weekday (0 = Monday; missing = day off) and holidays."""

    hours: Mapping[int, DayHours]
    works_on_holidays: bool
    timezone: str = "Europe/Stockholm"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def at(self, day: date, moment: time) -> datetime:
        """A local date and time as a UTC instant."""
        return datetime.combine(day, moment, tzinfo=self._tz).astimezone(UTC)

    def midnight(self, day: date) -> datetime:
        return self.at(day, time(0, 0))

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self._tz).date()

    def local_time(self, instant: datetime) -> time:
        return instant.astimezone(self._tz).time()

    def day_off_reason(self, day: date) -> CoverReason | None:
        """Why the team does not work on `day` at all (None: it works)."""
        if is_swedish_holiday(day) and not self.works_on_holidays:
            return CoverReason.PUBLIC_HOLIDAY
        if day.weekday() not in self.hours:
            return CoverReason.TEAM_DAY_OFF
        return None

    def works(self, day: date) -> bool:
        return self.day_off_reason(day) is None

    def window(self, day: date) -> Window | None:
        if not self.works(day):
            return None
        hours = self.hours[day.weekday()]
        return Window(self.at(day, hours.start), self.at(day, hours.end))

    def team_days(self, first: date, last: date) -> list[date]:
        return [d for d in days(first, last) if self.works(d)]

    def next_team_day(self, day: date, *, limit: int = 30) -> date | None:
        for offset in range(limit):
            candidate = day + timedelta(days=offset)
            if self.works(candidate):
                return candidate
        return None

    def previous_team_day(self, day: date, *, not_before: date) -> date | None:
        candidate = day
        while candidate >= not_before:
            if self.works(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return None

    def cover_spans(self, start_at: datetime, end_at: datetime) -> list[CoverSpan]:
        """Time between `start_at` and `end_at` the team does not cover, adjacent spans merged."""
        spans: list[CoverSpan] = []
        for day in days(self.local_date(start_at), self.local_date(end_at)):
            day_start, day_end = self.midnight(day), self.midnight(day + timedelta(days=1))
            reason = self.day_off_reason(day)
            if reason is not None:
                pieces = [(day_start, day_end, reason)]
            else:
                window = self.window(day)
                assert window is not None
                pieces = [
                    (day_start, window.start, CoverReason.OUTSIDE_TEAM_HOURS),
                    (window.end, day_end, CoverReason.OUTSIDE_TEAM_HOURS),
                ]
            for piece_start, piece_end, why in pieces:
                start, end = max(piece_start, start_at), min(piece_end, end_at)
                if start >= end:
                    continue
                if spans and spans[-1].end == start and spans[-1].reason == why:
                    spans[-1] = CoverSpan(spans[-1].start, end, why)
                else:
                    spans.append(CoverSpan(start, end, why))
        return spans
