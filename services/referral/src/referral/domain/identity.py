"""Swedish person identifiers as they arrive in hospital (LUS) messages.

Three kinds of identifier reach the intake (see DOMAIN.md, "Identity", and specs/lus-webhook.md):

* personnummer: stored as 12 digits ``YYYYMMDDNNNC``; ``C`` is a Luhn check digit over
  ``YYMMDDNNN`` (the century is left out of the check).
* samordningsnummer: like a personnummer, but the day field is the birth day + 60.
* reservnummer: a hospital's local reserve number; free text with no check digit.

An identifier is personal data. Nothing in this module ever puts one into an exception
message, a ``repr`` or a ``str``, so that it cannot leak into logs or traces by accident;
only :meth:`PersonIdentity.display` and the ``value`` field give it out, on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "IdType",
    "InvalidIdentity",
    "PersonIdentity",
    "parse_identity",
]

# Spelled out as [0-9] rather than \d: \d also matches non-ASCII digits such as "٣".
_LONG_FORM = re.compile(r"([0-9]{8})-?([0-9]{4})")
_NORMALISED = re.compile(r"[0-9]{12}")

# A samordningsnummer adds this to the birth day.
_SAMORDNING_DAY_OFFSET = 60

# Upper bound for free-text reserve numbers, so a sender cannot make us store an essay.
_RESERVNUMMER_MAX_LENGTH = 64


class IdType(StrEnum):
    """Kind of person identifier, spelled as in the LUS message field ``patient.id_type``."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    RESERVNUMMER = "reservnummer"


class InvalidIdentity(ValueError):
    """An identifier that breaks the format.

    The message says what is wrong and never contains the identifier itself: these
    errors end up in 422 answers and logs, where personal data must not appear.
    """


def _luhn_check_digit(digits: str) -> int:
    """Return the Luhn check digit for ``digits`` (weights 2, 1, 2, 1, ... from the left)."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        # Summing the digits of a product of at most 18 is the same as subtracting 9.
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _checked_birth_date(id_type: IdType, value: str) -> date:
    """Validate a normalised 12-digit ``value`` of ``id_type`` and return its birth date.

    Raises:
        InvalidIdentity: when the date or the check digit is wrong.
    """
    year, month, day_field = int(value[0:4]), int(value[4:6]), int(value[6:8])
    day = day_field
    if id_type is IdType.SAMORDNINGSNUMMER:
        if not 61 <= day_field <= 91:
            raise InvalidIdentity("samordningsnummer day field must be 61-91 (day of birth + 60)")
        day = day_field - _SAMORDNING_DAY_OFFSET
    try:
        born = date(year, month, day)
    except ValueError:
        # ``from None``: the chained error would only add noise, and keeping the
        # traceback free of the digits is the point of this module.
        raise InvalidIdentity("not a valid date") from None
    # The check runs over YYMMDDNNN as written, so for a samordningsnummer the day field
    # still carries its +60.
    if _luhn_check_digit(value[2:11]) != int(value[11]):
        raise InvalidIdentity("check digit does not match")
    return born


@dataclass(frozen=True, repr=False)
class PersonIdentity:
    """A validated person identifier.

    ``value`` is normalised: 12 digits (no hyphen) for personnummer and samordningsnummer,
    the stripped text for reservnummer. Build instances with :func:`parse_identity`;
    direct construction is validated too, but only accepts the normalised form.

    ``repr`` and ``str`` show the type only, so that an identity logged by mistake
    (an f-string, a debugger dump, an exception argument) leaks nothing.
    """

    id_type: IdType
    value: str

    def __post_init__(self) -> None:
        """Reject values that are not in the normalised, valid form for their type."""
        if not isinstance(self.id_type, IdType):
            raise InvalidIdentity("id_type must be an IdType")
        if not isinstance(self.value, str):
            raise InvalidIdentity("value must be a string")
        if self.id_type is IdType.RESERVNUMMER:
            if self.value != self.value.strip():
                raise InvalidIdentity("reservnummer must be stripped of surrounding whitespace")
            _check_reservnummer(self.value)
            return
        if _NORMALISED.fullmatch(self.value) is None:
            raise InvalidIdentity("normalised value must be 12 digits (YYYYMMDDNNNC)")
        _checked_birth_date(self.id_type, self.value)

    def __repr__(self) -> str:
        return f"PersonIdentity({self.id_type.value}, ***)"

    def __str__(self) -> str:
        return self.__repr__()

    def birth_date(self) -> date:
        """Return the birth date encoded in a personnummer or samordningsnummer.

        For a samordningsnummer the day field minus 60 is the day of birth.

        Raises:
            ValueError: for a reservnummer, which carries no birth date.
        """
        if self.id_type is IdType.RESERVNUMMER:
            raise ValueError("a reservnummer carries no birth date")
        return _checked_birth_date(self.id_type, self.value)

    def display(self, today: date) -> str:
        """Return the identifier as shown to people: ``YYMMDD-NNNC``.

        The separator is ``+`` instead of ``-`` from the calendar year in which the person
        turns 100 (DOMAIN.md; this is also the Swedish population-register rule), so the
        short form stays unambiguous about the century. ``today`` is a parameter rather
        than read from the clock so that the result is reproducible.

        A samordningsnummer is shown the same way, with its day field (+60) as stored.
        A reservnummer is shown as stored, since it has no standard short form.
        """
        if self.id_type is IdType.RESERVNUMMER:
            return self.value
        separator = "+" if today.year - self.birth_date().year >= 100 else "-"
        return f"{self.value[2:8]}{separator}{self.value[8:12]}"


def _check_reservnummer(text: str) -> None:
    """Raise InvalidIdentity unless ``text`` is a usable (already stripped) reserve number."""
    if not text:
        raise InvalidIdentity("reservnummer must not be empty")
    if len(text) > _RESERVNUMMER_MAX_LENGTH:
        raise InvalidIdentity(f"reservnummer must be at most {_RESERVNUMMER_MAX_LENGTH} characters")


def parse_identity(id_type: str | IdType, raw: str) -> PersonIdentity:
    """Parse an identifier as it arrives in a hospital message.

    Personnummer and samordningsnummer must be exactly 12 digits, with an optional hyphen
    between the date and the last four digits (``YYYYMMDD-NNNC`` or ``YYYYMMDDNNNC``).
    The 10-digit short form is refused because it does not say the century. The date must
    be real (for a samordningsnummer: day field 61-91 and day - 60 a real date), and the
    Luhn check digit must match. A reservnummer is any text that is non-empty after
    stripping and at most 64 characters long.

    Raises:
        InvalidIdentity: with a message that says what is wrong but never contains ``raw``.
    """
    try:
        kind = IdType(id_type)
    except ValueError:
        # The unknown value is left out: a sender that mixed up fields could have put the
        # number itself here.
        allowed = ", ".join(member.value for member in IdType)
        raise InvalidIdentity(f"unknown identifier type; expected one of: {allowed}") from None
    if not isinstance(raw, str):
        raise InvalidIdentity("identifier must be a string")

    if kind is IdType.RESERVNUMMER:
        stripped = raw.strip()
        _check_reservnummer(stripped)
        return PersonIdentity(kind, stripped)

    match = _LONG_FORM.fullmatch(raw)
    if match is None:
        raise InvalidIdentity("must be 12 digits (YYYYMMDDNNNC), hyphen optional")
    return PersonIdentity(kind, match.group(1) + match.group(2))
