"""The team's configuration on the wire of the HTTP API: working hours, members, planning rules."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StrictBool, StrictInt, field_validator, model_validator

from scheduling.domain.calendar import WEEKDAY_NAMES, DayHours
from scheduling.domain.checklist import DEFAULT_ALERT_HOURS, DEFAULT_ITEMS, ChecklistItemSpec, ChecklistTemplate
from scheduling.domain.team import AbsenceKind, Member, PlanningRules, Team, TeamConfig
from scheduling.entrypoints.common import In, Out, StaffId, example
from trygg_shared.fields import NonBlankText, Text

LocalTime = Annotated[
    str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local wall-clock time HH:MM (no UTC offset).")
]


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


class HoursIn(In):
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    start: LocalTime = Field(description="Local time, e.g. 07:00.")
    end: LocalTime = Field(description="Local time, exclusive, e.g. 15:30.")

    @model_validator(mode="after")
    def _ordered(self) -> HoursIn:
        if not _time(self.start) < _time(self.end):
            raise ValueError("the day must start before it ends")
        return self


def _hours(items: list[HoursIn]) -> dict[int, DayHours]:
    return {WEEKDAY_NAMES.index(h.weekday): DayHours(_time(h.start), _time(h.end)) for h in items}


def _unique_weekdays(items: list[HoursIn]) -> list[HoursIn]:
    if len({h.weekday for h in items}) != len(items):
        raise ValueError("each weekday at most once")
    return items


HoursList = Annotated[list[HoursIn], Field(max_length=7), AfterValidator(_unique_weekdays)]


class MemberIn(In):
    staff_id: StaffId
    display_name: Text | None = Field(None, max_length=100, description="Work name (staff).")
    hours: HoursList | None = Field(None, description="Own hours; none: the team's hours.")
    daily_visit_limit: StrictInt = Field(6, ge=1, le=20)
    active: StrictBool = True


class RulesIn(In):
    hospital_visit: StrictBool = True
    hospital_visit_minutes: StrictInt = Field(45, ge=5, le=240)
    homecoming_minutes: StrictInt = Field(90, ge=5, le=240)
    arrival_after_discharge_minutes: StrictInt = Field(60, ge=0, le=480)
    daily_visit_minutes: StrictInt = Field(45, ge=5, le=240)
    daily_visit_time: LocalTime = "09:30"
    follow_up_meeting_day: StrictInt = Field(5, ge=1, le=90)
    follow_up_meeting_minutes: StrictInt = Field(60, ge=5, le=240)
    handover_days_before_end: StrictInt = Field(1, ge=0, le=30)
    handover_minutes: StrictInt = Field(60, ge=5, le=240)
    follow_up_call_days_after: StrictInt = Field(14, ge=1, le=90)
    follow_up_call_minutes: StrictInt = Field(20, ge=5, le=120)
    travel_minutes: StrictInt = Field(15, ge=0, le=180)
    missed_visit_grace_minutes: StrictInt = Field(30, ge=0, le=480)
    follow_up_notice_hours: StrictInt = Field(24, ge=0, le=336)

    def rules(self) -> PlanningRules:
        return PlanningRules(**{**self.model_dump(), "daily_visit_time": _time(self.daily_visit_time)})


class ChecklistItemIn(In):
    item_id: str = Field(pattern=r"^[a-z0-9_-]{1,64}$", description="A stable code, e.g. 'aids'.")
    label: NonBlankText = Field(min_length=1, max_length=200, description="What the team checks.")


def _unique_items(items: list[ChecklistItemIn]) -> list[ChecklistItemIn]:
    if len({i.item_id for i in items}) != len(items):
        raise ValueError("item ids must be unique")
    return items


class ChecklistIn(In):
    """The team's homecoming checklist: copied into each case planned afterwards (not into earlier ones)."""

    items: Annotated[list[ChecklistItemIn], Field(min_length=1, max_length=30), AfterValidator(_unique_items)] = Field(
        default_factory=lambda: [ChecklistItemIn(item_id=i.item_id, label=i.label) for i in DEFAULT_ITEMS],
        description="Default: aids in place, medication list received, safety alarm ordered, keys or a "
        "digital lock arranged, SIP planned.",
    )
    alert_hours: StrictInt = Field(
        DEFAULT_ALERT_HOURS,
        ge=1,
        le=336,
        description="An item still open this many hours before the homecoming visit alerts the team lead "
        "(on-call out of hours).",
    )

    def template(self) -> ChecklistTemplate:
        return ChecklistTemplate(tuple(ChecklistItemSpec(i.item_id, i.label) for i in self.items), self.alert_hours)

    @classmethod
    def of(cls, template: ChecklistTemplate) -> ChecklistIn:
        items = [ChecklistItemIn(item_id=i.item_id, label=i.label) for i in template.items]
        return cls(items=items, alert_hours=template.alert_hours)


_TEAM_EXAMPLE: dict[str, Any] = {
    "name": "Trygg hemgång Hofors",
    "phone": "+46701740605",
    "hemtjanst_phone": "+46290123400",
    "municipality_profile": "hofors",
    "municipality_code": "2104",
    "hours": [
        {"weekday": d, "start": "07:00", "end": "15:30"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ],
    "works_on_holidays": True,
    "clients_per_day": 4,
    "new_clients_per_month": 12,
    "max_period_days": 14,
    "members": [{"staff_id": "hofors-us1", "display_name": "Undersköterska 1"}],
}


# What the body and the team's configuration carry as they are (hours, members and rules are mapped).
_AS_IS = (
    "name",
    "phone",
    "hemtjanst_phone",
    "municipality_profile",
    "municipality_code",
    "timezone",
    "works_on_holidays",
    "clients_per_day",
    "new_clients_per_month",
    "max_period_days",
)


class TeamIn(In):
    model_config = example(_TEAM_EXAMPLE)

    name: NonBlankText = Field(min_length=1, max_length=100)
    phone: str = Field(pattern=r"^\+[1-9]\d{6,14}$", description="The team's phone for persons and relatives (E.164).")
    hemtjanst_phone: str | None = Field(
        None,
        pattern=r"^\+[1-9]\d{6,14}$",
        description="The hemtjänst unit the team hands over to (E.164): relatives are told to call it after the "
        "handover. Left out: the notification service's default number is used.",
    )
    municipality_profile: NonBlankText = Field(
        min_length=1, max_length=50, description="e.g. hofors, huddinge, jarfalla, stockholm."
    )
    municipality_code: str | None = Field(None, pattern=r"^\d{4}$")
    timezone: Text = Field("Europe/Stockholm", max_length=64)
    hours: HoursList = Field(min_length=1, description="Working hours per weekday; a missing weekday is a day off.")
    works_on_holidays: StrictBool = Field(description="The team works on Swedish public holidays (and their eves).")
    clients_per_day: StrictInt = Field(ge=1, le=200)
    new_clients_per_month: StrictInt = Field(ge=1, le=1000)
    max_period_days: StrictInt = Field(14, ge=1, le=90)
    members: list[MemberIn] = Field(default_factory=list, max_length=100)
    rules: RulesIn = Field(default_factory=RulesIn)
    checklist: ChecklistIn = Field(default_factory=ChecklistIn, description="The homecoming checklist.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    @field_validator("members")
    @classmethod
    def _unique(cls, value: list[MemberIn]) -> list[MemberIn]:
        if len({m.staff_id for m in value}) != len(value):
            raise ValueError("staff ids must be unique")
        return value

    def config(self) -> TeamConfig:
        return TeamConfig(
            **{name: getattr(self, name) for name in _AS_IS},
            hours=_hours(self.hours),
            members=tuple(
                Member(
                    m.staff_id,
                    m.display_name,
                    _hours(m.hours) if m.hours is not None else None,
                    m.daily_visit_limit,
                    m.active,
                )
                for m in self.members
            ),
            rules=self.rules.rules(),
            checklist=self.checklist.template(),
        )


class AbsenceOut(Out):
    first_day: date
    last_day: date
    kind: AbsenceKind


class MemberOut(Out):
    staff_id: str
    display_name: str | None
    hours: list[HoursIn] | None
    daily_visit_limit: int
    active: bool
    absences: list[AbsenceOut]


class TeamOut(Out):
    model_config = example({**_TEAM_EXAMPLE, "team_id": "hofors", "version": 1})

    team_id: str
    version: int
    name: str
    phone: str
    hemtjanst_phone: str | None
    municipality_profile: str
    municipality_code: str | None
    timezone: str
    hours: list[HoursIn]
    works_on_holidays: bool
    clients_per_day: int
    new_clients_per_month: int
    max_period_days: int
    members: list[MemberOut]
    rules: RulesIn
    checklist: ChecklistIn
    waiting_count: int


def hours_out(hours: dict[int, DayHours] | Any) -> list[HoursIn]:
    return [
        HoursIn.model_validate({"weekday": WEEKDAY_NAMES[wd], "start": _hhmm(h.start), "end": _hhmm(h.end)})
        for wd, h in sorted(hours.items())
    ]


def team_out(team: Team) -> TeamOut:
    c = team.config
    return TeamOut(
        team_id=team.team_id,
        version=team.version,
        **{name: getattr(c, name) for name in _AS_IS},
        hours=hours_out(c.hours),
        members=[
            MemberOut(
                staff_id=m.staff_id,
                display_name=m.display_name,
                hours=hours_out(m.hours) if m.hours is not None else None,
                daily_visit_limit=m.daily_visit_limit,
                active=m.active,
                absences=[AbsenceOut.model_validate(a) for a in m.absences],
            )
            for m in c.members
        ],
        rules=RulesIn.model_validate(
            {
                **{k: getattr(c.rules, k) for k in RulesIn.model_fields},
                "daily_visit_time": _hhmm(c.rules.daily_visit_time),
            }
        ),
        checklist=ChecklistIn.of(c.checklist),
        waiting_count=len(team.waiting),
    )
