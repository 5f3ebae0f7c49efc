"""The municipality's payment liability to the region (betalningsansvar) for one case.

One record per case holds its ready periods and, after discharge, the liable days referral
computed for the stay. Referral puts the hospital's messages in order; Kafka keeps one case's
events in order; so each event is applied as it comes, the last one being the truth (stale
repeats are skipped by the consumer).

Which periods count is referral's to say: every clock event (ready, revoked, discharged, and a
makulering) names the periods that count after it (`counting`, their `ready_at`, the whole
picture), and a period not named is dropped: superseded by a later ready notice, or withdrawn,
also when it was revoked and kept days until its revocation was withdrawn, or closed by a
discharge that a later-arriving ready notice has since replaced. Events written before referral
sent that list (`counting` None) fall back to the old rule: a new ready notice supersedes the
open period.

The monthly report needs the liable *days*, not only their number: `liable_dates` lists them
with the same rule as referral's clock (every Stockholm day that liability touched counts
whole; a period ending exactly at local midnight does not touch the next day), period by
period, as referral adds them up. A revoked period keeps the days it accrued; a superseded one
accrued none (a new ready notice replaced its clock); the open one runs until now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from billing.domain.money import STOCKHOLM, Month, days_between, kronor, local_date


class PeriodStatus(StrEnum):
    OPEN = "open"  # the clock runs
    REVOKED = "revoked"  # ready notice revoked or withdrawn
    SUPERSEDED = "superseded"  # a later ready notice replaced it
    CLOSED = "closed"  # discharged


@dataclass(frozen=True)
class LiabilityPeriod:
    ready_at: datetime
    liability_starts_at: datetime
    agreement_id: str
    agreement_version: int
    daily_price_sek: int
    status: PeriodStatus = PeriodStatus.OPEN
    ended_at: datetime | None = None
    liable_days: int = 0
    source_event_id: str = ""


@dataclass(frozen=True)
class CaseLiability:
    case_id: str
    person_ref: str
    periods: tuple[LiabilityPeriod, ...] = field(default=())
    discharged_at: datetime | None = None
    liable_days: int = 0  # the whole stay, as referral computed it at discharge
    daily_price_sek: int | None = None
    municipality_code: str | None = None

    @property
    def amount_sek(self) -> int:
        return self.liable_days * (self.daily_price_sek or 0)

    @property
    def open_period(self) -> LiabilityPeriod | None:
        return next((p for p in self.periods if p.status is PeriodStatus.OPEN), None)

    @property
    def region_code(self) -> str | None:
        """The region (län) of the person's municipality: the first two digits of the kommunkod."""
        return self.municipality_code[:2] if self.municipality_code else None

    @property
    def home_in_time(self) -> bool:
        """Discharged before liability started: the municipality owed nothing for the stay."""
        if self.discharged_at is None:
            return False
        closed = [p for p in self.periods if p.status is PeriodStatus.CLOSED]
        return (
            bool(closed)
            and all(self.discharged_at <= p.liability_starts_at for p in closed)
            and not any(p.status is PeriodStatus.REVOKED and p.liable_days for p in self.periods)
        )


def same_instant(a: datetime | None, b: datetime | None) -> bool:
    """Equal to the millisecond: the precision the database keeps (BSON dates)."""
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 0.001


Counting = tuple[datetime, ...] | None  # the ready periods that count, as referral names them; None: not said


def keep_counting(case: CaseLiability, counting: Counting) -> CaseLiability:
    """Drop every period referral no longer counts (nothing changes when it did not say)."""
    if counting is None:
        return case
    kept = tuple(p for p in case.periods if any(same_instant(p.ready_at, r) for r in counting))
    return case if kept == case.periods else replace(case, periods=kept)


def on_ready(case: CaseLiability, period: LiabilityPeriod, counting: Counting = None) -> CaseLiability:
    """A ready period starts (or runs again): any other open period is superseded."""
    others = tuple(
        replace(p, status=PeriodStatus.SUPERSEDED) if p.status is PeriodStatus.OPEN else p
        for p in case.periods
        if not same_instant(p.ready_at, period.ready_at)
    )
    opened = replace(case, periods=(*others, replace(period, status=PeriodStatus.OPEN)), discharged_at=None)
    return keep_counting(opened, counting)


def on_revoked(
    case: CaseLiability,
    ready_at: datetime | None,
    revoked_at: datetime,
    liable_days: int,
    counting: Counting = None,
) -> CaseLiability:
    """The named period (or the open one) stops; it keeps the days it accrued."""
    target = ready_at or (case.open_period.ready_at if case.open_period else None)
    revoked = replace(
        case,
        periods=tuple(
            replace(p, status=PeriodStatus.REVOKED, ended_at=revoked_at, liable_days=liable_days)
            if same_instant(p.ready_at, target)
            else p
            for p in case.periods
        ),
    )
    return keep_counting(revoked, counting)


def on_cancelled(case: CaseLiability, counting: Counting) -> CaseLiability:
    """A hospital message was withdrawn (makulering): the periods it took away stop counting."""
    return keep_counting(case, counting)


def on_discharged(
    case: CaseLiability,
    discharged_at: datetime,
    liable_days: int,
    daily_price_sek: int | None,
    counting: Counting = None,
) -> CaseLiability:
    """Discharge ends liability; the liable days of the whole stay are final (until corrected)."""
    case = keep_counting(case, counting)
    return replace(
        case,
        periods=tuple(
            replace(p, status=PeriodStatus.CLOSED, ended_at=discharged_at) if p.status is PeriodStatus.OPEN else p
            for p in case.periods
        ),
        discharged_at=discharged_at,
        liable_days=liable_days,
        daily_price_sek=daily_price_sek if daily_price_sek is not None else case.daily_price_sek,
    )


# --- liable days and their cost --------------------------------------------------------------------


def period_dates(starts_at: datetime, ended_at: datetime) -> list[date]:
    """The Stockholm days liability touched between its start and its end (referral's rule)."""
    if ended_at <= starts_at:
        return []
    end_local = ended_at.astimezone(STOCKHOLM)
    last = end_local.date() if end_local.time() != time(0) else end_local.date() - timedelta(days=1)
    return days_between(local_date(starts_at), last)


@dataclass(frozen=True)
class LiableDay:
    day: date
    agreement_price_ore: int  # the price on the ready notice's agreement


def liable_dates(case: CaseLiability, now: datetime) -> list[LiableDay]:
    """Every liable day of the case, period by period, in date order.

    Each counting period's days are added up as referral adds them up (`Discharged.liable_days`
    is the sum over the periods): a day two periods were liable on (a ready notice dated before
    the revocation of the previous one) is listed once per period, so the days per month always
    add up to referral's count.
    """
    days: list[LiableDay] = []
    for p in case.periods:
        if p.status is PeriodStatus.SUPERSEDED:
            continue
        end = p.ended_at if p.status is not PeriodStatus.OPEN else now
        if end is None:
            continue
        days.extend(LiableDay(d, kronor(p.daily_price_sek)) for d in period_dates(p.liability_starts_at, end))
    return sorted(days, key=lambda d: d.day)


PriceLookup = Callable[[str | None, int], int | None]  # (region, year) -> öre per day, if configured


@dataclass(frozen=True)
class MonthLiability:
    month: Month
    days: int
    amount_ore: int


def liability_by_month(case: CaseLiability, now: datetime, price: PriceLookup) -> list[MonthLiability]:
    """Liable days and their cost per month, each day at the region's price for its year
    (from the tariff table) or, where none is configured, the agreement's price."""
    totals: dict[Month, tuple[int, int]] = {}
    for d in liable_dates(case, now):
        per_day = price(case.region_code, d.day.year)
        amount = per_day if per_day is not None else d.agreement_price_ore
        days, ore = totals.get(Month.of(d.day), (0, 0))
        totals[Month.of(d.day)] = (days + 1, ore + amount)
    return [MonthLiability(m, days, ore) for m, (days, ore) in sorted(totals.items())]


@dataclass(frozen=True)
class LiabilityDaysAccrued:
    """The case's liable days changed (a period stopped, or the patient was discharged)."""

    case_id: str
    person_ref: str
    region_code: str | None
    months: tuple[MonthLiability, ...]
    liability_starts_at: datetime | None
    ended_at: datetime | None
    home_in_time: bool
    referral_liable_days: int

    @property
    def days(self) -> int:
        return sum(m.days for m in self.months)

    @property
    def amount_ore(self) -> int:
        return sum(m.amount_ore for m in self.months)


@dataclass
class LiabilityRecord:
    """The aggregate: the case's liability and the accrual last announced."""

    case: CaseLiability
    announced: tuple[MonthLiability, ...] = ()

    def apply(self, changed: CaseLiability, *, now: datetime, price: PriceLookup) -> list[object] | None:
        """Take the new state; announce the accrual when a period has stopped and the days changed."""
        if changed == self.case:
            return None
        self.case = changed
        if changed.open_period is not None and changed.discharged_at is None:
            return []  # the clock runs: the days are announced when it stops
        months = tuple(liability_by_month(changed, now, price))
        if months == self.announced and not changed.discharged_at:
            return []
        self.announced = months
        last = max((p for p in changed.periods), key=lambda p: p.ready_at, default=None)
        return [
            LiabilityDaysAccrued(
                case_id=changed.case_id,
                person_ref=changed.person_ref,
                region_code=changed.region_code,
                months=months,
                liability_starts_at=last.liability_starts_at if last else None,
                ended_at=changed.discharged_at or (last.ended_at if last else None),
                home_in_time=changed.home_in_time,
                referral_liable_days=changed.liable_days,
            )
        ]

    def report_months(self, now: datetime) -> list[Month]:
        """Months this case appears in: liable days, or a discharge in time."""
        months = {m.month for m in liability_by_month(self.case, now, lambda _r, _y: None)}
        if self.case.discharged_at is not None:
            months.add(Month.of(local_date(self.case.discharged_at)))
        return sorted(months)
