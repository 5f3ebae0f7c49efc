"""Staffing with continuity: who makes each visit, and when within the day.

Rules, in order of priority:
1. a member only works within the team's day, their own hours, when not absent, and up to
   their daily visit limit; two visits of one member never overlap, with travel time between;
2. continuity: the client's contact person first, then members the client has already met
   (most visits first), so a client meets as few different people as possible;
3. balance: among members new to the client, the one with the fewest visits that day, then the
   least load over the horizon; contact persons go to members with the most free days and the
   fewest contact clients.
A visit may move within its flexibility (in 15-minute steps around the preferred time) to fit
the chosen member before the next member is tried; a visit nobody can make stays unstaffed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from scheduling.domain.team import Team

STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Place:
    """Where a visit happens: the client's case, with coordinates when known (lat, lon)."""

    key: str
    coordinates: tuple[float, float] | None = None


class TravelTime(Protocol):
    """Minutes to travel between two places (pluggable: constant, straight-line, a routing service)."""

    def minutes(self, origin: Place, destination: Place) -> int: ...


@dataclass(frozen=True)
class ConstantTravel:
    """The same travel time between any two different places (the team's default)."""

    per_trip: int = 15

    def minutes(self, origin: Place, destination: Place) -> int:
        return 0 if origin.key == destination.key else self.per_trip


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime
    place: Place
    visit_id: str


@dataclass
class Roster:
    """Who is busy when: the visits already staffed (all clients of the team)."""

    busy: dict[tuple[str, date], list[Busy]] = field(default_factory=dict)
    load_minutes: Counter[str] = field(default_factory=Counter)
    contacts: Counter[str] = field(default_factory=Counter)

    def copy(self) -> Roster:
        return Roster({k: list(v) for k, v in self.busy.items()}, Counter(self.load_minutes), Counter(self.contacts))

    def add(self, staff_id: str, day: date, busy: Busy) -> None:
        self.busy.setdefault((staff_id, day), []).append(busy)
        self.load_minutes[staff_id] += int((busy.end - busy.start).total_seconds() // 60)

    def remove(self, visit_id: str) -> None:
        for (staff_id, _day), items in self.busy.items():
            for item in [b for b in items if b.visit_id == visit_id]:
                items.remove(item)
                self.load_minutes[staff_id] -= int((item.end - item.start).total_seconds() // 60)

    def on(self, staff_id: str, day: date) -> list[Busy]:
        return self.busy.get((staff_id, day), [])

    def visits_on(self, staff_id: str, day: date) -> int:
        return len(self.on(staff_id, day))

    def free(self, staff_id: str, day: date, start: datetime, end: datetime, place: Place, travel: TravelTime) -> bool:
        for b in self.on(staff_id, day):
            before = end + timedelta(minutes=travel.minutes(place, b.place)) <= b.start
            after = start >= b.end + timedelta(minutes=travel.minutes(b.place, place))
            if not (before or after):
                return False
        return True


@dataclass(frozen=True)
class VisitRequest:
    visit_id: str
    day: date
    preferred_start: datetime
    duration: timedelta
    flex: timedelta  # how far the start may move from the preferred one
    place: Place
    not_before: datetime | None = None  # never earlier (a visit planned today starts ahead of now)


def _starts(request: VisitRequest, earliest: datetime, latest_start: datetime) -> Iterable[datetime]:
    """Candidate starts: the preferred one (moved into the window), then alternately later and earlier."""
    preferred = min(max(request.preferred_start, earliest), latest_start)
    yield preferred
    steps = int(request.flex / STEP)
    for i in range(1, steps + 1):
        for candidate in (preferred + STEP * i, preferred - STEP * i):
            if earliest <= candidate <= latest_start:
                yield candidate


def find_start(team: Team, roster: Roster, staff_id: str, request: VisitRequest, travel: TravelTime) -> datetime | None:
    """The start nearest the preferred one at which `staff_id` can make the visit, or None."""
    member = team.member(staff_id)
    if member is None:
        return None
    window = team.member_window(member, request.day)
    if window is None or roster.visits_on(staff_id, request.day) >= member.daily_visit_limit:
        return None
    earliest, latest_start = window[0], window[1] - request.duration
    if request.not_before is not None:
        earliest = max(earliest, request.not_before)
    if latest_start < earliest:
        return None
    for start in _starts(request, earliest, latest_start):
        if roster.free(staff_id, request.day, start, start + request.duration, request.place, travel):
            return start
    return None


def candidate_order(
    team: Team, roster: Roster, day: date, contact: str | None, met: Counter[str], exclude: Sequence[str] = ()
) -> list[str]:
    """Contact person, then members the client has met (most first), then the least loaded others."""
    order: list[str] = []
    if contact:
        order.append(contact)
    order += [s for s, _ in sorted(met.items(), key=lambda kv: (-kv[1], roster.load_minutes[kv[0]], kv[0]))]
    others = sorted(
        (m.staff_id for m in team.active_members()),
        key=lambda s: (roster.visits_on(s, day), roster.load_minutes[s], s),
    )
    seen: set[str] = set(exclude)
    out: list[str] = []
    for staff_id in [*order, *others]:
        if staff_id not in seen and team.member(staff_id) is not None:
            seen.add(staff_id)
            out.append(staff_id)
    return out


def assign(
    team: Team, roster: Roster, request: VisitRequest, order: Sequence[str], travel: TravelTime
) -> tuple[str | None, datetime]:
    """The first member in `order` who can make the visit, and when; booked into `roster`.

    Nobody: (None, the preferred start moved into the team's day), not booked.
    """
    for staff_id in order:
        start = find_start(team, roster, staff_id, request, travel)
        if start is not None:
            roster.add(staff_id, request.day, Busy(start, start + request.duration, request.place, request.visit_id))
            return staff_id, start
    window = team.calendar.window(request.day)
    start = request.preferred_start
    if window is not None:
        start = min(max(start, window.start), max(window.start, window.end - request.duration))
    if request.not_before is not None:
        start = max(start, request.not_before)
    return None, start


def choose_contact_person(team: Team, roster: Roster, team_days: Sequence[date]) -> str | None:
    """The member free on most of the period's days, with the fewest contact clients and least load."""
    best: tuple[int, int, int, str] | None = None
    for member in team.active_members():
        free_days = sum(
            1
            for d in team_days
            if team.member_window(member, d) is not None
            and roster.visits_on(member.staff_id, d) < member.daily_visit_limit
        )
        if free_days == 0:
            continue
        score = (-free_days, roster.contacts[member.staff_id], roster.load_minutes[member.staff_id], member.staff_id)
        if best is None or score < best:
            best = score
    return best[3] if best else None
