"""Reading the region's invoice: the layout as data, every problem by line and field, never a value."""

from __future__ import annotations

from datetime import date

import pytest
from invoice_support import SAMPLE

from billing.domain.invoice_csv import DEFAULT_LAYOUT, InvoiceLayout, normalise_identity, parse_invoice

HEADER = "personnummer;vardtillfalle;vardenhet;utskrivningsklar;utskriven;dagar;belopp\n"


def test_the_sample_invoice_reads_whole() -> None:
    lines, problems = parse_invoice(SAMPLE.read_bytes(), DEFAULT_LAYOUT, 2024)

    assert problems == []
    assert [(line.line_no, line.days, line.amount_ore) for line in lines] == [
        (2, 5, 4_650_000),
        (3, 7, 6_510_000),
        (4, 1, 930_000),
        (5, 2, 1_860_000),
        (6, 2, 1_860_000),
    ]
    assert lines[0].identity_number is None
    assert lines[0].episode_id == "EPI-A"
    assert lines[1].identity_number == "191212121212"  # "121212+1212": a hundred or older
    assert lines[2].discharge_date is None
    assert "1212" not in repr(lines[1])  # the identity number is not in the line's repr (logs, tracebacks)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19401009-2387", "194010092387"),
        ("401009-2387", "194010092387"),
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        ("701063-2391", "197010632391"),  # samordningsnummer: day + 60
        ("19401009-2388", None),  # check digit
        ("19401309-2387", None),  # no 13th month
        ("ABC", None),
    ],
)
def test_identity_numbers_are_checked_and_normalised(text: str, expected: str | None) -> None:
    assert normalise_identity(text, 2024) == expected


def test_a_bad_file_names_each_problem_by_line_and_field_and_gives_no_lines() -> None:
    content = (
        HEADER
        + "19401009-2388;;Avd 1;2024-03-04;2024-03-11;5;46 500,00\n"  # check digit
        + ";;Avd 2;2024-03-32;2024-03-11;x;12,345\n"  # no identity, bad date, days, amount
        + "19401009-2387;;Avd 3;2024-03-04;2024-03-01;5;100\n"  # discharged before ready
        + "19401009-2387;;Avd 3;2024-03-04;2024-03-11;5\n"  # a cell short
        + "19401009-2387;;Avd 4;2024-03-04;2024-03-11;5;46 500,00\n"  # fine, but the file is refused whole
    ).encode()

    lines, problems = parse_invoice(content, DEFAULT_LAYOUT, 2024)

    assert lines == []
    assert [(p.line_no, p.field) for p in problems] == [
        (2, "identity_number"),
        (3, "identity_number"),
        (3, "ready_date"),
        (3, "days"),
        (3, "amount"),
        (4, "discharge_date"),
        (5, "line"),
    ]
    assert not any("1940" in p.problem or "2388" in p.problem for p in problems)


def test_a_missing_column_is_named_with_the_header_line() -> None:
    content = b"personnummer;vardenhet;utskrivningsklar;dagar\n19401009-2387;Avd 1;2024-03-04;5\n"

    _, problems = parse_invoice(content, DEFAULT_LAYOUT, 2024)

    assert [(p.line_no, p.field) for p in problems] == [(1, "episode_id"), (1, "discharge_date"), (1, "amount")]


def test_a_region_s_own_layout_is_data() -> None:
    layout = InvoiceLayout(
        columns={
            "identity_number": "Personnr",
            "care_unit": "Enhet",
            "ready_date": "Utskrivningsklar datum",
            "discharge_date": "Utskrivningsdatum",
            "days": "Antal dagar",
            "amount": "Belopp",
        },
        delimiter=",",
        encoding="cp1252",
        decimal_comma=False,
    )
    content = (
        "Enhet,Personnr,Utskrivningsklar datum,Utskrivningsdatum,Antal dagar,Belopp\n"
        "Gällivare avd 3,19401009-2387,2024-03-04,2024-03-11,5,46500.00\n"
    ).encode("cp1252")

    [line], problems = parse_invoice(content, layout, 2024)

    assert problems == []
    assert (line.care_unit, line.ready_date, line.amount_ore) == ("Gällivare avd 3", date(2024, 3, 4), 4_650_000)
    assert parse_invoice(content, DEFAULT_LAYOUT, 2024)[1][0].field == "file"  # not UTF-8


def test_a_layout_that_cannot_be_applied_is_refused() -> None:
    with pytest.raises(ValueError, match="identity_number or episode_id"):
        InvoiceLayout(columns={"care_unit": "a", "ready_date": "b", "days": "c", "amount": "d"})
