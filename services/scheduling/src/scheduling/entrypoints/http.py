"""The scheduling HTTP API: teams (ops, team leads), the field API (the team's phones), the audit trail.

Routes translate HTTP to one use case and back. Every route needs a bearer token; the role
table is `ROLES`. Errors are problem+json: 401 without a valid token, 403 without the role,
404 unknown team, case or visit, 409 a conflict with the plan's or the team's state, 422
invalid input, 503 the database is unreachable. Responses that carry personal data (names,
addresses, visit notes) are audited before they are returned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from scheduling.domain.calendar import WEEKDAY_NAMES, DayHours
from scheduling.domain.events import SelfRating
from scheduling.domain.plan import CasePlan, PlanError, Visit, VisitNotes, VisitNotFound
from scheduling.domain.team import AbsenceKind, Member, PlanningRules, Team, TeamConfig, TeamError
from scheduling.domain.vocab import (
    CancelReason,
    Location,
    PeriodKind,
    PeriodStatus,
    SupportLevel,
    VisitKind,
    VisitStatus,
)
from scheduling.service_layer import field as fuc
from scheduling.service_layer import teams as tuc
from scheduling.service_layer.planning import UnknownTeam
from scheduling.service_layer.ports import Actor, Authenticator, SchedulingDeps
from trygg_shared.aggregate import AggregateNotFound, ConcurrencyConflict, StorageUnavailable
from trygg_shared.auth import may_act_for_team
from trygg_shared.fields import FreeText, NonBlankText, PlausibleAwareDatetime, PlausibleDate, Text
from trygg_shared.http import Problem, ProblemError, known_query_only

ROLES: dict[str, tuple[str, ...]] = {
    "configure_teams": ("ops",),
    "read_teams": ("ops", "team", "oncall", "officer"),
    "absences": ("ops", "team"),
    "field": ("team",),
    "read_day": ("team", "oncall"),
    "read_plan": ("team", "oncall", "officer"),
    "read_audit": ("ops",),
}

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

# The shared bounded types (2000-01-01..2099-12-31), with the bound in the OpenAPI document.
Day = PlausibleDate
Instant = PlausibleAwareDatetime
StaffId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="A team member's staff id.")]
Id = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    pass


# --- teams ----------------------------------------------------------------------------------


LocalTime = Annotated[
    str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local wall-clock time HH:MM (no UTC offset).")
]


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


class HoursIn(_In):
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


class MemberIn(_In):
    staff_id: StaffId
    display_name: Text | None = Field(None, max_length=100, description="Work name (staff).")
    hours: HoursList | None = Field(None, description="Own hours; none: the team's hours.")
    daily_visit_limit: StrictInt = Field(6, ge=1, le=20)
    active: StrictBool = True


class RulesIn(_In):
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


class TeamIn(_In):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_TEAM_EXAMPLE]}
    )

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
            name=self.name,
            phone=self.phone,
            hemtjanst_phone=self.hemtjanst_phone,
            municipality_profile=self.municipality_profile,
            municipality_code=self.municipality_code,
            timezone=self.timezone,
            hours=_hours(self.hours),
            works_on_holidays=self.works_on_holidays,
            clients_per_day=self.clients_per_day,
            new_clients_per_month=self.new_clients_per_month,
            max_period_days=self.max_period_days,
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
        )


class AbsenceOut(_Out):
    first_day: date
    last_day: date
    kind: AbsenceKind


class MemberOut(_Out):
    staff_id: str
    display_name: str | None
    hours: list[HoursIn] | None
    daily_visit_limit: int
    active: bool
    absences: list[AbsenceOut]


class TeamOut(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_TEAM_EXAMPLE, "team_id": "hofors", "version": 1}]})

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
    waiting_count: int


def _hours_out(hours: dict[int, DayHours] | Any) -> list[HoursIn]:
    return [
        HoursIn.model_validate({"weekday": WEEKDAY_NAMES[wd], "start": _hhmm(h.start), "end": _hhmm(h.end)})
        for wd, h in sorted(hours.items())
    ]


def _team_out(team: Team) -> TeamOut:
    c = team.config
    return TeamOut(
        team_id=team.team_id,
        version=team.version,
        name=c.name,
        phone=c.phone,
        hemtjanst_phone=c.hemtjanst_phone,
        municipality_profile=c.municipality_profile,
        municipality_code=c.municipality_code,
        timezone=c.timezone,
        hours=_hours_out(c.hours),
        works_on_holidays=c.works_on_holidays,
        clients_per_day=c.clients_per_day,
        new_clients_per_month=c.new_clients_per_month,
        max_period_days=c.max_period_days,
        members=[
            MemberOut(
                staff_id=m.staff_id,
                display_name=m.display_name,
                hours=_hours_out(m.hours) if m.hours is not None else None,
                daily_visit_limit=m.daily_visit_limit,
                active=m.active,
                absences=[AbsenceOut(first_day=a.first_day, last_day=a.last_day, kind=a.kind) for a in m.absences],
            )
            for m in c.members
        ],
        rules=RulesIn.model_validate(
            {
                **{k: getattr(c.rules, k) for k in RulesIn.model_fields},
                "daily_visit_time": _hhmm(c.rules.daily_visit_time),
            }
        ),
        waiting_count=len(team.waiting),
    )


class AbsenceIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"staff_id": "hofors-us2", "first_day": "2026-12-01", "last_day": "2026-12-05", "kind": "leave"}
            ]
        },
    )
    staff_id: StaffId
    first_day: Day
    last_day: Day
    kind: AbsenceKind = AbsenceKind.LEAVE

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        if self.last_day < self.first_day or (self.last_day - self.first_day) > timedelta(days=366):
            raise ValueError("an absence ends on or after its first day, within a year")
        return self


class SickCallIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"staff_id": "hofors-us2"}]})
    staff_id: StaffId
    day: Day | None = Field(None, description="The day (default: today, in the team's time zone).")


class ReplanOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-11-26",
                    "staff_id": "hofors-us2",
                    "reassigned": 3,
                    "unstaffed": 0,
                    "continuity_kept": 2,
                    "elapsed_ms": 41.5,
                }
            ]
        }
    )
    day: date
    staff_id: str
    reassigned: int
    unstaffed: int
    continuity_kept: int
    elapsed_ms: float = Field(description="How long the re-plan took, in milliseconds.")


class WaitingOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "position": 1,
                    "case_id": "c-1",
                    "person_ref": "p_9f2c",
                    "since": "2026-11-23T10:00:00Z",
                    "first_day": "2026-11-25",
                    "last_day": "2026-12-08",
                }
            ]
        }
    )
    position: int
    case_id: str
    person_ref: str
    since: datetime
    first_day: date
    last_day: date


class CapacityDayOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"day": "2026-11-25", "booked": 3, "capacity": 4, "team_works": True}]}
    )
    day: date
    booked: int
    capacity: int
    team_works: bool


# --- field ----------------------------------------------------------------------------------


class NotesIn(_In):
    food: SupportLevel = SupportLevel.NOT_ASSESSED
    medicines: SupportLevel = SupportLevel.NOT_ASSESSED
    personal_care: SupportLevel = SupportLevel.NOT_ASSESSED
    aids_in_use: list[Annotated[NonBlankText, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    aids_missing: list[Annotated[NonBlankText, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    worry: StrictInt | None = Field(None, ge=1, le=5, description="The person's worry today, 1 (none) to 5 (very).")
    suggested_visits_per_day: StrictInt | None = Field(None, ge=0, le=10)
    free_text: FreeText | None = Field(None, max_length=4000, description="Stays in scheduling; never on the wire.")

    def notes(self) -> VisitNotes:
        return VisitNotes(
            self.food,
            self.medicines,
            self.personal_care,
            tuple(self.aids_in_use),
            tuple(self.aids_missing),
            self.worry,
            self.suggested_visits_per_day,
            self.free_text,
        )


class SelfRatingIn(_In):
    """EQ-5D-5L plus the two extra questions (worry, safety): at the first and the last visit."""

    mobility: StrictInt = Field(ge=1, le=5)
    self_care: StrictInt = Field(ge=1, le=5)
    usual_activities: StrictInt = Field(ge=1, le=5)
    pain_discomfort: StrictInt = Field(ge=1, le=5)
    anxiety_depression: StrictInt = Field(ge=1, le=5)
    vas: StrictInt = Field(ge=0, le=100)
    worry: StrictInt = Field(ge=1, le=5)
    safety: StrictInt = Field(ge=1, le=5)


class StartIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"started_at": "2026-11-26T08:31:00Z"}]})
    started_at: Instant | None = Field(None, description="Actual start (default: now).")


class CompleteIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "started_at": "2026-11-26T08:31:00Z",
                    "ended_at": "2026-11-26T09:14:00Z",
                    "notes": {"food": "some_help", "medicines": "independent", "aids_in_use": ["rollator"], "worry": 2},
                    "self_rating": {
                        "mobility": 3,
                        "self_care": 2,
                        "usual_activities": 3,
                        "pain_discomfort": 2,
                        "anxiety_depression": 2,
                        "vas": 60,
                        "worry": 3,
                        "safety": 4,
                    },
                }
            ]
        },
    )
    started_at: Instant | None = Field(None, description="Actual start (default: when it was started).")
    ended_at: Instant | None = Field(None, description="Actual end (default: now).")
    notes: NotesIn | None = None
    self_rating: SelfRatingIn | None = None


class CancelIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "declined"}]})
    reason: Literal["declined", "other"] = "declined"


class RescheduleIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"planned_start": "2026-11-27T12:00:00Z", "duration_minutes": 60}]},
    )
    planned_start: Instant
    duration_minutes: StrictInt | None = Field(None, ge=5, le=480)
    staff_id: StaffId | None = None


class LocationIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lat": 60.546, "lon": 16.283}]})
    lat: StrictFloat = Field(ge=55.0, le=69.5, description="Latitude (Sweden).")
    lon: StrictFloat = Field(ge=10.0, le=24.5, description="Longitude (Sweden).")


class VisitOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "visit_id": "0d6f...",
                    "case_id": "a81a...",
                    "kind": "daily",
                    "status": "scheduled",
                    "day": "2026-11-26",
                    "planned_start": "2026-11-26T08:30:00Z",
                    "planned_end": "2026-11-26T09:15:00Z",
                    "location": "home",
                    "staff_id": "hofors-us1",
                    "by_contact_person": True,
                    "officer_invited": False,
                    "with_hemtjanst": False,
                    "started_at": None,
                    "ended_at": None,
                    "duration_minutes": None,
                }
            ]
        }
    )
    visit_id: str
    case_id: str
    kind: VisitKind
    status: VisitStatus
    day: date
    planned_start: datetime
    planned_end: datetime
    location: Location
    staff_id: str | None
    by_contact_person: bool
    officer_invited: bool
    with_hemtjanst: bool
    started_at: datetime | None
    ended_at: datetime | None
    duration_minutes: int | None


class PersonOut(_Out):
    given_name: str
    family_name: str
    street: str | None
    postal_code: str | None
    city: str | None
    phone: str | None


class DayVisitOut(VisitOut):
    person_ref: str
    person: PersonOut | None = Field(description="Who to visit and where (personal data: the read is audited).")


class NotesOut(_Out):
    food: SupportLevel
    medicines: SupportLevel
    personal_care: SupportLevel
    aids_in_use: list[str]
    aids_missing: list[str]
    worry: int | None
    suggested_visits_per_day: int | None
    free_text: str | None


class PlanVisitOut(VisitOut):
    notes: NotesOut | None
    self_rating: SelfRatingIn | None
    rating_moment: str | None
    cancel_reason: str | None


class PeriodOut(_Out):
    period_id: str
    decision_id: str
    team_id: str
    kind: PeriodKind
    status: PeriodStatus
    start_date: date
    end_date: date
    hours_granted: float | None
    minutes_used: int
    contact_person_id: str | None
    ended_on: date | None
    end_reason: str | None


class PlanOut(_Out):
    case_id: str
    person_ref: str
    person: PersonOut | None
    at_home: bool
    period: PeriodOut
    visits: list[PlanVisitOut]


class AuditRecordOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record_id": "5d0c...",
                    "at": "2026-11-26T07:05:00Z",
                    "actor": "team:hofors-us1",
                    "roles": ["team"],
                    "action": "read_day_visits",
                    "case_ids": ["a81a..."],
                    "fields": ["name", "address", "phone"],
                }
            ]
        }
    )
    record_id: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    case_ids: list[str]
    fields: list[str]


def _visit_fields(plan: CasePlan, v: Visit) -> dict[str, Any]:
    contact = plan.period.contact_person_id if plan.period else None
    return {
        "visit_id": v.visit_id,
        "case_id": plan.case_id,
        "kind": v.kind,
        "status": v.status,
        "day": v.day,
        "planned_start": v.planned_start,
        "planned_end": v.planned_end,
        "location": v.location,
        "staff_id": v.staff_id,
        "by_contact_person": v.staff_id is not None and v.staff_id == contact,
        "officer_invited": v.officer_invited,
        "with_hemtjanst": v.with_hemtjanst,
        "started_at": v.started_at,
        "ended_at": v.ended_at,
        "duration_minutes": v.minutes if v.status == VisitStatus.COMPLETED else None,
    }


def _person(plan: CasePlan) -> PersonOut | None:
    c = plan.contact
    if c is None:
        return None
    return PersonOut(
        given_name=c.given_name,
        family_name=c.family_name,
        street=c.street,
        postal_code=c.postal_code,
        city=c.city,
        phone=c.phone,
    )


def _plan_out(plan: CasePlan) -> PlanOut:
    p = plan.period
    assert p is not None
    visits = []
    for v in plan.ordered_visits():
        n = v.notes
        visits.append(
            PlanVisitOut(
                **_visit_fields(plan, v),
                notes=NotesOut(
                    food=n.food,
                    medicines=n.medicines,
                    personal_care=n.personal_care,
                    aids_in_use=list(n.aids_in_use),
                    aids_missing=list(n.aids_missing),
                    worry=n.worry,
                    suggested_visits_per_day=n.suggested_visits_per_day,
                    free_text=n.free_text,
                )
                if n
                else None,
                self_rating=SelfRatingIn.model_construct(**vars(v.self_rating)) if v.self_rating else None,
                rating_moment=v.rating_moment.value if v.rating_moment else None,
                cancel_reason=v.cancel_reason.value if v.cancel_reason else None,
            )
        )
    return PlanOut(
        case_id=plan.case_id,
        person_ref=plan.person_ref,
        person=_person(plan),
        at_home=plan.at_home,
        period=PeriodOut(
            period_id=p.period_id,
            decision_id=p.decision_id,
            team_id=p.team_id,
            kind=p.kind,
            status=p.status,
            start_date=p.start_date,
            end_date=p.end_date,
            hours_granted=p.hours_granted,
            minutes_used=plan.minutes_used(),
            contact_person_id=p.contact_person_id,
            ended_on=p.ended_on,
            end_reason=p.end_reason.value if p.end_reason else None,
        ),
        visits=visits,
    )


# --- errors ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _domain_errors() -> Iterator[None]:
    """Domain and storage errors as problem+json; messages carry no personal data."""
    try:
        yield
    except (UnknownTeam, AggregateNotFound):
        raise ProblemError(404, "Not found", "No such team.") from None
    except fuc.CaseNotPlanned:
        raise ProblemError(404, "Not found", "No planned period for that case.") from None
    except VisitNotFound:
        raise ProblemError(404, "Not found", "No such visit in the case's plan.") from None
    except (PlanError, TeamError) as exc:
        raise ProblemError(409, "Conflict", str(exc)) from None
    except ConcurrencyConflict:
        raise ProblemError(409, "Conflict", "The plan changed meanwhile; try again.") from None
    except StorageUnavailable:
        raise ProblemError(503, "Service unavailable", "Try again shortly.", headers={"Retry-After": "5"}) from None


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "The body is not valid JSON.",
        401: "Missing or invalid bearer token.",
        403: "The token lacks the role this endpoint needs.",
        404: "Unknown team, case or visit.",
        409: "A conflict with the plan's or the team's state.",
        422: "The request breaks the documented format.",
        503: "The database is unreachable; retry after the given time.",
    }
    return {code: {"description": text[code], "model": Problem} for code in codes}


# --- routes ---------------------------------------------------------------------------------


def scheduling_router(deps: SchedulingDeps, authenticator: Authenticator) -> APIRouter:
    def require(permission: str) -> Any:
        allowed = ROLES[permission]

        async def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
            found = authenticator.authenticate(credentials.credentials) if credentials else None
            if found is None:
                raise ProblemError(
                    401, "Unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
                )
            if not set(found.roles) & set(allowed):
                raise ProblemError(403, "Forbidden", "Your role may not do this.")
            return found

        return Depends(actor)

    def for_team(actor: Actor, team_id: str | None) -> None:
        """A team token acts only for its teams (its `teams` claim); ops, officers and on-call for all."""
        if not may_act_for_team(actor.teams, team_id):
            raise ProblemError(403, "Forbidden", "Your token does not act for this team.")

    async def for_case_team(actor: Actor, case_id: str) -> None:
        """The same for a case: the team of its plan (an unknown case is the use case's 404)."""
        if actor.teams is None:
            return
        loaded = await deps.plans.load(case_id)
        if loaded is not None:
            for_team(actor, loaded.state.team_id)

    router = APIRouter(responses=_problems(400, 401, 403, 422, 503), dependencies=[Depends(known_query_only)])
    configure, read_teams, absences = require("configure_teams"), require("read_teams"), require("absences")
    field_role, read_day, read_plan, read_audit = (
        require("field"),
        require("read_day"),
        require("read_plan"),
        require("read_audit"),
    )

    @router.get("/teams", tags=["teams"], response_model=list[TeamOut], summary="List the teams")
    async def list_teams(actor: Actor = read_teams) -> list[TeamOut]:
        with _domain_errors():
            return [_team_out(t) for t in await tuc.list_teams(deps)]

    @router.get(
        "/teams/{team_id}", tags=["teams"], response_model=TeamOut, responses=_problems(404), summary="Read a team"
    )
    async def get_team(team_id: Id, actor: Actor = read_teams) -> TeamOut:
        with _domain_errors():
            return _team_out(await tuc.get_team(deps, team_id))

    @router.put(
        "/teams/{team_id}",
        tags=["teams"],
        response_model=TeamOut,
        responses=_problems(409),
        summary="Create or replace a team's configuration (members' absences are kept)",
    )
    async def put_team(team_id: Id, body: TeamIn, actor: Actor = configure) -> TeamOut:
        with _domain_errors():
            return _team_out(await tuc.configure_team(deps, team_id, body.config()))

    @router.post(
        "/teams/{team_id}/absences",
        tags=["teams"],
        status_code=201,
        response_model=MemberOut,
        responses=_problems(404, 409),
        summary="Record a member's absence (sick, leave) for a date range",
    )
    async def add_absence(team_id: Id, body: AbsenceIn, actor: Actor = absences) -> MemberOut:
        for_team(actor, team_id)
        with _domain_errors():
            team = await tuc.record_absence(deps, team_id, body.staff_id, body.first_day, body.last_day, body.kind)
        member = team.member(body.staff_id)
        assert member is not None
        return next(m for m in _team_out(team).members if m.staff_id == member.staff_id)

    @router.post(
        "/teams/{team_id}/sick-calls",
        tags=["teams"],
        response_model=ReplanOut,
        responses=_problems(404, 409),
        summary="A member is sick today: re-staff their visits, keeping continuity where possible",
    )
    async def sick_call(team_id: Id, body: SickCallIn, actor: Actor = absences) -> ReplanOut:
        for_team(actor, team_id)
        with _domain_errors():
            team = await tuc.get_team(deps, team_id)
            if team.member(body.staff_id) is None:
                raise ProblemError(409, "Conflict", "No such member in this team.")
            day = body.day or team.calendar.local_date(deps.clock.now())
            result = await tuc.report_sick(deps, team_id, body.staff_id, day)
        return ReplanOut(
            day=result.day,
            staff_id=result.staff_id,
            reassigned=result.reassigned,
            unstaffed=result.unstaffed,
            continuity_kept=result.continuity_kept,
            elapsed_ms=round(result.elapsed_ms, 2),
        )

    @router.get(
        "/teams/{team_id}/waiting-list",
        tags=["teams"],
        response_model=list[WaitingOut],
        responses=_problems(404),
        summary="Cases waiting for a place, oldest first (pseudonymous)",
    )
    async def waiting_list(team_id: Id, actor: Actor = read_day) -> list[WaitingOut]:
        for_team(actor, team_id)
        with _domain_errors():
            team = await tuc.get_team(deps, team_id)
        return [
            WaitingOut(
                position=i,
                case_id=w.case_id,
                person_ref=w.person_ref,
                since=w.since,
                first_day=w.first_day,
                last_day=w.last_day,
            )
            for i, w in enumerate(team.waiting, start=1)
        ]

    @router.get(
        "/teams/{team_id}/capacity",
        tags=["teams"],
        response_model=list[CapacityDayOut],
        responses=_problems(404),
        summary="Places booked per day against the team's capacity",
    )
    async def capacity(
        team_id: Id,
        actor: Actor = read_day,
        start: Annotated[Day | None, Query(alias="from", description="First day (default: today).")] = None,
        days: Annotated[int, Query(ge=1, le=92)] = 14,
    ) -> list[CapacityDayOut]:
        for_team(actor, team_id)
        with _domain_errors():
            team = await tuc.get_team(deps, team_id)
        first = start or team.calendar.local_date(deps.clock.now())
        return [
            CapacityDayOut(
                day=d, booked=team.occupancy(d), capacity=team.config.clients_per_day, team_works=team.calendar.works(d)
            )
            for d in (first + timedelta(days=i) for i in range(days))
        ]

    @router.get(
        "/visits",
        tags=["field"],
        response_model=list[DayVisitOut],
        summary="My visits for a day (or a member's, or the whole team's); audited",
    )
    async def day_visits(
        actor: Actor = read_day,
        day: Annotated[Day | None, Query(description="The day (default: today).")] = None,
        staff_id: Annotated[StaffId | None, Query(description="A member (default: the caller's own).")] = None,
        team_id: Annotated[Text | None, Query(max_length=100, description="All visits of one team.")] = None,
    ) -> list[DayVisitOut]:
        who = staff_id or (None if team_id else actor.staff_id)
        if who is None and team_id is None:
            raise ProblemError(
                422, "Unprocessable content", "Give staff_id or team_id (your token names no team member)."
            )
        if team_id is not None:
            for_team(actor, team_id)
        with _domain_errors():
            today = deps.clock.now().astimezone(LOCAL_ZONE).date()
            found = await fuc.visits_for_day(deps, actor, day or today, staff_id=who, team_id=team_id)
        found = [dv for dv in found if may_act_for_team(actor.teams, dv.plan.team_id)]  # a member of two teams
        return [
            DayVisitOut(**_visit_fields(dv.plan, dv.visit), person_ref=dv.plan.person_ref, person=_person(dv.plan))
            for dv in found
        ]

    @router.get(
        "/cases/{case_id}/plan",
        tags=["field"],
        response_model=PlanOut,
        responses=_problems(404),
        summary="A case's period, visits, notes and self-ratings; audited",
    )
    async def plan(case_id: Id, actor: Actor = read_plan) -> PlanOut:
        with _domain_errors():
            await for_case_team(actor, case_id)
            return _plan_out(await fuc.read_plan(deps, actor, case_id))

    visit_errors = _problems(404, 409)

    @router.post(
        "/cases/{case_id}/visits/{visit_id}/start",
        tags=["field"],
        response_model=VisitOut,
        responses=visit_errors,
        summary="Start a visit",
    )
    async def start(case_id: Id, visit_id: Id, body: StartIn, actor: Actor = field_role) -> VisitOut:
        with _domain_errors():
            await for_case_team(actor, case_id)
            visit = await fuc.start_visit(deps, actor, case_id, visit_id, body.started_at)
            return await _visit_out(case_id, visit)

    @router.post(
        "/cases/{case_id}/visits/{visit_id}/complete",
        tags=["field"],
        response_model=VisitOut,
        responses=visit_errors,
        summary="Complete a visit with actual times, structured notes and (first/last visit) the self-rating",
    )
    async def complete(case_id: Id, visit_id: Id, body: CompleteIn, actor: Actor = field_role) -> VisitOut:
        rating = SelfRating(**body.self_rating.model_dump()) if body.self_rating else None
        with _domain_errors():
            await for_case_team(actor, case_id)
            visit = await fuc.complete_visit(
                deps,
                actor,
                case_id,
                visit_id,
                body.started_at,
                body.ended_at,
                body.notes.notes() if body.notes else None,
                rating,
            )
            return await _visit_out(case_id, visit)

    @router.post(
        "/cases/{case_id}/visits/{visit_id}/cancel",
        tags=["field"],
        response_model=VisitOut,
        responses=visit_errors,
        summary="Cancel a visit (the person declined)",
    )
    async def cancel(case_id: Id, visit_id: Id, body: CancelIn, actor: Actor = field_role) -> VisitOut:
        with _domain_errors():
            await for_case_team(actor, case_id)
            visit = await fuc.cancel_visit(deps, actor, case_id, visit_id, CancelReason(body.reason))
            return await _visit_out(case_id, visit)

    @router.post(
        "/cases/{case_id}/visits/{visit_id}/reschedule",
        tags=["field"],
        response_model=VisitOut,
        responses=visit_errors,
        summary="Move a visit (and optionally change its length or member)",
    )
    async def reschedule(case_id: Id, visit_id: Id, body: RescheduleIn, actor: Actor = field_role) -> VisitOut:
        with _domain_errors():
            await for_case_team(actor, case_id)
            visit = await fuc.reschedule_visit(
                deps, case_id, visit_id, body.planned_start, body.duration_minutes, body.staff_id
            )
            return await _visit_out(case_id, visit)

    @router.put(
        "/cases/{case_id}/home-location",
        tags=["field"],
        status_code=204,
        response_class=Response,
        responses=_problems(404),
        summary="Coordinates of the person's home (straight-line travel times)",
    )
    async def home_location(case_id: Id, body: LocationIn, actor: Actor = field_role) -> Response:
        with _domain_errors():
            await for_case_team(actor, case_id)
            await fuc.set_home_location(deps, case_id, body.lat, body.lon)
        return Response(status_code=204)

    @router.get(
        "/audit",
        tags=["audit"],
        response_model=list[AuditRecordOut],
        summary="Who read a case's personal data, and when",
    )
    async def audit_trail(
        case_id: Annotated[Text, Query(min_length=1, max_length=100)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        actor: Actor = read_audit,
    ) -> list[AuditRecordOut]:
        with _domain_errors():
            records = await deps.audit.for_case(case_id, limit)
        return [
            AuditRecordOut(
                record_id=r.record_id,
                at=r.at,
                actor=r.actor,
                roles=list(r.roles),
                action=r.action,
                case_ids=list(r.case_ids),
                fields=list(r.fields),
            )
            for r in records
        ]

    async def _visit_out(case_id: str, visit: Visit) -> VisitOut:
        loaded = await deps.plans.load(case_id)
        if loaded is None:
            raise fuc.CaseNotPlanned(case_id)
        return VisitOut(**_visit_fields(loaded.state, visit))

    return router
