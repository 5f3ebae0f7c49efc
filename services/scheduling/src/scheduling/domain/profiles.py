"""Municipality profiles from the seeds (DOMAIN.md), and the local default teams built from them.

Profiles are starting points: every value is team data that `ops` can change through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from scheduling.domain.calendar import DayHours
from scheduling.domain.team import Member, PlanningRules, TeamConfig
from trygg_shared.carry import carry

WEEKDAYS = range(5)
EVERY_DAY = range(7)


@dataclass(frozen=True)
class Profile:
    name: str
    municipality_code: str
    hours: dict[int, DayHours]
    works_on_holidays: bool
    clients_per_day: int
    new_clients_per_month: int
    max_period_days: int
    team_size: int


def _hours(days: range, start: time, end: time) -> dict[int, DayHours]:
    return {d: DayHours(start, end) for d in days}


PROFILES: dict[str, Profile] = {
    # Hofors 2024: 07:00-15:30 every day, up to 14 days.
    "hofors": Profile("hofors", "2104", _hours(EVERY_DAY, time(7), time(15, 30)), True, 4, 12, 14, 5),
    # Huddinge 2019-23: Mon-Fri 07-16, at most two weeks, team of 6, ~4 clients a month used.
    "huddinge": Profile("huddinge", "0126", _hours(WEEKDAYS, time(7), time(16)), False, 5, 8, 14, 6),
    # Järfälla 2018: Mon-Fri 07-17, holidays too, 4-5 clients a day, 20-25 a month, 5 days, team of 5.
    "jarfalla": Profile("jarfalla", "0123", _hours(WEEKDAYS, time(7), time(17)), True, 5, 25, 5, 5),
    # Stockholm city: weekdays daytime, usually two weeks, 2-7 per team.
    "stockholm": Profile("stockholm", "0180", _hours(WEEKDAYS, time(8), time(16, 30)), False, 6, 20, 14, 7),
}


def team_config(profile_name: str, name: str, phone: str, *, members: int | None = None) -> TeamConfig:
    """A team following one profile, with generated member ids (`<profile>-us<n>`)."""
    p = PROFILES[profile_name]
    size = members or p.team_size
    return carry(
        TeamConfig,
        p,
        name=name,
        phone=phone,
        municipality_profile=p.name,
        hours=dict(p.hours),
        members=tuple(
            Member(staff_id=f"{p.name}-us{i}", display_name=f"Undersköterska {i}") for i in range(1, size + 1)
        ),
        rules=PlanningRules(),
    )


def default_teams() -> dict[str, TeamConfig]:
    """The teams a local deployment starts with (team id -> configuration; phone numbers from the
    range PTS reserves for fiction, 070-174 06 05..99)."""
    return {
        "hofors": team_config("hofors", "Trygg hemgång Hofors", "+46701740605"),
        "huddinge": team_config("huddinge", "Trygg hemgång Huddinge", "+46701740606"),
        "jarfalla": team_config("jarfalla", "Tryggt mottagande Järfälla", "+46701740607"),
        "team-vast": team_config("stockholm", "Team Väst", "+46701740608"),
    }
