"""Scheduling bench: planning speed, sick-call re-plan speed, and continuity against round-robin.

Pure domain (no servers): the same code the service runs inside its use cases.

1. Time to plan one 14-day period for a team of 7 that already has its other clients planned
   (median and p95 over repeated runs; the roster of the other clients is copied each time).
2. Time to re-plan a day after a sick call: the member with the most visits that day is away,
   and every visit of theirs is re-staffed across all clients (median and p95).
3. A month of 25 clients (starts spread over the month, 14-day periods, Stockholm profile:
   weekdays 08:00-16:30) and a team of 7 with two members on leave for a week each:
   average distinct staff per client and share of each client's visits made by the contact
   person, for our planner and for a round-robin baseline over the very same visits (each
   visit to the next member free that day, in turn), computed in the same run.

Usage: .venv/bin/python bench/scheduling/run.py [--runs 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from scheduling.domain.plan import CasePlan, DecisionTerms, PlanContext, team_roster
from scheduling.domain.profiles import team_config
from scheduling.domain.staffing import ConstantTravel
from scheduling.domain.team import Absence, AbsenceKind, Team
from scheduling.domain.vocab import TEAM_VISITS, PeriodKind, VisitStatus

NOW = datetime(2026, 2, 27, 8, tzinfo=UTC)
MONTH_START = date(2026, 3, 2)  # a Monday; March 2026 has no public holiday
TRAVEL = ConstantTravel(15)


def make_team() -> Team:
    config = replace(team_config("stockholm", "Bench", "+46701740699", members=7), clients_per_day=30)
    team = Team("bench", config)
    team.record_absence("stockholm-us2", Absence(date(2026, 3, 9), date(2026, 3, 13), AbsenceKind.LEAVE))
    team.record_absence("stockholm-us5", Absence(date(2026, 3, 23), date(2026, 3, 27), AbsenceKind.SICK))
    return team


def make_plan(i: int, start: date) -> CasePlan:
    plan = CasePlan(
        f"case-{i:02d}",
        f"p_{i:02d}",
        planned_discharge_at=datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=9 + i % 4),
    )
    end = start + timedelta(days=13)
    plan.record_decision(DecisionTerms(f"d{i}", PeriodKind.DAYS, start, end, 14, "bench", None, True, NOW))
    return plan


def month(team: Team, clients: int = 25) -> list[CasePlan]:
    plans: list[CasePlan] = []
    for i in range(clients):
        start = MONTH_START + timedelta(days=round(i * 30 / clients))
        plan = make_plan(i, start)
        plan.plan(PlanContext(team, team_roster(plans), TRAVEL, NOW))
        plans.append(plan)
    return plans


def continuity_of(assignments: dict[str, list[str]], contacts: dict[str, str | None]) -> tuple[float, float]:
    distinct = [len(set(staff)) for staff in assignments.values()]
    total = sum(len(staff) for staff in assignments.values())
    by_contact = sum(sum(1 for s in staff if s == contacts[case]) for case, staff in assignments.items())
    return statistics.mean(distinct), by_contact / total


def ours(plans: list[CasePlan]) -> tuple[float, float]:
    assignments = {
        p.case_id: [v.staff_id for v in p.ordered_visits() if v.kind in TEAM_VISITS and v.staff_id] for p in plans
    }
    contacts = {p.case_id: p.period.contact_person_id if p.period else None for p in plans}
    return continuity_of(assignments, contacts)  # type: ignore[arg-type]


def round_robin(team: Team, plans: list[CasePlan]) -> tuple[float, float]:
    """The same visits, each to the next member in turn who works that day (absences respected)."""
    visits = sorted(
        ((v.planned_start, p.case_id, v.day) for p in plans for v in p.visits.values() if v.kind in TEAM_VISITS),
    )
    members = [m for m in team.active_members()]
    turn = 0
    assignments: dict[str, list[str]] = {p.case_id: [] for p in plans}
    for _start, case_id, day in visits:
        for _ in range(len(members)):
            member = members[turn % len(members)]
            turn += 1
            if team.member_window(member, day) is not None:
                assignments[case_id].append(member.staff_id)
                break
    # The baseline's "contact person" is each client's most frequent member (in its favour).
    contacts: dict[str, str | None] = {
        case: Counter(staff).most_common(1)[0][0] if staff else None for case, staff in assignments.items()
    }
    return continuity_of(assignments, contacts)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_planning(team: Team, plans: list[CasePlan], runs: int) -> list[float]:
    others = plans[:-1]
    roster = team_roster(others)
    start = MONTH_START + timedelta(days=20)
    samples = []
    for _ in range(runs):
        plan = make_plan(99, start)
        began = time.perf_counter()
        plan.plan(PlanContext(team, roster, TRAVEL, NOW))  # copies the roster inside
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def time_sick_call(team: Team, plans: list[CasePlan], runs: int) -> tuple[list[float], tuple[int, int, int], str, date]:
    day = MONTH_START + timedelta(days=16)  # a Wednesday in the busiest stretch
    load = Counter(
        v.staff_id
        for p in plans
        for v in p.visits.values()
        if v.day == day and v.staff_id and v.status == VisitStatus.SCHEDULED
    )
    absent, _ = load.most_common(1)[0]
    samples = []
    outcome = (0, 0, 0)
    for _ in range(runs):
        copies = copy.deepcopy(plans)
        sick = copy.deepcopy(team)
        sick.record_absence(absent, Absence(day, day, AbsenceKind.SICK))
        began = time.perf_counter()
        roster = team_roster(copies)
        moved = unstaffed = kept = 0
        for plan in copies:
            _events, m, u, k = plan.restaff_day(day, absent, PlanContext(sick, roster, TRAVEL, NOW), roster)
            moved, unstaffed, kept = moved + m, unstaffed + u, kept + k
        samples.append((time.perf_counter() - began) * 1000)
        outcome = (moved, unstaffed, kept)
    return samples, outcome, absent, day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="repetitions of each timing")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    team = make_team()
    month(team, 3)  # warm up (the holiday tables load on first use)
    plans = month(team)
    plan_ms = time_planning(team, plans, args.runs)
    sick_ms, (moved, unstaffed, kept), absent, day = time_sick_call(team, plans, max(5, args.runs // 5))
    our_distinct, our_share = ours(plans)
    rr_distinct, rr_share = round_robin(team, plans)
    visits = sum(1 for p in plans for v in p.visits.values() if v.kind in TEAM_VISITS)

    print("Scheduling bench (pure domain, one process)")
    print(
        f"  plan one 14-day period (team of 7, 24 clients planned): median {statistics.median(plan_ms):.1f} ms, "
        f"p95 {percentile(plan_ms, 0.95):.1f} ms over {len(plan_ms)} runs"
    )
    print(
        f"  re-plan a day after a sick call ({absent} on {day}): median {statistics.median(sick_ms):.1f} ms, "
        f"p95 {percentile(sick_ms, 0.95):.1f} ms; {moved} visits reassigned, {unstaffed} unstaffed, "
        f"{kept} to a member the client had met"
    )
    print(f"  a month of 25 clients, team of 7 ({visits} team visits, two members away a week each):")
    print(f"    {'':24} {'distinct staff/client':>22} {'share by contact person':>24}")
    print(f"    {'continuity planner':24} {our_distinct:>22.2f} {our_share:>23.0%}")
    print(f"    {'round-robin baseline':24} {rr_distinct:>22.2f} {rr_share:>23.0%}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "plan_period_ms": {"median": statistics.median(plan_ms), "p95": percentile(plan_ms, 0.95)},
                    "sick_call_replan_ms": {"median": statistics.median(sick_ms), "p95": percentile(sick_ms, 0.95)},
                    "sick_call": {"reassigned": moved, "unstaffed": unstaffed, "continuity_kept": kept},
                    "continuity": {"distinct_staff": our_distinct, "contact_share": our_share},
                    "round_robin": {"distinct_staff": rr_distinct, "contact_share": rr_share},
                    "team_visits": visits,
                },
                out,
                indent=2,
            )


if __name__ == "__main__":
    main()
