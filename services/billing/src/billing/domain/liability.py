"""The municipality's payment liability to the region (betalningsansvar) for one case.

One record per case holds its ready periods and the liable days referral counted. Referral puts
the hospital's messages in order; Kafka keeps one case's events in order; so each event is
applied as it comes, the last one being the truth (stale repeats are skipped by the consumer).

Which periods count is referral's to say: every clock event (ready, revoked, discharged, and a
makulering) names the periods that count after it (`counting`, their `ready_at`, the whole
picture), and a period not named is dropped: superseded by a later ready notice, or withdrawn,
also when it was revoked and kept days until its revocation was withdrawn, or closed by a
discharge that a later-arriving ready notice has since replaced. Events written before referral
sent that list (`counting` None) fall back to the old rule: a new ready notice supersedes the
open period. The periods say whether the clock runs, when liability started and whether the
patient came home in time; they are never counted here.

**Billing counts no liable day.** Referral counts them (one rule, `referral.domain.liability`)
and sends, with every clock event and while a clock runs, the whole count split by calendar
month with its cost at the agreed price (`Count`): the record keeps the last count it was sent
(`counted`), and the monthly report and `LiabilityDaysAccrued` are exactly those figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from billing.domain.money import Month, local_date
from trygg_shared.carry import carry


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
class MonthLiability:
    """Liable days in one calendar month and their cost, as referral counted them."""

    month: Month
    days: int
    amount_ore: int


Count = tuple[MonthLiability, ...] | None  # referral's count after an event; None: the event had none


@dataclass(frozen=True)
class CaseLiability:
    case_id: str
    person_ref: str
    periods: tuple[LiabilityPeriod, ...] = field(default=())
    discharged_at: datetime | None = None
    liable_days: int = 0  # the whole stay, as referral computed it at discharge
    daily_price_sek: int | None = None
    municipality_code: str | None = None
    counted: tuple[MonthLiability, ...] = ()  # referral's count per month, the last one it sent
    counted_until: datetime | None = None  # a running clock's count is as of this moment
    admission_noticed: bool = False  # an admission notice (inskrivningsmeddelande) was received
    episode_ids: tuple[str, ...] = ()  # the hospital's care episode ids (vårdtillfälle) of the stay

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


def with_episode(case: CaseLiability, episode_id: str | None) -> CaseLiability:
    """The case with the hospital's episode id noted (for matching the region's invoice)."""
    if not episode_id or episode_id in case.episode_ids:
        return case
    return replace(case, episode_ids=(*case.episode_ids, episode_id))


# --- referral's count ------------------------------------------------------------------------------


def with_count(case: CaseLiability, count: Count, counted_until: datetime | None = None) -> CaseLiability:
    """The case with referral's count after an event (unchanged when the event carried none)."""
    if count is None:
        return case
    return replace(case, counted=count, counted_until=counted_until)


def liability_by_month(case: CaseLiability) -> tuple[MonthLiability, ...]:
    """Liable days and their cost per month: referral's count, as it was sent."""
    return case.counted


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

    def apply(self, changed: CaseLiability) -> list[object] | None:
        """Take the new state; announce the accrual when a period has stopped and the days changed."""
        if changed == self.case:
            return None
        self.case = changed
        if changed.open_period is not None and changed.discharged_at is None:
            return []  # the clock runs: the days are announced when it stops
        months = liability_by_month(changed)
        if months == self.announced and not changed.discharged_at:
            return []
        self.announced = months
        last = max((p for p in changed.periods), key=lambda p: p.ready_at, default=None)
        return [
            carry(
                LiabilityDaysAccrued,
                changed,
                months=months,
                liability_starts_at=last.liability_starts_at if last else None,
                ended_at=changed.discharged_at or (last.ended_at if last else None),
                referral_liable_days=changed.liable_days,
            )
        ]

    def report_months(self) -> list[Month]:
        """Months this case appears in: liable days, or a discharge in time."""
        months = {m.month for m in liability_by_month(self.case)}
        if self.case.discharged_at is not None:
            months.add(Month.of(local_date(self.case.discharged_at)))
        return sorted(months)
