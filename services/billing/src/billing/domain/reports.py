"""Reports: payment liability per region and month, and what the service costs.

Both are pure functions of the aggregates' state at a moment (`now`), so a report for a past
month is the same whenever it is asked for, unless facts about that month changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from billing.domain.care import CareCase
from billing.domain.liability import CaseLiability, liability_by_month
from billing.domain.money import Month, days_between, local_date, round_to_krona
from billing.domain.tariffs import Tariff
from trygg_shared.carry import carry

UNKNOWN_REGION = "unknown"


@dataclass(frozen=True)
class LiabilityRow:
    case_id: str
    person_ref: str
    region_code: str
    liability_starts_at: datetime | None
    discharged_at: datetime | None
    days: int
    amount_ore: int
    home_in_time: bool  # discharged this month before liability started
    running: bool  # the clock still runs (days as referral last counted them)


@dataclass(frozen=True)
class RegionTotals:
    region_code: str
    month: Month
    cases_liable: int
    liability_days: int
    amount_ore: int
    cases_home_in_time: int


@dataclass(frozen=True)
class LiabilityReport:
    month: Month
    rows: tuple[LiabilityRow, ...]
    regions: tuple[RegionTotals, ...]
    # Cases (pseudonymous ids) the report could not compute: left out of the rows and totals.
    left_out: tuple[str, ...] = ()


def liability_report(cases: Sequence[CaseLiability], month: Month, region: str | None = None) -> LiabilityReport:
    """Liable days and cost in `month` per case and region, and the cases brought home in time.

    The days and their cost are referral's count, as it sent it (a running clock's as of its
    last count); nothing is counted or priced here.
    """
    rows: list[LiabilityRow] = []
    for case in sorted(cases, key=lambda c: c.case_id):
        region_code = case.region_code or UNKNOWN_REGION
        if region is not None and region_code != region:
            continue
        in_month = [m for m in liability_by_month(case) if m.month == month]
        days = sum(m.days for m in in_month)
        amount = sum(m.amount_ore for m in in_month)
        home = (
            case.home_in_time and case.discharged_at is not None and Month.of(local_date(case.discharged_at)) == month
        )
        if not days and not home:
            continue
        last = max(case.periods, key=lambda p: p.ready_at, default=None)
        rows.append(
            carry(
                LiabilityRow,
                case,
                region_code=region_code,
                liability_starts_at=last.liability_starts_at if last else None,
                days=days,
                amount_ore=amount,
                home_in_time=home,
                running=case.open_period is not None,
            )
        )
    regions = []
    for code in sorted({r.region_code for r in rows}):
        mine = [r for r in rows if r.region_code == code]
        regions.append(
            RegionTotals(
                region_code=code,
                month=month,
                cases_liable=sum(1 for r in mine if r.days),
                liability_days=sum(r.days for r in mine),
                amount_ore=sum(r.amount_ore for r in mine),
                cases_home_in_time=sum(1 for r in mine if r.home_in_time),
            )
        )
    return LiabilityReport(month, tuple(rows), tuple(regions))


@dataclass(frozen=True)
class PeriodCost:
    """One team period's share of a month, and what the same days would have cost otherwise."""

    case_id: str
    person_ref: str
    period_id: str
    start_date: date
    last_day: date
    ended: bool
    days: int
    visits: int
    visit_minutes: int
    hour_cost_ore: int | None
    hour_cost_source: str | None  # "team" (own cost per hour) or "external" (provider's price)
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None


@dataclass(frozen=True)
class CostReport:
    month: Month
    periods: tuple[PeriodCost, ...]
    days: int
    visits: int
    visit_minutes: int
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None
    # Cases (pseudonymous ids) the report could not compute: left out of the periods and totals.
    left_out: tuple[str, ...] = ()


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known and len(known) == len(values) else None


def cost_report(
    cases: Sequence[CareCase],
    month: Month,
    tariff: Tariff | None,
    liability_price: Callable[[str | None, int], int | None],
) -> CostReport:
    """Visit hours and their cost per period in `month`, beside short-term stay and hospital days.

    The hour cost is the tariff's own team cost per hour when set, else the external provider's
    price; a comparison whose unit cost is not configured is None (and so is its total).
    """
    rows: list[PeriodCost] = []
    for case in sorted(cases, key=lambda c: c.case_id):
        region = case.municipality_code[:2] if case.municipality_code else None
        for period in sorted(case.periods.values(), key=lambda p: p.period_id):
            days = [d for d in days_between(period.start_date, period.last_day) if month.contains(d)]
            visits = [v for v in case.visits.values() if v.period_id == period.period_id and month.contains(v.day)]
            if not days and not visits:
                continue
            minutes = sum(v.minutes for v in visits)
            rate, source = _hour_cost(tariff)
            per_day = liability_price(region, month.year)
            sts = tariff.short_term_stay_cost_per_day_ore if tariff else None
            rows.append(
                carry(
                    PeriodCost,
                    period,
                    case,
                    ended=period.ended_on is not None,
                    days=len(days),
                    visits=len(visits),
                    visit_minutes=minutes,
                    hour_cost_ore=rate,
                    hour_cost_source=source,
                    visit_cost_ore=round_to_krona(Fraction(rate * minutes, 60)) if rate is not None else None,
                    short_term_stay_cost_ore=len(days) * sts if sts is not None else None,
                    hospital_liability_cost_ore=len(days) * per_day if per_day is not None else None,
                )
            )
    return CostReport(
        month=month,
        periods=tuple(rows),
        days=sum(r.days for r in rows),
        visits=sum(r.visits for r in rows),
        visit_minutes=sum(r.visit_minutes for r in rows),
        visit_cost_ore=_sum([r.visit_cost_ore for r in rows]),
        short_term_stay_cost_ore=_sum([r.short_term_stay_cost_ore for r in rows]),
        hospital_liability_cost_ore=_sum([r.hospital_liability_cost_ore for r in rows]),
    )


def _hour_cost(tariff: Tariff | None) -> tuple[int | None, str | None]:
    if tariff is None:
        return None, None
    if tariff.team_hour_cost_ore is not None:
        return tariff.team_hour_cost_ore, "team"
    if tariff.external_hourly_rate_ore is not None:
        return tariff.external_hourly_rate_ore, "external"
    return None, None


@dataclass
class LiabilitySummary:
    """The aggregate of one region's month: written once, by the monthly run."""

    totals: RegionTotals
    summarized_at: datetime


@dataclass(frozen=True)
class LiabilityMonthSummarized:
    """Domain event: a region's month of liability was summarised."""

    totals: RegionTotals
    summarized_at: datetime
