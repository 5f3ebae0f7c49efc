"""The payment-liability clock (betalningsansvar).

When a hospital sends a ready-for-discharge notice (utskrivningsklar), a clock starts: if
the patient is still in hospital when it runs out, the municipality pays the region a
daily price. When the clock runs out is a matter of agreement between region and
municipalities, so the rules are data (versioned :class:`RegionalAgreement` rows in an
:class:`AgreementTable`), with the statutory default of 3 calendar days as fallback.

Time rules, which matter because money follows them:

* Every day boundary is a local day in Europe/Stockholm, whatever offset the input has.
  Inputs must be timezone-aware; outputs are aware datetimes in UTC.
* Liability starts at local midnight, which Sweden never skips or repeats (daylight saving
  changes at 02:00/03:00), so the start is always exactly one well-defined instant.
* Working days are Monday-Friday except Swedish public holidays (from the ``holidays``
  package) and the three de facto holidays Midsummer Eve, Christmas Eve and New Year's
  Eve, on which hospitals and municipal offices run as on a public holiday. The eves are
  decided here, not taken from the package, because package versions disagree on them
  (older ones list them as public holidays, newer ones only in a "de_facto" category),
  and a billing rule must not change with a dependency upgrade. For the same reason a
  Sunday is never looked up: some versions list every Sunday as a holiday for Sweden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from trygg_shared.liability_prices import national_daily_prices
from trygg_shared.vocabulary import referral as words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
CareType = words.CareType

__all__ = [
    "NATIONAL_DEFAULT",
    "NATIONAL_REGION",
    "STOCKHOLM",
    "AgreementTable",
    "CareType",
    "DayCount",
    "LiabilityClock",
    "LiabilityRule",
    "LiableMonth",
    "RegionalAgreement",
    "count_by_month",
    "is_working_day",
    "liable_dates",
    "liable_days",
    "start_clock",
]

STOCKHOLM = ZoneInfo("Europe/Stockholm")

_ONE_DAY = timedelta(days=1)

# Sanity bound for configured grace periods: a year is far beyond any real agreement, and
# the bound keeps a typo (e.g. 3000) from silently producing a clock years away.
_MAX_GRACE_DAYS = 366


class DayCount(StrEnum):
    """How grace days are counted."""

    CALENDAR = "calendar"
    WORKING = "working"


@cache
def _public_holidays(year: int) -> frozenset[date]:
    """Return Sweden's public holidays for ``year`` (cached: the set never changes)."""
    return frozenset(holidays.country_holidays("SE", years=year).keys())


def _is_de_facto_holiday(day: date) -> bool:
    """Tell whether ``day`` is Midsummer Eve, Christmas Eve or New Year's Eve."""
    if day.month == 12 and day.day in (24, 31):
        return True
    # Midsummer Eve is the Friday before Midsummer Day (the Saturday 20-26 June).
    return day.month == 6 and 19 <= day.day <= 25 and day.weekday() == 4


def is_working_day(day: date) -> bool:
    """Return True when ``day`` is a Swedish working day.

    A working day is Monday-Friday, not a public holiday, and not Midsummer Eve, Christmas
    Eve or New Year's Eve (de facto holidays; see the module docstring).
    """
    # Weekday first, so that a holidays version that lists every Sunday changes nothing.
    if day.weekday() >= 5:
        return False
    if _is_de_facto_holiday(day):
        return False
    return day not in _public_holidays(day.year)


@dataclass(frozen=True)
class LiabilityRule:
    """When liability starts, for one care type under one agreement.

    * ``day_zero_cutoff``: a notice strictly before this local (Stockholm) wall-clock time
      makes the notice's own day day 0; a notice at or after it makes the next calendar day
      day 0. ``None`` means the notice's day is always day 0.
    * ``grace_days``: the days after day 0 on which the municipality is not yet liable.
    * ``day_count``: with ``CALENDAR`` the grace days are the calendar days after day 0,
      so liability starts at local midnight at the start of day 0 + grace_days + 1. With
      ``WORKING`` the grace days are the next ``grace_days`` working days after day 0
      (day 0 itself need not be a working day), and liability starts at local midnight at
      the start of the calendar day after the last of them, which may be a weekend day or
      a holiday: once the grace has run out, liability runs on every calendar day.

    Invalid values raise ValueError, so a bad agreement row fails when it is loaded rather
    than when the first notice is billed.
    """

    grace_days: int
    day_zero_cutoff: time | None
    day_count: DayCount = DayCount.CALENDAR

    def __post_init__(self) -> None:
        """Validate the rule."""
        # bool is an int subclass; True as a number of days is a configuration mistake.
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int):
            raise ValueError("grace_days must be an int")
        if not 0 <= self.grace_days <= _MAX_GRACE_DAYS:
            raise ValueError(f"grace_days must be between 0 and {_MAX_GRACE_DAYS}")
        if self.day_zero_cutoff is not None:
            if not isinstance(self.day_zero_cutoff, time):
                raise ValueError("day_zero_cutoff must be a datetime.time or None")
            # The cutoff is a Stockholm wall-clock time; an offset on it would be ignored
            # or, worse, mean something different in summer and winter.
            if self.day_zero_cutoff.tzinfo is not None:
                raise ValueError("day_zero_cutoff must be a naive local (Stockholm) time")
        if not isinstance(self.day_count, DayCount):
            raise ValueError("day_count must be a DayCount")


@dataclass(frozen=True)
class RegionalAgreement:
    """One version of a region's payment-liability agreement.

    ``valid_to`` is inclusive; ``None`` means open-ended. ``source`` says where the numbers
    come from, so that a reviewer can check them against the signed agreement.

    ``daily_price_sek`` is the price per liable day; ``yearly_prices`` (``(year, price)``
    pairs) set the price from a year on, as Socialstyrelsen's price changes every year. The
    price of a ready notice is that of the (Stockholm) year in which its liability starts.
    """

    agreement_id: str
    region_code: str
    version: int
    valid_from: date
    valid_to: date | None
    somatic: LiabilityRule
    psychiatric: LiabilityRule
    daily_price_sek: int
    source: str
    yearly_prices: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        """Validate the agreement."""
        years = [year for year, _ in self.yearly_prices]
        if len(years) != len(set(years)):
            raise ValueError("yearly_prices names a year twice")
        for year, price in self.yearly_prices:
            if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
                raise ValueError("every yearly price must be a positive int")
            if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2200:
                raise ValueError("yearly price years must be between 2000 and 2200")
        if not self.agreement_id.strip():
            raise ValueError("agreement_id must not be empty")
        if not self.region_code.strip():
            raise ValueError("region_code must not be empty")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise ValueError("version must be an int")
        if self.version < 1:
            raise ValueError("version must be at least 1")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        if not isinstance(self.somatic, LiabilityRule) or not isinstance(self.psychiatric, LiabilityRule):
            raise ValueError("somatic and psychiatric must be LiabilityRule instances")
        if isinstance(self.daily_price_sek, bool) or not isinstance(self.daily_price_sek, int):
            raise ValueError("daily_price_sek must be an int")
        if self.daily_price_sek <= 0:
            raise ValueError("daily_price_sek must be positive")
        if not self.source.strip():
            raise ValueError("source must not be empty")

    def price_for(self, year: int) -> int:
        """The price per liable day in ``year``: the latest yearly price from that year or before."""
        earlier = [(y, price) for y, price in self.yearly_prices if y <= year]
        return max(earlier)[1] if earlier else self.daily_price_sek

    def rule_for(self, care_type: CareType) -> LiabilityRule:
        """Return the rule for ``care_type``."""
        kind = CareType(care_type)
        if kind is CareType.PSYCHIATRIC:
            return self.psychiatric
        return self.somatic

    def is_valid_on(self, on: date) -> bool:
        """Return True when the agreement is in force on ``on`` (both ends inclusive)."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


# The statutory default, used where no regional agreement applies: liability after 3
# calendar days from the notice day, for both care types.
_STATUTORY_RULE = LiabilityRule(grace_days=3, day_zero_cutoff=None)
NATIONAL_REGION = "SE"  # not a county code: marks the nationwide fallback

_NATIONAL_PRICES = national_daily_prices()  # Socialstyrelsen's, from the shared data file
_LATEST_YEAR, _LATEST_PRICE = _NATIONAL_PRICES[-1]

NATIONAL_DEFAULT = RegionalAgreement(
    agreement_id="national-default",
    # Not a county code: marks the nationwide fallback.
    region_code="SE",
    version=1,
    # The act on coordinated discharge (lag 2017:612) took effect on this date.
    valid_from=date(2018, 1, 1),
    valid_to=None,
    somatic=_STATUTORY_RULE,
    psychiatric=_STATUTORY_RULE,
    # The prices are data, kept in one place (`trygg_shared/liability_prices.json`); this version
    # is shipped as the agreements' national default (region `SE`), and later versions are added
    # with POST /agreements like any region's.
    daily_price_sek=_LATEST_PRICE,
    source=(
        f"Socialstyrelsen {_LATEST_YEAR} ({_LATEST_PRICE} kr/day; each year's price in trygg_shared/"
        "liability_prices.json); 3 calendar days is the statutory default without an agreement "
        "(lag 2017:612; DOMAIN.md, Payment liability)"
    ),
    yearly_prices=_NATIONAL_PRICES,
)


def _overlaps(a: RegionalAgreement, b: RegionalAgreement) -> bool:
    """Return True when the validity periods of ``a`` and ``b`` share at least one day."""
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


class AgreementTable:
    """The agreements in force, by region, with a fallback for regions without one.

    Several versions of a region's agreement may overlap in time: the highest version valid
    on a date wins, which is how a renegotiated agreement replaces an older one. Two
    agreements for the same region with the same version and overlapping periods would
    make that choice ambiguous, so they are refused.

    Agreements with region code ``SE`` (`NATIONAL_REGION`) are versions of the national
    default: where no regional agreement applies, the highest of those in force wins, and
    ``default`` only when none is.
    """

    def __init__(
        self,
        agreements: Iterable[RegionalAgreement] = (),
        default: RegionalAgreement = NATIONAL_DEFAULT,
    ) -> None:
        """Build the table.

        ``default`` is the statutory fallback; pass an updated one when Socialstyrelsen
        publishes a new yearly price.

        Raises:
            ValueError: on overlapping agreements with the same region and version, or on
                the same (agreement_id, version) twice.
        """
        items = tuple(agreements)
        seen_ids: set[tuple[str, int]] = set()
        by_region: dict[str, list[RegionalAgreement]] = {}
        for agreement in items:
            key = (agreement.agreement_id, agreement.version)
            if key in seen_ids:
                raise ValueError(f"agreement {agreement.agreement_id!r} version {agreement.version} appears twice")
            seen_ids.add(key)
            for other in by_region.get(agreement.region_code, []):
                if other.version == agreement.version and _overlaps(other, agreement):
                    raise ValueError(
                        f"agreements {other.agreement_id!r} and {agreement.agreement_id!r} "
                        f"for region {agreement.region_code!r} both have version "
                        f"{agreement.version} and overlapping validity"
                    )
            by_region.setdefault(agreement.region_code, []).append(agreement)
        self._agreements = items
        self._by_region = {region: tuple(rows) for region, rows in by_region.items()}
        self._default = default

    @property
    def agreements(self) -> tuple[RegionalAgreement, ...]:
        """All regional agreements, in the order given."""
        return self._agreements

    @property
    def default(self) -> RegionalAgreement:
        """The fallback agreement used where no regional agreement applies."""
        return self._default

    def find(self, region_code: str | None, on: date) -> RegionalAgreement:
        """Return the agreement for ``region_code`` in force on ``on``.

        ``on`` should be the local (Stockholm) date of the ready notice. Among the region's
        agreements valid on that date the highest version wins; with none (or no region
        code) the default agreement applies.
        """
        for region in (region_code, NATIONAL_REGION):
            if region is None:
                continue
            candidates = [a for a in self._by_region.get(region, ()) if a.is_valid_on(on)]
            if candidates:
                return max(candidates, key=lambda agreement: agreement.version)
        return self._default

    def get(self, agreement_id: str, version: int) -> RegionalAgreement | None:
        """One version of one agreement (the default included), or None."""
        for agreement in (*self._agreements, self._default):
            if agreement.agreement_id == agreement_id and agreement.version == version:
                return agreement
        return None


def _require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless ``value`` is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime")
    # A naive time would silently be read as the server's local time, which is exactly
    # the kind of error that moves a liability start by a day.
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class LiabilityClock:
    """A started payment-liability clock.

    ``ready_at`` and ``liability_starts_at`` are aware datetimes in UTC; ``day_zero`` is a
    Stockholm calendar date. The agreement is recorded by id and version so that a later
    change to the table does not change what this clock meant.
    """

    ready_at: datetime
    care_type: CareType
    agreement_id: str
    agreement_version: int
    day_zero: date
    liability_starts_at: datetime

    def __post_init__(self) -> None:
        """Validate the clock."""
        _require_aware(self.ready_at, "ready_at")
        _require_aware(self.liability_starts_at, "liability_starts_at")
        if self.liability_starts_at <= self.ready_at:
            raise ValueError("liability_starts_at must be after ready_at")


def _day_zero(local_notice: datetime, cutoff: time | None) -> date:
    """Return day 0 for a notice at ``local_notice`` (a Stockholm wall-clock datetime)."""
    notice_day = local_notice.date()
    if cutoff is None or local_notice.time() < cutoff:
        return notice_day
    return notice_day + _ONE_DAY


def _liability_start_day(day_zero: date, rule: LiabilityRule) -> date:
    """Return the local date at whose midnight liability starts."""
    if rule.day_count is DayCount.CALENDAR:
        return day_zero + timedelta(days=rule.grace_days + 1)
    last_grace_day = day_zero
    for _ in range(rule.grace_days):
        last_grace_day += _ONE_DAY
        while not is_working_day(last_grace_day):
            last_grace_day += _ONE_DAY
    return last_grace_day + _ONE_DAY


def start_clock(ready_at: datetime, care_type: CareType, agreement: RegionalAgreement) -> LiabilityClock:
    """Start the payment-liability clock for a ready notice sent at ``ready_at``.

    ``ready_at`` may carry any UTC offset; it is read as Stockholm local time to find day 0
    (see :class:`LiabilityRule`). The returned ``liability_starts_at`` is Stockholm local
    midnight, expressed in UTC.

    Raises:
        ValueError: when ``ready_at`` is naive or ``care_type`` is unknown.
    """
    _require_aware(ready_at, "ready_at")
    kind = CareType(care_type)
    rule = agreement.rule_for(kind)
    day_zero = _day_zero(ready_at.astimezone(STOCKHOLM), rule.day_zero_cutoff)
    start_day = _liability_start_day(day_zero, rule)
    # Local midnight exists exactly once on every Swedish date, so combining with the zone
    # and converting is unambiguous (no fold/gap handling needed).
    starts_at = datetime.combine(start_day, time(0), tzinfo=STOCKHOLM).astimezone(UTC)
    return LiabilityClock(
        ready_at=ready_at.astimezone(UTC),
        care_type=kind,
        agreement_id=agreement.agreement_id,
        agreement_version=agreement.version,
        day_zero=day_zero,
        liability_starts_at=starts_at,
    )


def liable_dates(clock: LiabilityClock, ended_at: datetime) -> list[date]:
    """The Stockholm calendar days on which the municipality was liable, in order.

    Liability runs from ``clock.liability_starts_at`` until ``ended_at`` (discharge, or
    whatever else ends it). Every local calendar day that liability touched counts as a
    whole day, so a discharge at 00:05 still costs that day, while one at exactly local
    midnight does not. Empty when ``ended_at`` is at or before the start.

    Raises:
        ValueError: when ``ended_at`` is naive.
    """
    _require_aware(ended_at, "ended_at")
    if ended_at <= clock.liability_starts_at:
        return []
    first_day = clock.liability_starts_at.astimezone(STOCKHOLM).date()
    local_end = ended_at.astimezone(STOCKHOLM)
    # Counting local dates rather than dividing a duration by 24 h keeps the 23- and 25-hour
    # days around daylight-saving changes at one day each.
    last_day = local_end.date() if local_end.time() != time(0) else local_end.date() - _ONE_DAY
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def liable_days(clock: LiabilityClock, ended_at: datetime) -> int:
    """The number of Stockholm calendar days on which the municipality was liable (see `liable_dates`).

    Raises:
        ValueError: when ``ended_at`` is naive.
    """
    return len(liable_dates(clock, ended_at))


@dataclass(frozen=True)
class LiableMonth:
    """Liable days in one Stockholm calendar month (``YYYY-MM``) and what they cost, in SEK."""

    month: str
    days: int
    amount_sek: int


def count_by_month(periods: Iterable[tuple[LiabilityClock, datetime, int]]) -> tuple[LiableMonth, ...]:
    """The liable days of ``(clock, until, price per day)`` periods, split by calendar month.

    The one count billing reports: each period's days (``liable_dates`` up to its ``until``)
    at its price, added up period by period, so a day two periods were liable on counts once
    per period and the months always add up to the sum of ``liable_days`` over the periods.
    Months in order; a month without liable days is left out.
    """
    totals: dict[str, tuple[int, int]] = {}
    for clock, until, price in periods:
        for day in liable_dates(clock, until):
            key = f"{day.year:04d}-{day.month:02d}"
            days, amount = totals.get(key, (0, 0))
            totals[key] = (days + 1, amount + price)
    return tuple(LiableMonth(month, days, amount) for month, (days, amount) in sorted(totals.items()))
