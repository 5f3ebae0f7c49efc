"""A Trygg hemgång team as data: members, hours, capacity, planning rules, and its waiting list.

The team aggregate owns the capacity invariant: how many clients it visits per day and how many
new clients it starts per month. A case that does not fit waits in a FIFO list; when a period
ends, the oldest waiting case that fits is admitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from scheduling.domain import events as ev
from scheduling.domain.calendar import Calendar, DayHours, days
from scheduling.domain.checklist import ChecklistTemplate
from trygg_shared.carry import carry


class TeamError(Exception):
    """A team rule was broken (a conflict with the team's state)."""


class AbsenceKind(StrEnum):
    SICK = "sick"
    LEAVE = "leave"
    OTHER = "other"


@dataclass(frozen=True)
class Absence:
    first_day: date
    last_day: date
    kind: AbsenceKind

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Member:
    staff_id: str
    display_name: str | None = None
    hours: Mapping[int, DayHours] | None = None  # None: the team's hours
    daily_visit_limit: int = 6
    active: bool = True
    absences: tuple[Absence, ...] = ()

    def absent(self, day: date) -> bool:
        return any(a.covers(day) for a in self.absences)


@dataclass(frozen=True)
class PlanningRules:
    """How a period is planned (per team; defaults follow the seeds)."""

    hospital_visit: bool = True
    hospital_visit_minutes: int = 45
    homecoming_minutes: int = 90
    arrival_after_discharge_minutes: int = 60
    default_arrival: time = time(13, 0)  # when the discharge time is not known
    daily_visit_minutes: int = 45
    daily_visit_time: time = time(9, 30)
    follow_up_meeting_day: int = 5  # day of the period (1 = first day)
    follow_up_meeting_minutes: int = 60
    handover_days_before_end: int = 1
    handover_minutes: int = 60
    follow_up_call_days_after: int = 14
    follow_up_call_minutes: int = 20
    travel_minutes: int = 15  # the constant travel time between two visits
    missed_visit_grace_minutes: int = 30
    follow_up_notice_hours: int = 24


@dataclass(frozen=True)
class TeamConfig:
    """Everything an `ops` user configures about a team."""

    name: str
    phone: str
    municipality_profile: str
    hours: Mapping[int, DayHours]
    works_on_holidays: bool
    clients_per_day: int
    new_clients_per_month: int
    max_period_days: int
    members: tuple[Member, ...]
    municipality_code: str | None = None
    timezone: str = "Europe/Stockholm"
    hemtjanst_phone: str | None = None  # the hemtjänst unit the team hands over to
    rules: PlanningRules = field(default_factory=PlanningRules)
    checklist: ChecklistTemplate = field(default_factory=ChecklistTemplate)  # copied into each new case's plan


@dataclass(frozen=True)
class Booking:
    case_id: str
    person_ref: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class WaitingEntry:
    case_id: str
    person_ref: str
    since: datetime
    first_day: date
    last_day: date


class CapacityVerdict(StrEnum):
    ADMITTED = "admitted"
    WAITING = "waiting"


@dataclass
class Team:
    team_id: str
    config: TeamConfig
    version: int = 1
    bookings: dict[str, Booking] = field(default_factory=dict)
    month_starts: dict[str, list[str]] = field(default_factory=dict)  # "YYYY-MM" -> case ids started
    waiting: list[WaitingEntry] = field(default_factory=list)
    configured_at: datetime | None = None

    # --- configuration ------------------------------------------------------------------------

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.config.hours, self.config.works_on_holidays, self.config.timezone)

    @property
    def rules(self) -> PlanningRules:
        return self.config.rules

    def member(self, staff_id: str) -> Member | None:
        return next((m for m in self.config.members if m.staff_id == staff_id), None)

    def active_members(self) -> list[Member]:
        return [m for m in self.config.members if m.active]

    def member_window(self, member: Member, day: date) -> tuple[datetime, datetime] | None:
        """When `member` works on `day`: within the team's day, their own hours, not absent."""
        team_window = self.calendar.window(day)
        if team_window is None or not member.active or member.absent(day):
            return None
        if member.hours is None:
            return team_window.start, team_window.end
        own = member.hours.get(day.weekday())
        if own is None:
            return None
        start = max(team_window.start, self.calendar.at(day, own.start))
        end = min(team_window.end, self.calendar.at(day, own.end))
        return (start, end) if start < end else None

    def configure(self, config: TeamConfig, now: datetime) -> list[object]:
        ids = [m.staff_id for m in config.members]
        if len(set(ids)) != len(ids):
            raise TeamError("two members have the same staff id")
        # Absences are recorded separately: a new configuration keeps the recorded ones.
        kept = {m.staff_id: m.absences for m in self.config.members}
        members = tuple(replace(m, absences=m.absences or kept.get(m.staff_id, ())) for m in config.members)
        self.config = replace(config, members=members)
        self.version += 1
        self.configured_at = now
        return [self.configured_event(now)]

    def configured_event(self, now: datetime) -> ev.TeamConfigured:
        c = self.config
        return carry(
            ev.TeamConfigured,
            c,
            team_id=self.team_id,
            hours=tuple((wd, h.start, h.end) for wd, h in sorted(c.hours.items())),
            members=tuple((m.staff_id, m.display_name, m.active) for m in c.members),
            version=self.version,
            at=now,
        )

    def record_absence(self, staff_id: str, absence: Absence) -> Member:
        member = self.member(staff_id)
        if member is None:
            raise TeamError("no such member in this team")
        if absence.last_day < absence.first_day:
            raise TeamError("an absence must end on or after its first day")
        if any(a == absence for a in member.absences):
            return member
        updated = replace(member, absences=(*member.absences, absence))
        self.config = replace(
            self.config, members=tuple(updated if m.staff_id == staff_id else m for m in self.config.members)
        )
        return updated

    # --- capacity -----------------------------------------------------------------------------

    def occupancy(self, day: date, *, excluding: str | None = None) -> int:
        return sum(1 for b in self.bookings.values() if b.first_day <= day <= b.last_day and b.case_id != excluding)

    def _full(self, case_id: str, first: date, last: date) -> tuple[ev.CapacityLimit, int, date] | None:
        month = f"{first:%Y-%m}"
        started = [c for c in self.month_starts.get(month, []) if c != case_id]
        if len(started) >= self.config.new_clients_per_month:
            return ev.CapacityLimit.NEW_CLIENTS_PER_MONTH, self.config.new_clients_per_month, first.replace(day=1)
        for day in days(first, last):
            if self.occupancy(day, excluding=case_id) >= self.config.clients_per_day:
                return ev.CapacityLimit.CLIENTS_PER_DAY, self.config.clients_per_day, day
        return None

    def _book(self, case_id: str, person_ref: str, first: date, last: date) -> None:
        self.bookings[case_id] = Booking(case_id, person_ref, first, last)
        starts = self.month_starts.setdefault(f"{first:%Y-%m}", [])
        if case_id not in starts:
            starts.append(case_id)

    def admit(
        self, case_id: str, person_ref: str, first: date, last: date, today: date, now: datetime
    ) -> tuple[CapacityVerdict, list[str], list[object]]:
        """Book a place for a period, or put the case on the waiting list (idempotent per case).

        Returns the verdict for this case, other waiting cases admitted on the way (FIFO), and events.
        """
        if case_id in self.bookings:
            return CapacityVerdict.ADMITTED, [], []
        if any(w.case_id == case_id for w in self.waiting):
            return CapacityVerdict.WAITING, [], []
        full = self._full(case_id, first, last)
        if full is None and not self.waiting:
            self._book(case_id, person_ref, first, last)
            return CapacityVerdict.ADMITTED, [], []
        # Full, or others wait already (first come, first served).
        limit, capacity, on_date = full or (ev.CapacityLimit.CLIENTS_PER_DAY, self.config.clients_per_day, first)
        self.waiting.append(WaitingEntry(case_id, person_ref, now, first, last))
        events: list[object] = [
            ev.TeamCapacityExceeded(
                self.team_id, case_id, person_ref, limit, capacity, on_date, len(self.waiting), now
            ),
            ev.WaitingListChanged(
                self.team_id,
                case_id,
                person_ref,
                ev.WaitingChange.ADDED,
                len(self.waiting),
                len(self.waiting),
                now,
                first,
                now,
            ),
        ]
        admitted, more = self.admit_waiting(today, now)
        verdict = CapacityVerdict.ADMITTED if case_id in admitted else CapacityVerdict.WAITING
        return verdict, [a for a in admitted if a != case_id], events + more

    def rebook(self, case_id: str, first: date, last: date) -> None:
        """A planned period's dates changed (decision changed): keep the booking in step."""
        booking = self.bookings.get(case_id)
        if booking is not None:
            self.bookings[case_id] = replace(booking, first_day=first, last_day=last)
        self.waiting = [replace(w, first_day=first, last_day=last) if w.case_id == case_id else w for w in self.waiting]

    def release(self, case_id: str, today: date, now: datetime) -> tuple[list[str], list[object]]:
        """A period ended (or a waiting case left): free its place, admit the oldest waiting case(s)."""
        events: list[object] = []
        if self.bookings.pop(case_id, None) is None:
            events += self.leave_waiting_list(case_id, now)
        admitted, more = self.admit_waiting(today, now)
        return admitted, events + more

    def leave_waiting_list(self, case_id: str, now: datetime) -> list[object]:
        entry = next((w for w in self.waiting if w.case_id == case_id), None)
        if entry is None:
            return []
        self.waiting.remove(entry)
        return [
            ev.WaitingListChanged(
                self.team_id,
                case_id,
                entry.person_ref,
                ev.WaitingChange.REMOVED,
                None,
                len(self.waiting),
                entry.since,
                entry.first_day,
                now,
            )
        ]

    def admit_waiting(self, today: date, now: datetime) -> tuple[list[str], list[object]]:
        """FIFO: admit the oldest waiting cases while they fit; drop those whose decision has run out."""
        admitted: list[str] = []
        events: list[object] = []
        while self.waiting:
            entry = self.waiting[0]
            first = max(entry.first_day, today)
            if first > entry.last_day:
                events += self.leave_waiting_list(entry.case_id, now)
                continue
            if self._full(entry.case_id, first, entry.last_day) is not None:
                break
            self.waiting.pop(0)
            self._book(entry.case_id, entry.person_ref, first, entry.last_day)
            admitted.append(entry.case_id)
            events.append(
                ev.WaitingListChanged(
                    self.team_id,
                    entry.case_id,
                    entry.person_ref,
                    ev.WaitingChange.PLANNED,
                    None,
                    len(self.waiting),
                    entry.since,
                    entry.first_day,
                    now,
                )
            )
        return admitted, events

    def replanned(
        self, day: date, absent_staff_id: str, moved: int, unstaffed: int, kept: int, now: datetime
    ) -> ev.DayReplanned:
        return ev.DayReplanned(self.team_id, day, absent_staff_id, moved, unstaffed, kept, now)

    def waiting_since(self, case_id: str) -> datetime | None:
        return next((w.since for w in self.waiting if w.case_id == case_id), None)

    def prune(self, before: date) -> None:
        """Forget bookings that ended long ago and month counters older than a year."""
        self.bookings = {k: b for k, b in self.bookings.items() if b.last_day >= before}
        oldest = f"{before - timedelta(days=366):%Y-%m}"
        self.month_starts = {m: c for m, c in self.month_starts.items() if m >= oldest}
