"""CSV exports that a spreadsheet cannot turn into formulas: the one writer every CSV export uses.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is read by Excel, LibreOffice and Google Sheets
as a formula: a team named `=HYPERLINK("http://x","y")` becomes a live link in the statement a
municipality's finance officer opens (CSV injection, OWASP). Such text cells get a leading `'`,
which spreadsheets show as text and do not display. Numbers (ints, floats, and text that is
exactly a decimal number such as `-12.5`) are left as they are: they cannot carry a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet reads it as data: text that would start a formula gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, lineterminator: str = "\r\n") -> str:
    """The CSV document (header first), every cell through `safe_cell`; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
