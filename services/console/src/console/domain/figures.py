"""The follow-up figures, per month and team, each with its definition (shown on the page).

Pure functions of the case states (which are folds of the events): replaying the same events
gives the same figures. Months and days are Swedish local time (Europe/Stockholm). A case
belongs to the team that carries its period (scheduling), else to the team named in its
decision; cases with neither count only in the "all teams" row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from console.domain.cases import CaseState
from console.domain.teams import TeamState
from console.domain.text import N_
from console.domain.visits import STOCKHOLM

ALL_TEAMS = "*"
READMISSION_WINDOW = timedelta(days=30)
HOME_DESTINATIONS = frozenset({"home", None})
NOT_AT_HOME = frozenset({"special_housing", "short_term_stay", "deceased"})


@dataclass(frozen=True)
class FigureDefinition:
    key: str
    title: str
    unit: str  # people, share, days, kr, points, staff
    definition: str
    all_teams_only: bool = False


FIGURES: tuple[FigureDefinition, ...] = (
    FigureDefinition(
        "people_served",
        N_("People served"),
        "people",
        N_(
            "Distinct people with a Trygg hemgång period on at least one day of the month: the period "
            "scheduling planned (first day to actual or planned last day), or, before one is planned, the "
            "granted decision's first to last day (not while the case waits for a place)."
        ),
    ),
    FigureDefinition(
        "people_new",
        N_("New people"),
        "people",
        N_("Distinct people whose Trygg hemgång period started in the month."),
    ),
    FigureDefinition(
        "home_before_liability",
        N_("Home before payment liability"),
        "share",
        N_(
            "Of the patients with a ready-for-discharge notice (utskrivningsklar) who were discharged home in "
            "the month, the share discharged before the municipality's payment liability (betalningsansvar) "
            "started."
        ),
    ),
    FigureDefinition(
        "days_ready_to_home",
        N_("Days from ready notice to home"),
        "days",
        N_(
            "Mean time from the ready-for-discharge notice to the discharge, in days (24 h), for the same "
            "patients as above."
        ),
    ),
    FigureDefinition(
        "liability_days",
        N_("Liability days"),
        "days",
        N_(
            "Days of payment liability to the region for the hospital stays that ended (discharge) in the "
            "month, as the referral service computed them under the region's agreement."
        ),
    ),
    FigureDefinition(
        "liability_cost",
        N_("Liability cost"),
        "kr",
        N_("The liability days above, each at the agreement's price per day."),
    ),
    FigureDefinition(
        "service_share",
        N_("Share of discharges that got the service"),
        "share",
        N_(
            "Of the municipality's patients discharged home in the month (every case the console knows "
            "of), the share with a granted Trygg hemgång decision."
        ),
        all_teams_only=True,
    ),
    FigureDefinition(
        "distinct_staff",
        N_("Distinct staff per client"),
        "staff",
        N_(
            "For periods that ended in the month, the mean number of different team members who made the "
            "client's completed visits (the follow-up call not counted). Lower is better."
        ),
    ),
    FigureDefinition(
        "contact_person_share",
        N_("Visits by the contact person"),
        "share",
        N_("For periods that ended in the month, the share of completed visits made by the client's contact person."),
    ),
    FigureDefinition(
        "living_at_home",
        N_("Living at home at the follow-up call"),
        "share",
        N_(
            "Of the follow-up calls held in the month, the share where the person lived at home: not "
            "admitted to hospital again (a new admission notice for the same person) between the period's "
            "start and the call, not died, and not discharged to short-term stay or special housing."
        ),
    ),
    FigureDefinition(
        "readmitted_30d",
        N_("Readmitted within 30 days"),
        "share",
        N_(
            "Of the people with a Trygg hemgång decision discharged in the month, the share admitted to "
            "hospital again (a new admission notice for the same person) within 30 days of the discharge. "
            "A recent month can still rise until 30 days have passed."
        ),
    ),
    FigureDefinition(
        "eq5d_vas_change",
        N_("EQ VAS change"),
        "points",
        N_(
            "For periods that ended in the month with a self-rating at both the first and the last visit, "
            "the mean change of EQ VAS (own health today, 0-100) from the first to the last visit. "
            "Positive is better."
        ),
    ),
    FigureDefinition(
        "eq5d_level_change",
        N_("EQ-5D-5L level-sum change"),
        "points",
        N_(
            "For the same periods, the mean change of the sum of the five EQ-5D-5L levels (5 = no problems, "
            "25 = extreme problems in every dimension) from the first to the last visit. Negative is better. "
            "No value set (index) is applied."
        ),
    ),
    FigureDefinition(
        "cost_per_period",
        N_("Team cost per period"),
        "kr",
        N_(
            "For periods that ended in the month, the mean of the completed visits' hours (follow-up call "
            "not counted) times the configured cost per team hour."
        ),
    ),
    FigureDefinition(
        "short_term_stay_cost",
        N_("Short-term stay for the same days"),
        "kr",
        N_(
            "What the same periods would have cost as short-term stay (korttidsboende): the mean of the "
            "period's days (first to actual last day, inclusive) times the configured cost per day."
        ),
    ),
    FigureDefinition(
        "homecoming_checklist_complete",
        N_("Homecomings with a complete checklist"),
        "share",
        N_(
            "Of the homecoming visits begun in the month (by their actual start) in cases with a homecoming "
            "checklist, the share where every item of the team's checklist (by default: aids in place, the "
            "medication list received, the safety alarm ordered, keys or a digital lock arranged, SIP planned) "
            "was ticked when the visit began."
        ),
    ),
    FigureDefinition(
        "sip_home_at_discharge",
        N_("SIP held in the home at discharge"),
        "people",
        N_(
            "People discharged home in the month whose SIP meeting (samordnad individuell plan) is held in the "
            "home, as the first invitation recorded says (the hospital's sip_kallelse or an officer's record), "
            "counted in the month of the discharge as called (whether it took place is not reported)."
        ),
    ),
    FigureDefinition(
        "sip_within_3_days",
        N_("SIP invitation within 3 days"),
        "share",
        N_(
            "Of the cases whose SIP deadline fell in the month and is settled (an invitation recorded, or the "
            "deadline passed without one), the share invited by the deadline: the end of the third calendar day "
            "after the day of the ready-for-discharge notice, owed when a fast vårdkontakt is named."
        ),
    ),
)

FIGURE_KEYS = tuple(f.key for f in FIGURES)


@dataclass(frozen=True)
class UnitCosts:
    """Unit costs for the cost comparison (configured per municipality; None = not configured)."""

    team_hour_sek: int | None = None
    short_term_stay_day_sek: int | None = None


@dataclass(frozen=True)
class Value:
    """One figure's value; shares keep their numerator and denominator."""

    value: float | None
    numerator: float | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Row:
    month: str  # YYYY-MM
    team: str  # team id, or ALL_TEAMS
    team_label: str
    values: Mapping[str, Value]


def month_of(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone(STOCKHOLM).date()
    return f"{moment.year:04d}-{moment.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month."""
    year, mon = int(month[:4]), int(month[5:7])
    first = date(year, mon, 1)
    nxt = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return first, nxt - timedelta(days=1)


def resolve_team(case: CaseState, teams: Mapping[str, TeamState]) -> str | None:
    """The team id a case counts for (a decision's team name is matched to a configured team)."""
    key = case.team_key
    if key is None or key in teams:
        return key
    for team in teams.values():
        if team.name and team.name.casefold() == key.casefold():
            return team.team_id
    return key


def service_span(case: CaseState) -> tuple[date, date] | None:
    """First and last day of the person's Trygg hemgång: the period, else the decision's dates.

    None when there was none, also when it ended before its first day (0 days: not served).
    """
    if case.period is not None:
        first, last = case.period.start_date, case.period.ended_on or case.period.end_date
        return (first, last) if last >= first else None
    d = case.decision
    if d is None or not case.got_service or d.start_date is None:
        return None
    if case.waiting is not None and case.waiting.waiting:
        return None  # granted, but waiting for a place: not served yet
    end = d.ended_on or d.end_date or (d.start_date + timedelta(days=(d.length_days or 1) - 1))
    return (d.start_date, end) if end >= d.start_date else None


def compute(
    cases: Sequence[CaseState],
    teams: Mapping[str, TeamState],
    months: Sequence[str],
    costs: UnitCosts = UnitCosts(),
) -> list[Row]:
    """Every figure for every month given, for all teams and for each team with data."""
    by_team: dict[str, list[CaseState]] = defaultdict(list)
    for case in cases:
        team = resolve_team(case, teams)
        if team is not None:
            by_team[team].append(case)
    admissions = _admissions_by_person(cases)
    rows: list[Row] = []
    for month in months:
        rows.append(Row(month, ALL_TEAMS, N_("All teams"), _figures(cases, month, admissions, costs, all_teams=True)))
        for team_id in sorted(by_team, key=lambda t: (teams[t].label if t in teams else t).casefold()):
            label = teams[team_id].label if team_id in teams else team_id
            values = _figures(by_team[team_id], month, admissions, costs, all_teams=False)
            rows.append(Row(month, team_id, label, values))
    return rows


def _admissions_by_person(cases: Iterable[CaseState]) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = defaultdict(list)
    for c in cases:
        if c.admitted_at is not None and c.person_ref:
            out[c.person_ref].append(c.admitted_at)
    return out


def _share(items: Iterable[CaseState], test: Callable[[CaseState], bool]) -> Value:
    chosen = list(items)
    if not chosen:
        return Value(None, 0, 0)
    hits = sum(1 for c in chosen if test(c))
    return Value(hits / len(chosen), hits, len(chosen))


def _mean(values: Sequence[float], digits: int = 1) -> Value:
    if not values:
        return Value(None, None, 0)
    return Value(round(sum(values) / len(values), digits), round(sum(values), 6), len(values))


def _in(month: str, moment: datetime | date | None) -> bool:
    return moment is not None and month_of(moment) == month


def _figures(
    cases: Sequence[CaseState],
    month: str,
    admissions: Mapping[str, list[datetime]],
    costs: UnitCosts,
    *,
    all_teams: bool,
) -> dict[str, Value]:
    """Every figure of one month for these cases, in the order of `FIGURES`."""
    # Periods that ended this month after at least one day (one cancelled before it began is none).
    ended = [c for c in cases if c.period is not None and _in(month, c.period.ended_on) and service_span(c)]
    calls = [c for c in cases if _in(month, c.follow_up_call_at)]
    values = {
        **_people(cases, month),
        **_discharges(cases, month, admissions, all_teams=all_teams),
        **_ended_periods(ended, costs),
        "living_at_home": _share(calls, lambda c: _at_home(c, admissions)),
        "homecoming_checklist_complete": checklist_complete_share(cases, month),
        **_sip(cases, month),
    }
    return {key: values[key] for key in FIGURE_KEYS}


def _people(cases: Sequence[CaseState], month: str) -> dict[str, Value]:
    """People with Trygg hemgång during the month, and those whose service began in it."""
    first, last = month_bounds(month)
    spans = [(c, service_span(c)) for c in cases]
    served = {c.person_ref for c, s in spans if s and s[0] <= last and s[1] >= first}
    new = {c.person_ref for c, s in spans if s and first <= s[0] <= last}
    return {"people_served": Value(float(len(served))), "people_new": Value(float(len(new)))}


def _discharges(
    cases: Sequence[CaseState], month: str, admissions: Mapping[str, list[datetime]], *, all_teams: bool
) -> dict[str, Value]:
    """The month's discharges: home before liability, days from ready to home, liability, the
    service's share of discharges home (all teams only), readmissions."""
    discharged = [c for c in cases if _in(month, c.discharged_at)]
    home = [c for c in discharged if c.destination in HOME_DESTINATIONS]
    home_after_ready = [c for c in home if c.ready_at is not None and c.liability_starts_at is not None]
    ready_to_home = [
        (c.discharged_at - c.ready_at).total_seconds() / 86400
        for c in home_after_ready
        if c.discharged_at and c.ready_at
    ]
    liable = sum(c.liable_days for c in discharged)
    cost = sum(c.liable_days * (c.daily_price_sek or 0) for c in discharged)
    served_discharges = [c for c in discharged if c.got_service]

    def readmitted(c: CaseState) -> bool:
        out = c.discharged_at
        assert out is not None
        return any(out < a <= out + READMISSION_WINDOW for a in admissions.get(c.person_ref, []))

    return {
        "home_before_liability": _share(
            home_after_ready,
            lambda c: (
                c.discharged_at is not None
                and c.liability_starts_at is not None
                and c.discharged_at < c.liability_starts_at
            ),
        ),
        "days_ready_to_home": _mean(ready_to_home),
        "liability_days": Value(float(liable)),
        "liability_cost": Value(float(cost)),
        "service_share": _share(home, lambda c: c.got_service) if all_teams else Value(None),
        "readmitted_30d": _share(served_discharges, readmitted),
    }


def _sip(cases: Sequence[CaseState], month: str) -> dict[str, Value]:
    """SIP held in the home for the month's discharges home; invitations by the deadlines of the month."""
    home = [
        c
        for c in cases
        if _in(month, c.discharged_at) and c.destination in HOME_DESTINATIONS and c.sip and c.sip.place == "home"
    ]
    settled = [
        c for c in cases if c.sip and _in(month, c.sip.deadline) and (c.sip.invited_in_time is not None or c.sip.lapsed)
    ]
    return {
        "sip_home_at_discharge": Value(float(len(home))),
        "sip_within_3_days": _share(settled, lambda c: c.sip is not None and c.sip.invited_in_time is True),
    }


def _ended_periods(ended: Sequence[CaseState], costs: UnitCosts) -> dict[str, Value]:
    """The periods that ended in the month: continuity, EQ-5D change and costs."""
    with_visits = [(c, c.completed_visits()) for c in ended]
    with_visits = [(c, v) for c, v in with_visits if v]
    distinct = [float(len({v.staff_id for v in visits})) for _, visits in with_visits]
    total_visits = sum(len(v) for _, v in with_visits)
    by_contact = sum(1 for _, visits in with_visits for v in visits if v.by_contact_person)
    rated = [(c.ratings()) for c in ended]
    pairs = [(a, b) for a, b in rated if a is not None and b is not None]
    return {
        "distinct_staff": _mean(distinct, 2),
        "contact_person_share": Value(by_contact / total_visits, by_contact, total_visits)
        if total_visits
        else Value(None, 0, 0),
        "eq5d_vas_change": _mean([float(b.vas - a.vas) for a, b in pairs]),
        "eq5d_level_change": _mean([float(b.level_sum - a.level_sum) for a, b in pairs]),
        "cost_per_period": _period_costs(ended, costs.team_hour_sek, _team_cost),
        "short_term_stay_cost": _period_costs(ended, costs.short_term_stay_day_sek, _stay_cost),
    }


def homecoming_started(case: CaseState) -> datetime | None:
    """When the (first) homecoming visit began; None when it has not."""
    starts = [v.started_at for v in case.visits.values() if v.kind == "homecoming" and v.started_at is not None]
    return min(starts, default=None)


def checklist_complete_share(cases: Sequence[CaseState], month: str) -> Value:
    """Homecomings begun in the month whose checklist was complete at that moment."""
    begun = [(c, homecoming_started(c)) for c in cases if c.checklist is not None]
    in_month = [(c, at) for c, at in begun if at is not None and _in(month, at)]
    hits = sum(1 for c, at in in_month if c.checklist is not None and c.checklist.complete_at(at))
    return Value(hits / len(in_month), hits, len(in_month)) if in_month else Value(None, 0, 0)


def _at_home(c: CaseState, admissions: Mapping[str, list[datetime]]) -> bool:
    """Living at home at the follow-up call: not dead, not moved on, not admitted again before it."""
    if c.deceased or c.destination in NOT_AT_HOME:
        return False
    span = service_span(c)
    since = c.discharged_at or (datetime.combine(span[0], datetime.min.time(), STOCKHOLM) if span else None)
    call = c.follow_up_call_at
    if since is None or call is None:
        return True
    return not any(since < a <= call for a in admissions.get(c.person_ref, []) if a != c.admitted_at)


def _team_cost(case: CaseState, per_hour: int) -> float:
    minutes = sum(v.duration_minutes or 0 for v in case.completed_visits())
    return minutes / 60 * per_hour


def _stay_cost(case: CaseState, per_day: int) -> float:
    assert case.period is not None
    assert case.period.ended_on is not None
    days = (case.period.ended_on - case.period.start_date).days + 1
    return days * per_day


def _period_costs(ended: Sequence[CaseState], unit: int | None, cost: Callable[[CaseState, int], float]) -> Value:
    if unit is None:
        return Value(None)
    return _mean([cost(c, unit) for c in ended], 0)


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, inclusive (YYYY-MM)."""
    out = []
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
