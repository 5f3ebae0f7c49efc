"""The written form of a payment-liability agreement: the shipped data file, the database and the API.

One pydantic model, `AgreementData`, read from `referral/agreements.json` at start, stored in
the `agreements` collection, and accepted and shown by `GET/POST /agreements`; it converts to
and from the domain's `RegionalAgreement` (which checks the rules' own invariants).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import time
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from referral.domain.liability import NATIONAL_DEFAULT, NATIONAL_REGION, DayCount, LiabilityRule, RegionalAgreement
from trygg_shared.carry import carry
from trygg_shared.fields import FreeText, PlausibleDate

AGREEMENTS_FILE = "agreements.json"

_Cutoff = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class RuleData(BaseModel):
    """When liability starts for one care type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_days: int = Field(ge=0, le=366, description="Days after day 0 on which the municipality is not yet liable.")
    day_zero_cutoff: _Cutoff | None = Field(
        description="Stockholm wall-clock time (HH:MM): a ready notice before it makes its own day day 0, "
        "one at or after it the next day. null: the notice's day is always day 0."
    )
    day_count: DayCount = Field(
        DayCount.CALENDAR,
        description="`calendar`: every day counts; `working`: the grace days are working days (not weekends, "
        "Swedish public holidays or Midsummer, Christmas and New Year's Eve).",
    )


AGREEMENT_EXAMPLE: dict[str, Any] = {
    "agreement_id": "region-stockholm-2024",
    "region_code": "01",
    "valid_from": "2027-01-01",
    "valid_to": None,
    "somatic": {"grace_days": 2, "day_zero_cutoff": "12:00", "day_count": "calendar"},
    "psychiatric": {"grace_days": 5, "day_zero_cutoff": "12:00", "day_count": "calendar"},
    "daily_price_sek": 9300,
    "yearly_prices": {"2027": 9800},
    "source": "Överenskommelse Region Stockholm 2027, bilaga 2",
}


class AgreementTerms(BaseModel):
    """An agreement's terms, as an ops user proposes a new version of them."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [AGREEMENT_EXAMPLE]},
    )

    agreement_id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")
    region_code: str = Field(
        pattern=r"^(\d{2}|SE)$", description="Region code (e.g. `01` Stockholm); `SE` for the national default."
    )
    valid_from: PlausibleDate = Field(description="First day in force (Stockholm date), inclusive.")
    valid_to: PlausibleDate | None = Field(None, description="Last day in force, inclusive; null: open-ended.")
    somatic: RuleData
    psychiatric: RuleData
    daily_price_sek: int = Field(ge=1, le=1_000_000, description="Price per liable day, SEK.")
    yearly_prices: dict[Annotated[str, Field(pattern=r"^\d{4}$")], Annotated[int, Field(ge=1, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Price per liable day from a year on (year -> SEK); a ready notice pays the price of the "
        "year its liability starts in, `daily_price_sek` before the first year listed.",
    )
    source: FreeText = Field(min_length=1, max_length=500, description="Where the numbers come from.")


class AgreementData(AgreementTerms):
    """One version of one agreement."""

    version: int = Field(ge=1, description="Version; the highest version in force on a day wins in its region.")


def _rule(data: RuleData) -> LiabilityRule:
    cutoff = time.fromisoformat(data.day_zero_cutoff) if data.day_zero_cutoff else None
    return carry(LiabilityRule, data, day_zero_cutoff=cutoff)


def to_domain(data: AgreementData) -> RegionalAgreement:
    """The domain agreement (raises ValueError when the terms break its invariants)."""
    return carry(
        RegionalAgreement,
        data,
        somatic=_rule(data.somatic),
        psychiatric=_rule(data.psychiatric),
        yearly_prices=tuple(sorted((int(year), price) for year, price in data.yearly_prices.items())),
    )


def _rule_data(rule: LiabilityRule) -> RuleData:
    cutoff = rule.day_zero_cutoff.strftime("%H:%M") if rule.day_zero_cutoff else None
    return RuleData(grace_days=rule.grace_days, day_zero_cutoff=cutoff, day_count=rule.day_count)


def from_domain(agreement: RegionalAgreement) -> AgreementData:
    """The written form: every field by its name, the rules and the yearly prices in their written shape."""
    same_names = {f.name: getattr(agreement, f.name) for f in dataclasses.fields(agreement)}
    return AgreementData(
        **same_names
        | {
            "somatic": _rule_data(agreement.somatic),
            "psychiatric": _rule_data(agreement.psychiatric),
            "yearly_prices": {str(year): price for year, price in agreement.yearly_prices},
        }
    )


def shipped_agreements(text: str | None = None) -> list[RegionalAgreement]:
    """The agreements shipped in the package (`referral/agreements.json`), or in `text`."""
    raw: Any = json.loads(
        text if text is not None else resources.files("referral").joinpath(AGREEMENTS_FILE).read_text()
    )
    listed = [to_domain(AgreementData.model_validate(item)) for item in raw["agreements"]]
    # The national default's prices are kept in one place (trygg_shared/liability_prices.json).
    national = [NATIONAL_DEFAULT] if all(a.region_code != NATIONAL_REGION for a in listed) else []
    return [*national, *listed]
