"""Hemtjänst's cover order as the console shows and exports it: each window with why, the team's hours.

Built from scheduling's `hemtjanst_cover_ordered` (the windows, each with its cause, and the team's
hours they were cut from) and `handed_over_to_hemtjanst` (the coded handover summary). Labels are
English source text; the pages show them translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from console.domain.facts import CoverWindow, HemtjanstCoverOrdered, TeamHours
from console.domain.text import N_
from console.domain.visits import STOCKHOLM

# Why hemtjänst covers a window (scheduling's `cause`).
CAUSES = {
    "morning": N_("Morning, before the team starts"),
    "evening": N_("Evening, after the team's hours"),
    "night": N_("Night (22:00–07:00)"),
    "weekend": N_("Weekend: the team does not work"),
    "day_off": N_("A weekday the team does not work"),
    "holiday": N_("Public holiday"),
}
# Orders recorded before windows carried their cause say only this much.
REASONS = {
    "outside_team_hours": N_("Outside the team's hours"),
    "team_day_off": N_("The team's day off"),
    "public_holiday": N_("Public holiday: the team does not work"),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_SHORT = {
    "monday": N_("Mon"),
    "tuesday": N_("Tue"),
    "wednesday": N_("Wed"),
    "thursday": N_("Thu"),
    "friday": N_("Fri"),
    "saturday": N_("Sat"),
    "sunday": N_("Sun"),
}


@dataclass(frozen=True)
class CoverRow:
    """One window of the order as a row: from, to, hours, why (and the holiday's name)."""

    start: datetime
    end: datetime
    cause: str  # the cause, else (older orders) the coarse reason
    why: str  # English source text of the cause
    holiday: str | None

    @property
    def hours(self) -> float:
        return round((self.end - self.start).total_seconds() / 3600, 2)


def why(window: CoverWindow) -> str:
    if window.cause is not None:
        return CAUSES.get(window.cause, window.cause.replace("_", " "))
    return REASONS.get(window.reason, window.reason.replace("_", " "))


# One word per cause, for a short summary (the case's timeline).
CAUSE_WORDS = {
    "morning": N_("mornings"),
    "evening": N_("evenings"),
    "night": N_("nights"),
    "weekend": N_("weekends"),
    "day_off": N_("the team's days off"),
    "holiday": N_("public holidays"),
}


def cover_rows(order: HemtjanstCoverOrdered) -> list[CoverRow]:
    """The order's windows in time order."""
    return [
        CoverRow(w.start, w.end, w.cause or w.reason, why(w), w.holiday)
        for w in sorted(order.cover_windows, key=lambda w: w.start)
    ]


@dataclass(frozen=True)
class HoursSpan:
    """Consecutive weekdays with the same hours: Mon–Fri 08:00–16:30."""

    first: str  # weekday
    last: str
    start: time
    end: time


def team_hours(hours: Sequence[TeamHours]) -> list[HoursSpan]:
    """The team's week, consecutive weekdays with the same hours together."""
    spans: list[HoursSpan] = []
    for h in sorted(hours, key=lambda h: WEEKDAYS.index(h.weekday)):
        last = spans[-1] if spans else None
        follows = last is not None and WEEKDAYS.index(h.weekday) == WEEKDAYS.index(last.last) + 1
        if last is not None and follows and (last.start, last.end) == (h.start, h.end):
            spans[-1] = HoursSpan(last.first, h.weekday, h.start, h.end)
        else:
            spans.append(HoursSpan(h.weekday, h.weekday, h.start, h.end))
    return spans


CSV_HEADER = ("case_id", "person", "team", "from", "to", "hours", "cause", "why", "holiday")


def csv_rows(
    case_id: str,
    person: str | None,
    team: str | None,
    rows: Sequence[CoverRow],
    translate: Callable[[str], str] = str,
) -> list[tuple[object, ...]]:
    """One line per window (local ISO times); `translate` (a gettext) gives `why` in the reader's language."""
    return [
        (case_id, person, team, _iso(r.start), _iso(r.end), r.hours, r.cause, translate(r.why), r.holiday) for r in rows
    ]


def _iso(moment: datetime) -> str:
    return moment.astimezone(STOCKHOLM).isoformat(timespec="minutes")


# The handover summary's coded values.
AREAS = {"food": N_("Food"), "medicines": N_("Medicines"), "personal_care": N_("Personal care")}
SUPPORT = {
    "independent": N_("Manages on their own"),
    "some_help": N_("Needs some help"),
    "full_help": N_("Needs full help"),
    "not_assessed": N_("Not assessed"),
}
TREND = {"falling": N_("falling"), "stable": N_("stable"), "rising": N_("rising"), "unknown": N_("trend not known")}
