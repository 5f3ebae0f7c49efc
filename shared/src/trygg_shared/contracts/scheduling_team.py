"""Events the scheduling service publishes about a team (`SCHEDULING_TEAM_EVENTS`, keyed by team id).

Team configuration, capacity, the waiting list and day re-plans. Re-exported by
`trygg_shared.contracts.scheduling` with the period events; the same rules hold (see there).
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import IntegrationEvent, Part
from trygg_shared.contracts.topics import SCHEDULING_TEAM_EVENTS
from trygg_shared.fields import PlausibleDate, PlausibleDatetime, Text
from trygg_shared.vocabulary.scheduling import CapacityLimit, WaitingListChange

_PREFIX = "se.trygghemgang.scheduling."


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class WeekdayHours(Part):
    weekday: Weekday = Field(description="The weekday.")
    start: time = Field(description="The team's working day starts (local time).")
    end: time = Field(description="The team's working day ends (local time, exclusive).")


class TeamMember(Part):
    staff_id: Text = Field(description="Stable id of the team member (staff, not a client).")
    display_name: Text | None = Field(None, description="Work name shown to the team lead (staff).")
    active: bool = Field(True, description="False for a member who has left the team.")


# --- team events (keyed by team id) -------------------------------------------------------------


class _TeamEvent(IntegrationEvent):
    TOPIC: ClassVar[str] = SCHEDULING_TEAM_EVENTS
    PARTITION_KEY: ClassVar[str] = "team_id"

    team_id: Text = Field(description="The team; also the Kafka key.")


class TeamConfigured(_TeamEvent):
    """A team's configuration (created or changed): full current state, latest wins."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "team_configured.v1"
    name: Text = Field(description="The team's name, e.g. 'Trygg hemgång Hofors'.")
    phone: Text = Field(description="The team's phone number for the person and relatives (E.164).")
    hemtjanst_phone: Text | None = Field(
        None,
        description="The phone of the hemtjänst unit the team hands over to (E.164): relatives are told to call it "
        "after the handover; null when not configured (notification then uses its own default).",
    )
    municipality_profile: Text = Field(description="The municipality profile, e.g. 'hofors', 'jarfalla'.")
    municipality_code: Text | None = Field(None, description="Kommunkod of the municipality.")
    timezone: Text = Field("Europe/Stockholm", description="IANA time zone of the hours below.")
    hours: tuple[WeekdayHours, ...] = Field(description="Working hours per weekday; a missing weekday = day off.")
    works_on_holidays: bool = Field(description="The team works on Swedish public holidays.")
    clients_per_day: int = Field(ge=1, description="Capacity: clients the team can visit per day.")
    new_clients_per_month: int = Field(ge=1, description="Capacity: new clients (periods started) per month.")
    max_period_days: int = Field(ge=1, description="Longest period the team plans, in days.")
    members: tuple[TeamMember, ...] = Field((), description="The team's members (staff).")
    version: int = Field(ge=1, description="Configuration version; higher wins.")
    configured_at: PlausibleDatetime = Field(description="When.")


class TeamCapacityExceeded(_TeamEvent):
    """A case could not be planned: the team is full; the case is on the waiting list."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "team_capacity_exceeded.v1"
    case_id: Text = Field(description="The case that could not be planned.")
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    limit: CapacityLimit = Field(description="Which capacity limit was reached.")
    capacity: int = Field(ge=0, description="The limit's value.")
    on_date: PlausibleDate = Field(description="The first day (or month's first day) that was full.")
    waiting_count: int = Field(ge=0, description="Cases on the team's waiting list now.")
    occurred_at: PlausibleDatetime = Field(description="When.")


class WaitingListChanged(_TeamEvent):
    """A case joined, was planned from, or left the team's waiting list (FIFO)."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "waiting_list_changed.v1"
    case_id: Text = Field(description="The case.")
    person_ref: Text = Field(description="Pseudonymous reference to the person.")
    change: WaitingListChange = Field(description="added, planned or removed.")
    position: int | None = Field(None, ge=1, description="1-based place in the queue when added; None otherwise.")
    waiting_count: int = Field(ge=0, description="Cases waiting after the change.")
    waiting_since: PlausibleDatetime = Field(description="When the case joined the list.")
    requested_start_date: PlausibleDate | None = Field(None, description="The decision's start date.")
    changed_at: PlausibleDatetime = Field(description="When.")


class DayReplanned(_TeamEvent):
    """A team member was reported sick or absent: the day's visits were re-staffed."""

    EVENT_TYPE: ClassVar[str] = _PREFIX + "day_replanned.v1"
    day: PlausibleDate = Field(description="The day re-planned.")
    absent_staff_id: Text = Field(description="The member who is away.")
    visits_reassigned: int = Field(ge=0, description="Visits given to another member.")
    visits_unstaffed: int = Field(ge=0, description="Visits nobody could take (on-call must act).")
    continuity_kept: int = Field(
        ge=0, description="Reassigned visits that went to a member the client had already met."
    )
    replanned_at: PlausibleDatetime = Field(description="When.")


TEAM_EVENTS: tuple[type[IntegrationEvent], ...] = (
    TeamConfigured,
    TeamCapacityExceeded,
    WaitingListChanged,
    DayReplanned,
)
