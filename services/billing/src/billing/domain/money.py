"""Money and calendar months.

Money is kept in öre as integers (1 kr = 100 öre). **The one rounding rule:** an amount that is
derived from a rate or a fraction (the maxtaxa from the prisbasbelopp, a day fee as a fraction
of the maxtaxa, an hourly fee for visit minutes) is rounded once, where it is derived, half up
to whole kronor, as municipalities publish their fees (2024: 1/14 of 2 575 kr = 183.93 → 184 kr).
Everything after that (days × day fee, sums, caps, corrections) is exact integer arithmetic on
öre and never rounds again.

Days are local days in Europe/Stockholm; a month is a calendar month of such days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ORE_PER_KRONA = 100

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def round_to_krona(amount_ore: Fraction | int) -> int:
    """`amount_ore` rounded half up to whole kronor, in öre (the one rounding rule)."""
    kronor = Fraction(amount_ore) / ORE_PER_KRONA
    whole = int(kronor)  # towards zero; amounts here are never negative when derived
    if kronor - whole >= Fraction(1, 2):
        whole += 1
    return whole * ORE_PER_KRONA


def kronor(amount: int) -> int:
    """Whole kronor in öre."""
    return amount * ORE_PER_KRONA


def local_date(moment: datetime) -> date:
    """The Stockholm calendar day of an aware instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry a time zone")
    return moment.astimezone(STOCKHOLM).date()


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, written `YYYY-MM`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _MONTH.match(text)
        if found is None:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Month:
        return Month(self.year + (self.month == 12), 1 if self.month == 12 else self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def contains(self, day: date) -> bool:
        return day.year == self.year and day.month == self.month

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included (empty when last < first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def months_between(first: date, last: date) -> list[Month]:
    """Every month touched by the days from `first` to `last`."""
    if last < first:
        return []
    out = [Month.of(first)]
    while out[-1] < Month.of(last):
        out.append(out[-1].next())
    return out
