"""Reading the region's liability invoice (CSV) under a region's column layout.

The layout is data (`InvoiceLayout`, one per region code, `*` for any other region): which header
names the fields, the delimiter, the encoding and whether amounts use a decimal comma. A file is
read whole or not at all: every problem is collected with its line number and field (never the
value: a cell may hold an identity number), and a file with any problem gives no lines.

Identity numbers are checked (personnummer or samordningsnummer, Luhn check digit) and
normalised to 12 digits (YYYYMMDDNNNC); they live only in memory, long enough to be matched to a
person reference, and are never stored, logged or shown.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

FIELDS = ("identity_number", "episode_id", "care_unit", "ready_date", "discharge_date", "days", "amount")
REQUIRED = ("care_unit", "ready_date", "days", "amount")  # and an identity number or an episode id per line
MAX_LINES = 10_000
_IDENTITY = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")


@dataclass(frozen=True)
class InvoiceLayout:
    """How one region's invoice file is laid out: each field's column header, and the format."""

    columns: Mapping[str, str]  # field (FIELDS) -> the header naming its column
    delimiter: str = ";"
    encoding: str = "utf-8"
    decimal_comma: bool = True  # "9 300,00" (else "9300.00")

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown invoice fields: {sorted(unknown)}")
        missing = [f for f in REQUIRED if f not in self.columns]
        if missing or not ({"identity_number", "episode_id"} & set(self.columns)):
            raise ValueError(f"an invoice layout needs {', '.join(REQUIRED)} and identity_number or episode_id")
        if len(self.delimiter) != 1:
            raise ValueError("the delimiter is one character")


@dataclass(frozen=True)
class ChargedStay:
    """What one line of the region's invoice charges: a stay, the days in the invoice's month, the amount."""

    line_no: int
    episode_id: str | None
    care_unit: str
    ready_date: date
    discharge_date: date | None
    days: int
    amount_ore: int


@dataclass(frozen=True)
class InvoiceLine(ChargedStay):
    """One line of the region's invoice as read (the identity number in memory only)."""

    identity_number: str | None = field(default=None, repr=False)  # 12 digits; never stored, logged or shown


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line of the file (no value from the file)."""

    line_no: int
    field: str
    problem: str


def luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits[:9]):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10 == int(ten_digits[9])


def normalise_identity(text: str, invoice_year: int) -> str | None:
    """A personnummer or samordningsnummer as 12 digits, or None when it is not a valid one.

    Ten digits take the century that makes the person at most 99 years old in `invoice_year` (a `+`
    says 100 or older), as Skatteverket writes them."""
    found = _IDENTITY.match(text.strip().replace(" ", ""))
    if found is None:
        return None
    century, birth, sign, tail = found.groups()
    if century is None:
        year = invoice_year - (invoice_year - int(birth[:2])) % 100 - (100 if sign == "+" else 0)
        century = f"{year // 100:02d}"
    digits = century + birth + tail
    month, day = int(digits[4:6]), int(digits[6:8])
    day = day - 60 if day > 60 else day  # samordningsnummer
    try:
        date(int(digits[:4]), month, day)
    except ValueError:
        return None
    return digits if luhn_ok(digits[2:]) else None


def identity_key(identity_number: str) -> str:
    """The digest under which billing finds a person by identity number (the `identity_key` of the
    person's document, beside the billing subject referral sent): the identity's digits, so
    `19401009-2387` and `194010092387` are the same person. The number itself is never a key."""
    digits = "".join(ch for ch in identity_number if ch.isdigit())
    return hashlib.sha256(f"trygg-billing-identity:{digits}".encode()).hexdigest()


def _date(text: str) -> date | None:
    try:
        parsed = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if date(2000, 1, 1) <= parsed <= date(2099, 12, 31) else None


def _amount_ore(text: str, decimal_comma: bool) -> int | None:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").removesuffix("kr").strip()
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > Decimal(100_000_000) or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


class _Row:
    """One row's cells by field, collecting its problems."""

    def __init__(self, line_no: int, cells: Mapping[str, str], problems: list[LineProblem]) -> None:
        self.line_no, self.cells, self.problems = line_no, cells, problems

    def text(self, name: str) -> str | None:
        value = self.cells.get(name, "").strip()
        return value or None

    def fail(self, name: str, problem: str) -> None:
        self.problems.append(LineProblem(self.line_no, name, problem))


def _line(row: _Row, layout: InvoiceLayout, invoice_year: int) -> InvoiceLine | None:
    before = len(row.problems)
    identity_text, episode = row.text("identity_number"), row.text("episode_id")
    identity = normalise_identity(identity_text, invoice_year) if identity_text else None
    if identity_text and identity is None:
        row.fail("identity_number", "not a valid personnummer or samordningsnummer")
    if not identity_text and not episode:
        row.fail("identity_number", "neither an identity number nor an episode id")
    if episode is not None and len(episode) > 100:
        row.fail("episode_id", "longer than 100 characters")
    care_unit = row.text("care_unit")
    if care_unit is None or len(care_unit) > 200:
        row.fail("care_unit", "missing or longer than 200 characters")
    ready = _date(row.text("ready_date") or "")
    if ready is None:
        row.fail("ready_date", "not a date (YYYY-MM-DD, 2000-2099)")
    discharge_text = row.text("discharge_date")
    discharge = _date(discharge_text) if discharge_text else None
    if discharge_text and discharge is None:
        row.fail("discharge_date", "not a date (YYYY-MM-DD, 2000-2099)")
    elif discharge and ready and discharge < ready:
        row.fail("discharge_date", "before the ready date")
    days_text = row.text("days") or ""
    days = int(days_text) if days_text.isdigit() and len(days_text) <= 3 else None
    if days is None:
        row.fail("days", "not a whole number of days (0-999)")
    amount = _amount_ore(row.text("amount") or "", layout.decimal_comma)
    if amount is None:
        row.fail("amount", "not an amount in kronor (at most two decimals)")
    if len(row.problems) > before or ready is None or days is None or amount is None or care_unit is None:
        return None
    return InvoiceLine(row.line_no, episode, care_unit, ready, discharge, days, amount, identity)


def parse_invoice(
    content: bytes, layout: InvoiceLayout, invoice_year: int
) -> tuple[list[InvoiceLine], list[LineProblem]]:
    """The file's lines, or (when anything is wrong) no lines and every problem found."""
    try:
        text = content.decode(layout.encoding).removeprefix("\ufeff")
    except (UnicodeDecodeError, LookupError):
        return [], [LineProblem(0, "file", "not text in the region's encoding")]
    if "\x00" in text:
        return [], [LineProblem(0, "file", "holds a NUL character")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    try:
        rows = [r for r in reader]
    except csv.Error:
        return [], [LineProblem(0, "file", "not readable as CSV (an unclosed quote?)")]
    if not rows:
        return [], [LineProblem(1, "header", "the file is empty")]
    header = [h.strip() for h in rows[0]]
    problems = [
        LineProblem(1, name, f"no column {column!r}") for name, column in layout.columns.items() if column not in header
    ]
    if len(rows) - 1 > MAX_LINES:
        problems.append(LineProblem(0, "file", f"more than {MAX_LINES} lines"))
    if problems:
        return [], problems
    where = {name: header.index(column) for name, column in layout.columns.items()}
    lines: list[InvoiceLine] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line (often the last)
        if len(cells) != len(header):
            problems.append(LineProblem(number, "line", f"{len(cells)} cells, the header has {len(header)}"))
            continue
        row = _Row(number, {name: cells[i] for name, i in where.items()}, problems)
        line = _line(row, layout, invoice_year)
        if line is not None:
            lines.append(line)
    if not lines and not problems:
        problems.append(LineProblem(2, "line", "the invoice has no lines"))
    return ([], problems) if problems else (lines, [])


# The documented default layout (README: "The region's invoice") and the one seeded for Region
# Stockholm's export; others are set with BILLING_INVOICE_LAYOUTS.
DEFAULT_LAYOUT = InvoiceLayout(
    columns={
        "identity_number": "personnummer",
        "episode_id": "vardtillfalle",
        "care_unit": "vardenhet",
        "ready_date": "utskrivningsklar",
        "discharge_date": "utskriven",
        "days": "dagar",
        "amount": "belopp",
    }
)
