"""Constrained field types for every edge: HTTP request models, webhooks and event contracts.

Input that can never be stored or used is refused where it enters, with the field it is in
(a 422 problem on HTTP, the dead-letter topic with the reason for an event), instead of failing
later in the store (PostgreSQL refuses U+0000 in JSONB) or in a batch (a statement run over a
case dated in the year 378). Two classes of input:

- text: no control characters. `Text` (ids, codes, single-line fields) refuses every C0
  control (U+0000–U+001F, including tab and newline), DEL (U+007F), every C1 control
  (U+0080–U+009F) and lone surrogates; `NonBlankText` (names) blank texts too; `FreeText`
  (notes, reasons, summaries people write) allows tab, newline and carriage return;
- dates: a plausible window, `EARLIEST`..`LATEST` (2000-01-01..2099-12-31), for dates and for
  date-times (by the date as written, whatever its offset).

Each type states its rule in the JSON Schema as a `pattern` too, so the OpenAPI documents and
the event schemas say what is accepted (and schemathesis generates within it). Error messages
never quote the value (it may be personal data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema as cs

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

# Character classes as JSON Schema (ECMA-262) and Python both read them.
_CONTROLS = r"\x00-\x1F\x7F-\x9F"
_CONTROLS_BUT_WHITESPACE = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F"
TEXT_PATTERN = rf"^[^{_CONTROLS}]*$"
NON_BLANK_TEXT_PATTERN = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
NON_BLANK_FREE_TEXT_PATTERN = rf"^[^{_CONTROLS_BUT_WHITESPACE}]*[^\s{_CONTROLS}][^{_CONTROLS_BUT_WHITESPACE}]*$"
FREE_TEXT_PATTERN = rf"^[^{_CONTROLS_BUT_WHITESPACE}]*$"
# A date or date-time string whose year is 2000–2099 (the format itself is checked by the type).
PLAUSIBLE_DATE_PATTERN = r"^20[0-9]{2}-"

# Lone surrogates (which `json.loads` lets through from `\\ud800`) cannot be encoded as UTF-8 for any
# store; refused too, though not in the documented pattern (not every regex engine takes them).
_SURROGATES = "\ud800-\udfff"
_CONTROL = re.compile(f"[{_CONTROLS}{_SURROGATES}]")
_CONTROL_BUT_WHITESPACE = re.compile(f"[{_CONTROLS_BUT_WHITESPACE}{_SURROGATES}]")


@dataclass(frozen=True)
class _Pattern:
    """Adds a `pattern` to a field's JSON Schema (validation is done by the type's validator)."""

    pattern: str

    def __get_pydantic_json_schema__(self, schema: cs.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler.resolve_ref_schema(handler(schema))
        if json_schema.get("pattern", self.pattern) == self.pattern:
            json_schema["pattern"] = self.pattern
        elif {"pattern": self.pattern} not in json_schema.get("allOf", []):
            # The field has a pattern of its own (e.g. `\S`): both hold, and both are documented.
            json_schema["allOf"] = [*json_schema.get("allOf", []), {"pattern": self.pattern}]
        return json_schema


def has_control_characters(value: str, *, allow_whitespace: bool = False) -> bool:
    """Whether `value` holds a control character or a lone surrogate (tab, newline and CR allowed with
    `allow_whitespace`)."""
    pattern = _CONTROL_BUT_WHITESPACE if allow_whitespace else _CONTROL
    return pattern.search(value) is not None


def _no_controls(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters (U+0000–U+001F, U+007F–U+009F)")
    return value


def _no_controls_but_whitespace(value: str) -> str:
    if has_control_characters(value, allow_whitespace=True):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def is_plausible(value: date) -> bool:
    """Whether a date (or a date-time's date, as written) lies in `EARLIEST`..`LATEST`."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def _plausible(value: Any) -> Any:
    if not is_plausible(value):
        raise ValueError(f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


Text = Annotated[str, AfterValidator(_no_controls), _Pattern(TEXT_PATTERN)]
"""A single-line text: no control characters at all."""

NonBlankText = Annotated[
    str, AfterValidator(_no_controls), AfterValidator(_not_blank), _Pattern(NON_BLANK_TEXT_PATTERN)
]
"""A single-line text with at least one character that is not white space (names): no control characters."""

FreeText = Annotated[str, AfterValidator(_no_controls_but_whitespace), _Pattern(FREE_TEXT_PATTERN)]
"""Text people write (notes, reasons): tab and line breaks allowed, no other control character."""

NonBlankFreeText = Annotated[
    str,
    AfterValidator(_no_controls_but_whitespace),
    AfterValidator(_not_blank),
    _Pattern(NON_BLANK_FREE_TEXT_PATTERN),
]
"""Free text that must say something (a reason): not only white space."""

PlausibleDate = Annotated[date, AfterValidator(_plausible), _Pattern(PLAUSIBLE_DATE_PATTERN)]
"""A date between 2000-01-01 and 2099-12-31."""

PlausibleDatetime = Annotated[datetime, AfterValidator(_plausible), _Pattern(PLAUSIBLE_DATE_PATTERN)]
"""A date-time whose date (as written) lies between 2000-01-01 and 2099-12-31."""

PlausibleAwareDatetime = Annotated[AwareDatetime, AfterValidator(_plausible), _Pattern(PLAUSIBLE_DATE_PATTERN)]
"""A date-time with an offset, whose date (as written) lies between 2000-01-01 and 2099-12-31."""


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


Integer = Annotated[int, BeforeValidator(_not_a_bool)]
"""A JSON integer: `3` and `3.0` (the same number in JSON), never `true` or `1.5` (pydantic's lax `int`
takes `true` as 1, and `StrictInt` refuses `3.0`, which JSON Schema calls an integer)."""
