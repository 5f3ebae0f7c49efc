"""Every CSV export goes through `csv_text`: text that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from trygg_shared.csv_export import csv_text, safe_cell

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
)
def test_a_cell_that_would_start_a_formula_is_read_back_as_text(text: str) -> None:
    document = csv_text(["team"], [[text]])

    (cell,) = list(csv.reader(io.StringIO(document)))[1]
    assert cell == "'" + text


@pytest.mark.parametrize("value", [-12, 3.5, "-12.5", "+4", "Team Väst", "a=b", "", 0])
def test_numbers_and_ordinary_text_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_none_is_an_empty_cell() -> None:
    assert csv_text(["a", "b"], [[None, 1]], lineterminator="\n") == "a,b\n,1\n"
