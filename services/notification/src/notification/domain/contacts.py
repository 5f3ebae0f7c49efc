"""Who relatives call: a team's phone number and working hours, written out in the relative's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
Language = words.Language


WEEKDAY_NAMES: dict[Language, tuple[str, ...]] = {
    Language.SV: ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
    Language.FI: ("ma", "ti", "ke", "to", "pe", "la", "su"),
    Language.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

_EVERY_DAY = {Language.SV: "alla dagar", Language.FI: "joka päivä", Language.EN: "every day"}


@dataclass(frozen=True)
class DayHours:
    """The team's working hours on one weekday (0 = Monday), local time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class TeamContact:
    """What every message to a relative carries: whom to call and when they answer."""

    team_id: str
    name: str
    phone: str
    hours: tuple[DayHours, ...]
    hemtjanst_phone: str | None = None  # the hemtjänst unit the team hands over to, when configured

    def hours_text(self, language: Language) -> str:
        """E.g. `mån-fre 07:00-17:00`, `ma-pe 07:00-17:00`, `every day 07:00-15:30` (GSM-7 safe)."""
        by_day = {h.weekday: (h.start, h.end) for h in self.hours}
        if not by_day:
            return ""
        runs: list[tuple[int, int, tuple[time, time]]] = []
        for day in range(7):
            hours = by_day.get(day)
            if hours is None:
                continue
            if runs and runs[-1][1] == day - 1 and runs[-1][2] == hours:
                runs[-1] = (runs[-1][0], day, hours)
            else:
                runs.append((day, day, hours))
        names = WEEKDAY_NAMES[language]
        parts = []
        for first, last, (start, end) in runs:
            span = f"{start:%H:%M}-{end:%H:%M}"
            if first == 0 and last == 6:
                days = _EVERY_DAY[language]
            elif first == last:
                days = names[first]
            else:
                days = f"{names[first]}-{names[last]}"
            parts.append(f"{days} {span}")
        return ", ".join(parts)
