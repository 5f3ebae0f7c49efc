"""The field API's bodies: visits, notes, self-ratings, the case's plan and the person to visit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, StrictFloat, StrictInt

from scheduling.domain.plan import CasePlan, Visit, VisitNotes
from scheduling.domain.vocab import Location, PeriodKind, PeriodStatus, SupportLevel, VisitKind, VisitStatus
from scheduling.entrypoints.common import In, Instant, Out, StaffId, example
from trygg_shared.fields import FreeText, NonBlankText
from trygg_shared.mapping import from_contract, to_contract

V = TypeVar("V", bound="VisitOut")


class NotesIn(In):
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
        return from_contract(VisitNotes, self)


class SelfRatingIn(In):
    """EQ-5D-5L plus the two extra questions (worry, safety): at the first and the last visit."""

    mobility: StrictInt = Field(ge=1, le=5)
    self_care: StrictInt = Field(ge=1, le=5)
    usual_activities: StrictInt = Field(ge=1, le=5)
    pain_discomfort: StrictInt = Field(ge=1, le=5)
    anxiety_depression: StrictInt = Field(ge=1, le=5)
    vas: StrictInt = Field(ge=0, le=100)
    worry: StrictInt = Field(ge=1, le=5)
    safety: StrictInt = Field(ge=1, le=5)


class StartIn(In):
    model_config = example({"started_at": "2026-11-26T08:31:00Z"})
    started_at: Instant | None = Field(None, description="Actual start (default: now).")


class CompleteIn(In):
    model_config = example(
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
    )
    started_at: Instant | None = Field(None, description="Actual start (default: when it was started).")
    ended_at: Instant | None = Field(None, description="Actual end (default: now).")
    notes: NotesIn | None = None
    self_rating: SelfRatingIn | None = None


class CancelIn(In):
    model_config = example({"reason": "declined"})
    reason: Literal["declined", "other"] = "declined"


class RescheduleIn(In):
    model_config = example({"planned_start": "2026-11-27T12:00:00Z", "duration_minutes": 60})
    planned_start: Instant
    duration_minutes: StrictInt | None = Field(None, ge=5, le=480)
    staff_id: StaffId | None = None


class LocationIn(In):
    model_config = example({"lat": 60.546, "lon": 16.283})
    lat: StrictFloat = Field(ge=55.0, le=69.5, description="Latitude (Sweden).")
    lon: StrictFloat = Field(ge=10.0, le=24.5, description="Longitude (Sweden).")


class VisitOut(Out):
    model_config = example(
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


class PersonOut(Out):
    given_name: str
    family_name: str
    street: str | None
    postal_code: str | None
    city: str | None
    phone: str | None


class DayVisitOut(VisitOut):
    person_ref: str
    person: PersonOut | None = Field(description="Who to visit and where (personal data: the read is audited).")


class NotesOut(Out):
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


class PeriodOut(Out):
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


class PlanOut(Out):
    case_id: str
    person_ref: str
    person: PersonOut | None
    at_home: bool
    period: PeriodOut
    visits: list[PlanVisitOut]


def visit_out(model: type[V], plan: CasePlan, v: Visit, **given: Any) -> V:
    """A visit of the case's plan as `model` (`VisitOut` or a larger one) by field name; the case and
    its person from the plan, who did it and for how long as the API shows them."""
    contact = plan.period.contact_person_id if plan.period else None
    return to_contract(
        model,
        v,
        plan,
        by_contact_person=v.staff_id is not None and v.staff_id == contact,
        duration_minutes=v.minutes if v.status == VisitStatus.COMPLETED else None,
        **given,
    )


def person_out(plan: CasePlan) -> PersonOut | None:
    return PersonOut.model_validate(plan.contact) if plan.contact is not None else None


def plan_out(plan: CasePlan) -> PlanOut:
    p = plan.period
    assert p is not None
    # The self-rating is shown as it was taken (not validated again on the way out).
    visits = [
        visit_out(
            PlanVisitOut,
            plan,
            v,
            self_rating=SelfRatingIn.model_construct(**vars(v.self_rating)) if v.self_rating else None,
        )
        for v in plan.ordered_visits()
    ]
    period = to_contract(PeriodOut, p, minutes_used=plan.minutes_used())
    return to_contract(PlanOut, plan, person=person_out(plan), period=period, visits=visits)
