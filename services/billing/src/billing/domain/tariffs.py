"""Tariffs as versioned data: per municipality and year, and the regions' liability prices (the
cost report's comparison only: the liability report's amounts are referral's).

Nothing here is a constant in code except the seed rows below (the figures DOMAIN.md records,
with their sources): a deployment reads and changes tariffs through the `ops` API, and every
change is a new version with who, when and why. A statement keeps the version it was computed
with, so a later change never alters an issued statement (see `fees`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from billing.domain.money import kronor, round_to_krona
from trygg_shared.liability_prices import national_daily_prices

T = TypeVar("T")


class TariffError(ValueError):
    """A tariff that cannot be applied (missing rate, bad fraction)."""


class FeeModel(StrEnum):
    """How the municipality charges for Trygg hemgång."""

    FRACTION_OF_MAXTAXA_PER_DAY = "fraction_of_maxtaxa_per_day"  # Hofors: 1/14 per day
    FREE = "free"  # Järfälla
    HOURLY = "hourly"  # Motala: the hourly home-care rate for visit time


# Visit kinds whose time is home-care time (the hourly model charges for these only).
HOME_VISIT_KINDS: tuple[str, ...] = ("homecoming", "daily", "handover")


@dataclass(frozen=True)
class FeeDayRules:
    """Which days are fee days (documented in the README; per municipality and year).

    A fee day is a local day inside the decision's span (start to end, inclusive) and, when
    the team's actual period is known, inside that too (period start to its actual last day).
    - `count_first_day`: the first day (the homecoming day, often a part day) is charged;
    - `count_last_day`: the last day (the day support ends, often a part day) is charged;
    - `require_actual_period`: only days the team reports as its period count (until the team
      reports a period, no fee days); otherwise the decision alone counts until it does;
    - `hourly_visit_kinds`: hourly model: the visit kinds whose minutes are charged.
    """

    count_first_day: bool = True
    count_last_day: bool = True
    require_actual_period: bool = False
    hourly_visit_kinds: tuple[str, ...] = HOME_VISIT_KINDS


@dataclass(frozen=True)
class Tariff:
    """One municipality's fees and unit costs for one year (money in öre)."""

    prisbasbelopp_sek: int
    fee_model: FeeModel
    maxtaxa_factor: Fraction = Fraction("0.5392")
    day_fraction: Fraction | None = None  # fraction model: share of maxtaxa per fee day
    hourly_rate_ore: int | None = None  # hourly model: fee per hour of visits
    short_term_stay_day_fraction: Fraction = Fraction(1, 30)  # korttid: share of maxtaxa per day
    short_term_stay_food_per_day_ore: int | None = None  # korttid food, outside the cap
    external_hourly_rate_ore: int | None = None  # external hemtjänst provider's price per hour
    team_hour_cost_ore: int | None = None  # the own team's cost per visit hour (cost report)
    short_term_stay_cost_per_day_ore: int | None = None  # the municipality's cost of a korttid day
    rules: FeeDayRules = field(default_factory=FeeDayRules)

    def __post_init__(self) -> None:
        if self.prisbasbelopp_sek <= 0:
            raise TariffError("prisbasbelopp must be positive")
        if not 0 < self.maxtaxa_factor <= 1:
            raise TariffError("maxtaxa factor must be in (0, 1]")
        if self.fee_model is FeeModel.FRACTION_OF_MAXTAXA_PER_DAY and (
            self.day_fraction is None or not 0 < self.day_fraction <= 1
        ):
            raise TariffError("the fraction model needs a day fraction in (0, 1]")
        if self.fee_model is FeeModel.HOURLY and (self.hourly_rate_ore is None or self.hourly_rate_ore < 0):
            raise TariffError("the hourly model needs an hourly rate")
        if not 0 < self.short_term_stay_day_fraction <= 1:
            raise TariffError("the short-term stay fraction must be in (0, 1]")
        for name in (
            "short_term_stay_food_per_day_ore",
            "external_hourly_rate_ore",
            "team_hour_cost_ore",
            "short_term_stay_cost_per_day_ore",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise TariffError(f"{name} must not be negative")

    @property
    def maxtaxa_ore(self) -> int:
        """0.5392 × prisbasbelopp / 12, rounded to whole kronor (2024: 2 575 kr)."""
        return round_to_krona(self.maxtaxa_factor * kronor(self.prisbasbelopp_sek) / 12)

    @property
    def day_fee_ore(self) -> int:
        """The Trygg hemgång fee per fee day (0 unless the fraction model)."""
        if self.fee_model is not FeeModel.FRACTION_OF_MAXTAXA_PER_DAY or self.day_fraction is None:
            return 0
        return round_to_krona(self.maxtaxa_ore * self.day_fraction)

    @property
    def short_term_stay_day_fee_ore(self) -> int:
        return round_to_krona(self.maxtaxa_ore * self.short_term_stay_day_fraction)

    def hourly_fee_ore(self, minutes: int) -> int:
        """The hourly model's fee for `minutes` of visits (0 for other models)."""
        if self.fee_model is not FeeModel.HOURLY or self.hourly_rate_ore is None or minutes <= 0:
            return 0
        return round_to_krona(Fraction(self.hourly_rate_ore * minutes, 60))


@dataclass(frozen=True)
class Version(Generic[T]):
    """One version of a tariff row: the terms, who set them, when and why."""

    number: int
    terms: T
    changed_by: str
    changed_at: datetime
    note: str = ""


@dataclass
class VersionedBook(Generic[T]):
    """Every version of one row (a municipality's year, or a region's year); the last is current."""

    key: str
    versions: list[Version[T]] = field(default_factory=list)

    @property
    def current(self) -> Version[T]:
        if not self.versions:
            raise LookupError(self.key)
        return self.versions[-1]

    def version(self, number: int) -> Version[T] | None:
        return next((v for v in self.versions if v.number == number), None)

    def change(self, terms: T, *, by: str, at: datetime, note: str = "") -> Version[T] | None:
        """Add a version; None (nothing written) when the terms equal the current ones."""
        if self.versions and self.current.terms == terms:
            return None
        version = Version(len(self.versions) + 1, terms, by, at, note)
        self.versions.append(version)
        return version


@dataclass(frozen=True)
class LiabilityPrice:
    """The price per day of payment liability a region charges in one year (öre)."""

    per_day_ore: int

    def __post_init__(self) -> None:
        if self.per_day_ore < 0:
            raise TariffError("the liability price must not be negative")


def tariff_key(municipality_code: str, year: int) -> str:
    return f"{municipality_code}:{year}"


def price_key(region_code: str, year: int) -> str:
    return f"{region_code}:{year}"


ANY_REGION = "*"  # the national default price (Socialstyrelsen), where no regional price is set

PRISBASBELOPP: dict[int, int] = {2024: 57_300, 2025: 58_800, 2026: 59_200}

HOFORS = "2104"
JARFALLA = "0123"
HUDDINGE = "0126"
STOCKHOLM = "0180"


def _hofors(year: int) -> Tariff:
    # Hofors' brochure (2024): at most 1/14 of maxtaxa per day of Trygg hemgång; short-term stay
    # 1/9 of maxtaxa per day plus 130 kr per day for food.
    return Tariff(
        prisbasbelopp_sek=PRISBASBELOPP[year],
        fee_model=FeeModel.FRACTION_OF_MAXTAXA_PER_DAY,
        day_fraction=Fraction(1, 14),
        short_term_stay_day_fraction=Fraction(1, 9),
        short_term_stay_food_per_day_ore=kronor(130),
    )


def _jarfalla(year: int) -> Tariff:
    # Järfälla's Trygg hemgång was free; short-term stay at the common 1/30 per day.
    return Tariff(prisbasbelopp_sek=PRISBASBELOPP[year], fee_model=FeeModel.FREE)


def _huddinge(year: int) -> Tariff:
    # Huddinge: the external hemtjänst provider's price was 532 kr/hour (2023), used here as
    # the unit cost of visit hours; its fee model is not in the sources: the common 1/30.
    return Tariff(
        prisbasbelopp_sek=PRISBASBELOPP[year],
        fee_model=FeeModel.FRACTION_OF_MAXTAXA_PER_DAY,
        day_fraction=Fraction(1, 30),
        external_hourly_rate_ore=kronor(532),
    )


def seed_tariffs() -> dict[str, Tariff]:
    """The rows DOMAIN.md's sources give; written as version 1 when a row does not exist yet."""
    rows: dict[str, Tariff] = {}
    for year in PRISBASBELOPP:
        rows[tariff_key(HOFORS, year)] = _hofors(year)
        rows[tariff_key(JARFALLA, year)] = _jarfalla(year)
        rows[tariff_key(HUDDINGE, year)] = _huddinge(year)
    return rows


def seed_liability_prices() -> dict[str, LiabilityPrice]:
    """Socialstyrelsen's national price per day, from the one place it is kept (trygg_shared's
    `liability_prices.json`): the cost report's comparison where a region has no price of its own.
    The liability report needs no price: its amounts are referral's, priced by its agreements."""
    return {price_key(ANY_REGION, year): LiabilityPrice(kronor(sek)) for year, sek in national_daily_prices()}


SEED_AUTHOR = "seed:DOMAIN.md"
SEED_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def with_terms(tariff: Tariff, **changes: object) -> Tariff:
    """A copy with some terms changed (validated again)."""
    return replace(tariff, **changes)  # type: ignore[arg-type]
