"""Which numbers may get an SMS: an allow-list of countries and number types (`phonenumbers`).

Used twice on purpose: by referral when an officer records a consenting relative (a refused
number is a 422 naming the field) and by notification before it queues a text (a number that
got past the first check, or an allow-list narrowed since, is recorded and never sent).
Satellite (+881, +870: no country), premium-rate, shared-cost, fixed-line and other ranges are
refused by default: only mobiles in Sweden and the other Nordic countries are allowed.

Numbers are kept in E.164 (`normalised`): one written the Swedish way (070-123 45 67, 0046 70…)
is read as a Swedish number, +4670…; a number abroad must be written with its country code.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType
from pydantic import BaseModel, Field

# Sweden, Norway, Denmark, Finland, Iceland, and the Åland Islands, Faroe Islands and Greenland.
NORDIC_REGIONS = ("SE", "NO", "DK", "FI", "IS", "AX", "FO", "GL")
# Danish numbers are not told apart (phonenumbers says fixed_line_or_mobile for all of them).
MOBILE_TYPES = ("mobile", "fixed_line_or_mobile")
# Where a number written without a country code is (the municipalities are Swedish).
HOME_REGION = "SE"
NUMBER_TYPES = {name.lower(): getattr(PhoneNumberType, name) for name in dir(PhoneNumberType) if name.isupper()}


class Refusal(StrEnum):
    """Why a number may not get an SMS (never the number itself: it is personal data)."""

    INVALID = "not a valid phone number"
    COUNTRY = "numbers of this country may not get SMS"
    TYPE = "this kind of number (not a mobile) may not get SMS"


class SmsNumberSettings(BaseModel):
    """The allow-list of numbers that may get an SMS."""

    allowed_regions: list[str] = Field(
        default_factory=lambda: list(NORDIC_REGIONS),
        description="ISO 3166 regions whose numbers may get SMS (default: Sweden and the Nordic countries).",
    )
    allowed_number_types: list[str] = Field(
        default_factory=lambda: list(MOBILE_TYPES),
        description="Number types (phonenumbers' names, lower case) that may get SMS (default: mobiles).",
    )


def _parsed(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None


def normalised(number: str) -> str | None:
    """The number in E.164 (`070-123 45 67` is `+46701234567`), or None when it is not a valid number."""
    parsed = _parsed(number)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class SmsNumberPolicy:
    """`refusal(number)`: None when the number may get an SMS, else why not; `normalised(number)`: E.164."""

    def __init__(self, regions: Iterable[str] = NORDIC_REGIONS, number_types: Iterable[str] = MOBILE_TYPES) -> None:
        self._regions = frozenset(r.upper() for r in regions)
        unknown = sorted(set(number_types) - set(NUMBER_TYPES))
        if unknown:
            raise ValueError(f"unknown number types {unknown}; known: {sorted(NUMBER_TYPES)}")
        self._types = frozenset(NUMBER_TYPES[t] for t in number_types)

    @classmethod
    def from_settings(cls, settings: SmsNumberSettings) -> SmsNumberPolicy:
        return cls(settings.allowed_regions, settings.allowed_number_types)

    def normalised(self, number: str) -> str | None:
        return normalised(number)

    def refusal(self, number: str) -> Refusal | None:
        parsed = _parsed(number)
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            return Refusal.INVALID
        if phonenumbers.region_code_for_number(parsed) not in self._regions:
            return Refusal.COUNTRY
        if phonenumbers.number_type(parsed) not in self._types:
            return Refusal.TYPE
        return None
