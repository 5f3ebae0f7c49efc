"""The needs-assessment officer's decision (biståndsbeslut) and the municipality's service profile.

For Trygg hemgång the decision is a frame decision (rambeslut): a start day, a length in days up
to the municipality's maximum, the team, and whether ordinary home care (hemtjänst) is ordered
for evenings, nights and weekends. Gotland's variant, the hemgångsbeslut, grants a pot of hours
(`hours_granted`) instead, with the detailed assessment made in the home; it may also have a
length in days, within the same maximum. Relatives are informed only with the person's recorded
consent (per relative, revocable), which needs a mobile number to be of any use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
Language = words.Language
EndReason = words.DecisionEndReason
DecisionType = words.DecisionType

# The decisions that grant a service, and those a Trygg hemgång team carries out (which scheduling plans).
SERVICE_DECISIONS = frozenset(
    {DecisionType.TRYGG_HEMGANG, DecisionType.HEMGANGSBESLUT, DecisionType.HEMTJANST_ONLY, DecisionType.SHORT_TERM_STAY}
)
TEAM_DECISIONS = frozenset({DecisionType.TRYGG_HEMGANG, DecisionType.HEMGANGSBESLUT})


class DecisionError(ValueError):
    """A decision that breaks a rule; the message is shown to the officer as is."""


class DecisionNotActive(DecisionError):
    """The decision has ended (or grants no service): it cannot be changed or ended now."""


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_HOURS_GRANTED = 336  # 14 days around the clock: far above any real pot, catches typos


@dataclass(frozen=True)
class MunicipalityProfile:
    """Service parameters of one municipality (DOMAIN.md: 'Service parameters seen in the seeds')."""

    name: str = "default"
    max_length_days: int = 14
    teams: tuple[str, ...] = ()  # empty: any team name is accepted
    # (name, team id) of the teams whose id is configured: ids as scheduling and team tokens know them.
    team_ids: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.max_length_days <= 90:
            raise ValueError("max_length_days must be between 1 and 90")

    def team_id_of(self, team: str | None) -> str | None:
        """The id of the team a decision names: a configured team by its name or id, case-insensitive
        (as scheduling resolves a decision's team); None when the profile does not know it."""
        if not team:
            return None
        wanted = team.strip().casefold()
        return next((i for n, i in self.team_ids if wanted in (n.casefold(), i.casefold())), None)

    def names_of(self, team_ids: frozenset[str]) -> frozenset[str]:
        """The configured names of these team ids (decisions stored before team ids name them so)."""
        return frozenset(n for n, i in self.team_ids if i in team_ids)


@dataclass(frozen=True)
class Consent:
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Relative:
    relative_id: str
    name: str
    phone: str | None = None
    language: Language = Language.SV
    consent: Consent | None = None

    def validate(self) -> None:
        if not self.name.strip():
            raise DecisionError("a relative needs a name")
        if self.phone is not None and not _E164.match(self.phone):
            raise DecisionError(f"relative {self.relative_id}: phone must be in E.164 form, e.g. +46701234567")
        if self.consent is not None and self.phone is None:
            raise DecisionError(f"relative {self.relative_id}: consent to inform needs a phone number")


@dataclass(frozen=True)
class Ending:
    end_date: date
    reason: EndReason
    ended_by: str
    ended_at: datetime


@dataclass(frozen=True)
class Decision:
    decision_id: str
    decision_type: DecisionType
    granted_by: str
    granted_at: datetime
    start_date: date | None = None
    length_days: int | None = None
    team: str | None = None
    hemtjanst_evenings_nights_weekends: bool = False
    relatives: tuple[Relative, ...] = ()
    notes: str | None = None
    ending: Ending | None = None
    hours_granted: int | None = None
    changes: tuple[str, ...] = field(default=())
    # The team's id, when the profile knew it at the grant; a decision stored before ids has None.
    team_id: str | None = None

    def team_key(self, profile: MunicipalityProfile) -> str | None:
        """The team that carries the decision out, as a team id when known: the recorded id, else
        the profile's id for the name (decisions stored before ids), else the name as given
        (scheduling plans a decision by the team's id or name)."""
        if not self.team:
            return None
        return self.team_id or profile.team_id_of(self.team) or self.team

    @property
    def end_date(self) -> date | None:
        if self.ending is not None:
            return self.ending.end_date
        if self.start_date is None or self.length_days is None:
            return None
        return self.start_date + timedelta(days=self.length_days - 1)

    @property
    def active(self) -> bool:
        return self.ending is None and self.decision_type in SERVICE_DECISIONS


def grant(draft: Decision, profile: MunicipalityProfile) -> Decision:
    """A new decision as the officer gave it (`draft`), checked against the profile and the consent
    rules, with the id of its team when the profile knows it."""
    if draft.decision_type is DecisionType.HEMGANGSBESLUT:
        if draft.start_date is None:
            raise DecisionError("a hemgångsbeslut needs a start date (normally the discharge day)")
        if draft.hours_granted is None:
            raise DecisionError("a hemgångsbeslut needs the hours granted")
        _check_hours(draft.hours_granted)
        if draft.length_days is not None:
            _check_length(draft.length_days, profile)
    elif draft.hours_granted is not None:
        raise DecisionError("only a hemgångsbeslut grants hours")
    if draft.decision_type is DecisionType.TRYGG_HEMGANG:
        if draft.start_date is None:
            raise DecisionError("a Trygg hemgång decision needs a start date (normally the discharge day)")
        if draft.length_days is None:
            raise DecisionError("a Trygg hemgång decision needs a length in days")
        _check_length(draft.length_days, profile)
    if draft.decision_type in TEAM_DECISIONS:
        if not draft.team:
            label = "Trygg hemgång decision" if draft.decision_type is DecisionType.TRYGG_HEMGANG else "hemgångsbeslut"
            raise DecisionError(f"a {label} needs the team that carries it out")
        if profile.teams and draft.team not in profile.teams:
            raise DecisionError(f"unknown team; this municipality's teams are: {', '.join(profile.teams)}")
    elif draft.length_days is not None:
        if draft.length_days < 1:
            raise DecisionError("length must be at least 1 day")
        if draft.start_date is None:
            raise DecisionError("a length needs a start date")
    if draft.decision_type not in SERVICE_DECISIONS and (
        draft.team or draft.relatives or draft.hemtjanst_evenings_nights_weekends
    ):
        raise DecisionError(
            f"a {draft.decision_type.value} decision grants no service: no team, relatives or home care"
        )
    _check_relatives(draft.relatives)
    return replace(draft, team_id=profile.team_id_of(draft.team))


def change(
    decision: Decision,
    *,
    profile: MunicipalityProfile,
    length_days: int | None = None,
    hemtjanst_evenings_nights_weekends: bool | None = None,
    relatives: tuple[Relative, ...] | None = None,
    withdraw_consent_of: tuple[str, ...] = (),
    hours_granted: int | None = None,
) -> tuple[Decision, tuple[str, ...]]:
    """The decision after the change, and what changed (`extended`, `shortened`, ...).

    Raises `DecisionNotActive` when the decision no longer runs (a conflict with its state),
    `DecisionError` when the change itself breaks a rule.
    """
    if not decision.active:
        raise DecisionNotActive("only an active decision that grants a service can be changed")
    changes: list[str] = []
    updated = decision
    if length_days is not None and length_days != decision.length_days:
        if decision.start_date is None:
            raise DecisionError("this decision has no start date; its length cannot change")
        if decision.decision_type in TEAM_DECISIONS:
            _check_length(length_days, profile)
        elif length_days < 1:
            raise DecisionError("length must be at least 1 day")
        changes.append("extended" if (decision.length_days or 0) < length_days else "shortened")
        updated = replace(updated, length_days=length_days)
    if hours_granted is not None and hours_granted != decision.hours_granted:
        if decision.decision_type is not DecisionType.HEMGANGSBESLUT:
            raise DecisionError("only a hemgångsbeslut grants hours")
        _check_hours(hours_granted)
        kind = "extended" if (decision.hours_granted or 0) < hours_granted else "shortened"
        if kind not in changes:
            changes.append(kind)
        updated = replace(updated, hours_granted=hours_granted)
    if (
        hemtjanst_evenings_nights_weekends is not None
        and hemtjanst_evenings_nights_weekends != decision.hemtjanst_evenings_nights_weekends
    ):
        changes.append("other")
        updated = replace(updated, hemtjanst_evenings_nights_weekends=hemtjanst_evenings_nights_weekends)
    if relatives is not None and relatives != decision.relatives:
        _check_relatives(relatives)
        changes.append("relatives_changed")
        updated = replace(updated, relatives=relatives)
    if withdraw_consent_of:
        updated = _withdraw_consent(updated, withdraw_consent_of)
        changes.append("consent_withdrawn")
    if not changes:
        return decision, ()  # nothing differs from the decision as it stands
    return replace(updated, changes=(*decision.changes, *changes)), tuple(changes)


def _withdraw_consent(decision: Decision, relative_ids: tuple[str, ...]) -> Decision:
    """The decision with these relatives' consent withdrawn; each must be on the decision."""
    known = {r.relative_id for r in decision.relatives}
    unknown = sorted(set(relative_ids) - known)
    if unknown:
        raise DecisionError(f"no such relative on this decision: {', '.join(unknown)}")
    return replace(
        decision,
        relatives=tuple(replace(r, consent=None) if r.relative_id in relative_ids else r for r in decision.relatives),
    )


def end(decision: Decision, *, end_date: date, reason: EndReason, ended_by: str, now: datetime) -> Decision:
    if not decision.active:
        raise DecisionNotActive("the decision is not active")
    if decision.start_date is not None and end_date < decision.start_date - timedelta(days=1):
        raise DecisionError("the end date is before the start date")
    planned_end = decision.end_date
    if planned_end is not None and end_date > planned_end:
        raise DecisionError("ending early cannot move the end later; extend the decision instead")
    return replace(decision, ending=Ending(end_date, reason, ended_by, now))


def _check_length(length_days: int, profile: MunicipalityProfile) -> None:
    if length_days < 1:
        raise DecisionError("length must be at least 1 day")
    if length_days > profile.max_length_days:
        raise DecisionError(f"length may be at most {profile.max_length_days} days in this municipality")


def _check_hours(hours_granted: int) -> None:
    if not 1 <= hours_granted <= MAX_HOURS_GRANTED:
        raise DecisionError(f"hours granted must be between 1 and {MAX_HOURS_GRANTED}")


def _check_relatives(relatives: tuple[Relative, ...]) -> None:
    ids = [r.relative_id for r in relatives]
    if len(ids) != len(set(ids)):
        raise DecisionError("each relative needs its own relative_id")
    for relative in relatives:
        relative.validate()
