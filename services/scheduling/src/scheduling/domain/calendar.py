"""The team's working calendar: hours per weekday, Swedish public holidays, and the time it does not cover.

Dates are the team's local dates; instants are timezone-aware and normalised to UTC.
Holidays are Sweden's public holidays plus the de facto ones municipal teams keep
(midsummer, Christmas and New Year's eve), from the `holidays` package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from trygg_shared.vocabulary import scheduling as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
CoverReason = words.CoverReason
CoverCause = words.CoverCause

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# Hemtjänst's night (the night patrol's hours): local time.
NIGHT_STARTS, NIGHT_ENDS = time(22), time(7)

REASON_OF: Mapping[CoverCause, CoverReason] = {
    CoverCause.MORNING: CoverReason.OUTSIDE_TEAM_HOURS,
    CoverCause.EVENING: CoverReason.OUTSIDE_TEAM_HOURS,
    CoverCause.NIGHT: CoverReason.OUTSIDE_TEAM_HOURS,
    CoverCause.WEEKEND: CoverReason.TEAM_DAY_OFF,
    CoverCause.DAY_OFF: CoverReason.TEAM_DAY_OFF,
    CoverCause.HOLIDAY: CoverReason.PUBLIC_HOLIDAY,
}


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
    cause: CoverCause
    holiday: str | None = None  # the holiday's Swedish name (cause holiday)

    @property
    def reason(self) -> CoverReason:
        return REASON_OF[self.cause]


@lru_cache(maxsize=64)
def swedish_holidays(year: int) -> Mapping[date, str]:
    """Sweden's public and de facto holidays of a year with their Swedish names (e.g. Midsommarafton)."""
    found = holidays.country_holidays(
        "SE", years=year, include_sundays=False, categories=("public", "de_facto"), language="sv"
    )
    return dict(found.items())


def is_swedish_holiday(day: date) -> bool:
    return day in swedish_holidays(day.year)


def holiday_name(day: date) -> str | None:
    return swedish_holidays(day.year).get(day)


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
        """Time between `start_at` and `end_at` the team does not cover, each stretch with its cause;
        adjacent stretches of the same cause (and holiday) merged."""
        spans: list[CoverSpan] = []
        for day in days(self.local_date(start_at), self.local_date(end_at)):
            for piece in self._uncovered(day):
                start, end = max(piece.start, start_at), min(piece.end, end_at)
                if start >= end:
                    continue
                last = spans[-1] if spans else None
                if last and last.end == start and (last.cause, last.holiday) == (piece.cause, piece.holiday):
                    spans[-1] = CoverSpan(last.start, end, piece.cause, piece.holiday)
                else:
                    spans.append(CoverSpan(start, end, piece.cause, piece.holiday))
        return spans

    def _uncovered(self, day: date) -> list[CoverSpan]:
        """The stretches of one local day the team does not cover: the whole day on a day off, else the
        morning, evening and night around the team's hours."""
        day_start, day_end = self.midnight(day), self.midnight(day + timedelta(days=1))
        reason = self.day_off_reason(day)
        if reason is CoverReason.PUBLIC_HOLIDAY:
            return [CoverSpan(day_start, day_end, CoverCause.HOLIDAY, holiday_name(day))]
        if reason is not None:
            return [CoverSpan(day_start, day_end, CoverCause.WEEKEND if day.weekday() >= 5 else CoverCause.DAY_OFF)]
        hours = self.hours[day.weekday()]
        cuts = sorted({time(0), NIGHT_ENDS, NIGHT_STARTS, hours.start, hours.end})
        ends = [*cuts[1:], None]  # None: midnight after the day
        pieces: list[CoverSpan] = []
        for a, b in zip(cuts, ends, strict=True):
            if hours.start <= a and b is not None and b <= hours.end:
                continue  # the team's own hours
            if a >= NIGHT_STARTS or (b is not None and b <= NIGHT_ENDS):
                cause = CoverCause.NIGHT
            else:
                cause = CoverCause.MORNING if b is not None and b <= hours.start else CoverCause.EVENING
            pieces.append(CoverSpan(self.at(day, a), self.at(day, b) if b is not None else day_end, cause))
        return pieces
