"""Unit tests for referral.domain.identity.

Every valid vector below was checked by hand against the Luhn rule in DOMAIN.md (weights
2,1,2,1,... over YYMMDDNNN, digit sums of the products, C = (10 - sum mod 10) mod 10); the
working is in the comment next to each one. The tests deliberately do not compute check
digits themselves, which would only test the code against a copy of itself.
"""

from __future__ import annotations

from datetime import date

import pytest

from referral.domain.identity import IdType, InvalidIdentity, PersonIdentity, parse_identity

PN = IdType.PERSONNUMMER
SN = IdType.SAMORDNINGSNUMMER
RN = IdType.RESERVNUMMER

# Hand-verified valid personnummer vectors: (raw, normalised, birth date).
VALID_PERSONNUMMER = [
    # DOMAIN.md vector 121212-1212: 1 2 1 2 1 2 1 2 1 -> 2+2+2+2+2+2+2+2+2 = 18 -> C = 2.
    ("20121212-1212", "201212121212", date(2012, 12, 12)),
    ("201212121212", "201212121212", date(2012, 12, 12)),
    # Spec example: 4 0 1 0 0 9 2 3 8 -> 8+0+2+0+0+9+4+3+(1+6) = 33 -> C = 7.
    ("19401009-2387", "194010092387", date(1940, 10, 9)),
    # 1 2 0 1 0 1 2 3 4 -> 2+2+0+1+0+1+4+3+8 = 21 -> C = 9.
    ("19120101-2349", "191201012349", date(1912, 1, 1)),
    # 1 2 1 2 3 1 2 3 4 -> 2+2+2+2+6+1+4+3+8 = 30 -> C = 0.
    ("19121231-2340", "191212312340", date(1912, 12, 31)),
    # Leap day. 0 0 0 2 2 9 1 2 3 -> 0+0+0+2+4+9+2+2+6 = 25 -> C = 5.
    ("20000229-1235", "200002291235", date(2000, 2, 29)),
    # The century is outside the check, so 1912-12-12 with the same last ten digits is valid.
    ("19121212-1212", "191212121212", date(1912, 12, 12)),
]

# DOMAIN.md vector 701063-2391: day 63 = 3 + 60, so it is a samordningsnummer.
# 7 0 1 0 6 3 2 3 9 -> (1+4)+0+2+0+(1+2)+3+4+3+(1+8) = 29 -> C = 1.
SAMORDNINGSNUMMER = "19701063-2391"


@pytest.mark.parametrize(("raw", "normalised", "born"), VALID_PERSONNUMMER)
def test_a_valid_personnummer_is_accepted_and_normalised_to_twelve_digits(
    raw: str, normalised: str, born: date
) -> None:
    identity = parse_identity("personnummer", raw)
    assert identity.id_type is PN
    assert identity.value == normalised
    assert identity.birth_date() == born


def test_the_spec_example_19401009_2387_is_a_valid_personnummer() -> None:
    identity = parse_identity(PN, "19401009-2387")
    assert identity.display(today=date(2026, 11, 23)) == "401009-2387"


def test_701063_2391_is_a_valid_samordningsnummer_born_on_day_63_minus_60() -> None:
    identity = parse_identity("samordningsnummer", SAMORDNINGSNUMMER)
    assert identity.id_type is SN
    assert identity.value == "197010632391"
    assert identity.birth_date() == date(1970, 10, 3)
    # Shown like a personnummer, with the day field as written.
    assert identity.display(today=date(2026, 1, 1)) == "701063-2391"


def test_701063_2391_is_not_a_valid_personnummer_because_day_63_is_not_a_date() -> None:
    with pytest.raises(InvalidIdentity, match="not a valid date"):
        parse_identity("personnummer", SAMORDNINGSNUMMER)


def test_a_personnummer_is_not_a_valid_samordningsnummer() -> None:
    with pytest.raises(InvalidIdentity, match="61-91"):
        parse_identity("samordningsnummer", "20121212-1212")


def test_the_hyphen_is_optional_and_both_forms_give_equal_identities() -> None:
    with_hyphen = parse_identity(PN, "20121212-1212")
    without = parse_identity(PN, "201212121212")
    assert with_hyphen == without
    assert hash(with_hyphen) == hash(without)


@pytest.mark.parametrize("raw", [raw for raw, _, _ in VALID_PERSONNUMMER] + [SAMORDNINGSNUMMER])
def test_changing_the_last_digit_makes_the_check_digit_fail(raw: str) -> None:
    id_type = SN if raw == SAMORDNINGSNUMMER else PN
    last = int(raw[-1])
    for wrong in range(10):
        if wrong == last:
            continue
        mutated = raw[:-1] + str(wrong)
        with pytest.raises(InvalidIdentity, match="check digit does not match") as caught:
            parse_identity(id_type, mutated)
        assert mutated not in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        "20121212-1312",  # serial digit changed
        "20121213-1212",  # day changed (still a real date)
        "20121112-1212",  # month changed (still a real date)
        "20131212-1212",  # year changed inside YY
        "20121212-2112",  # two adjacent serial digits swapped
    ],
)
def test_a_single_changed_or_swapped_digit_inside_the_checked_part_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentity, match="check digit does not match"):
        parse_identity(PN, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "121212-1212",  # 10-digit short form: century unknown
        "1212121212",
        "20121212+1212",  # plus is a display form, not an input form
        "2012121-21212",  # hyphen in the wrong place
        "2012-12-12-1212",
        "20121212--1212",
        " 201212121212",
        "201212121212 ",
        "201212121212\n",
        "2012121212120",
        "20121212121",
        "",
        "abcdefghijkl",
        # Non-ASCII digits, which a plain \d would accept: full-width, then Arabic-Indic.
        "".join(chr(0xFF10 + int(char)) for char in "201212121212"),
        "".join(chr(0x0660 + int(char)) for char in "201212121212"),
    ],
)
def test_anything_but_twelve_ascii_digits_with_an_optional_hyphen_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentity, match=r"must be 12 digits \(YYYYMMDDNNNC\)"):
        parse_identity(PN, raw)


def test_february_29_in_a_non_leap_year_is_not_a_valid_date_even_with_a_good_check_digit() -> None:
    # Same YYMMDDNNN as the valid 20000229-1235, so only the date can be wrong: 1900 is not
    # a leap year.
    with pytest.raises(InvalidIdentity, match="not a valid date"):
        parse_identity(PN, "19000229-1235")


@pytest.mark.parametrize("raw", ["19701060-2391", "19701092-2391", "19701000-2391"])
def test_a_samordningsnummer_day_field_outside_61_to_91_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentity, match="61-91"):
        parse_identity(SN, raw)


def test_a_samordningsnummer_whose_day_minus_60_is_not_a_date_is_rejected() -> None:
    # Day field 91 -> 31 November.
    with pytest.raises(InvalidIdentity, match="not a valid date"):
        parse_identity(SN, "19701191-2391")


@pytest.mark.parametrize(
    ("id_type", "raw"),
    [
        (PN, "19701063-2391"),
        (PN, "20121212-1213"),
        (PN, "121212-1212"),
        (PN, "19000229-1235"),
        (SN, "20121212-1212"),
        (SN, "19701063-2392"),
        (SN, "19701191-2391"),
        (RN, "R" * 65),
        ("201212121212", "19401009-2387"),  # the number sent as the type
    ],
)
def test_error_messages_never_contain_the_identifier(id_type: str, raw: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        parse_identity(id_type, raw)
    message = str(caught.value)
    assert raw not in message
    assert raw.replace("-", "") not in message
    if id_type not in {member.value for member in IdType}:
        assert id_type not in message
    assert "201212121212" not in repr(caught.value)


def test_date_errors_do_not_chain_the_underlying_exception() -> None:
    with pytest.raises(InvalidIdentity) as caught:
        parse_identity(PN, "19000229-1235")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_repr_and_str_mask_the_value_completely() -> None:
    identity = parse_identity(PN, "19401009-2387")
    assert repr(identity) == "PersonIdentity(personnummer, ***)"
    assert str(identity) == "PersonIdentity(personnummer, ***)"
    for rendered in (repr(identity), str(identity), f"{identity}", repr([identity])):
        assert "2387" not in rendered
        assert "401009" not in rendered


def test_a_samordningsnummer_repr_shows_only_its_type() -> None:
    assert repr(parse_identity(SN, SAMORDNINGSNUMMER)) == "PersonIdentity(samordningsnummer, ***)"


def test_the_plus_separator_starts_in_the_year_the_person_turns_100() -> None:
    born_new_year = parse_identity(PN, "19120101-2349")
    assert born_new_year.display(today=date(2011, 12, 31)) == "120101-2349"
    assert born_new_year.display(today=date(2012, 1, 1)) == "120101+2349"
    # Born on New Year's Eve: still 99 for the whole year, but the plus applies from 1 Jan.
    born_new_years_eve = parse_identity(PN, "19121231-2340")
    assert born_new_years_eve.display(today=date(2011, 12, 31)) == "121231-2340"
    assert born_new_years_eve.display(today=date(2012, 1, 1)) == "121231+2340"
    assert born_new_years_eve.display(today=date(2030, 6, 1)) == "121231+2340"


def test_a_young_person_is_shown_with_a_hyphen() -> None:
    assert parse_identity(PN, "201212121212").display(today=date(2026, 1, 1)) == "121212-1212"


def test_a_reservnummer_is_stripped_and_kept_as_free_text() -> None:
    identity = parse_identity("reservnummer", "  TC-RES 000123/x  ")
    assert identity.id_type is RN
    assert identity.value == "TC-RES 000123/x"
    assert identity.display(today=date(2026, 1, 1)) == "TC-RES 000123/x"
    assert repr(identity) == "PersonIdentity(reservnummer, ***)"


def test_a_reservnummer_has_no_check_digit() -> None:
    assert parse_identity(RN, "20121212-1213").value == "20121212-1213"


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_an_empty_reservnummer_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentity, match="must not be empty"):
        parse_identity(RN, raw)


def test_a_reservnummer_may_be_64_characters_but_not_65() -> None:
    assert parse_identity(RN, "R" * 64).value == "R" * 64
    with pytest.raises(InvalidIdentity, match="at most 64 characters"):
        parse_identity(RN, "R" * 65)


def test_a_reservnummer_has_no_birth_date() -> None:
    with pytest.raises(ValueError, match="no birth date"):
        parse_identity(RN, "X1").birth_date()


@pytest.mark.parametrize("id_type", ["passport", "", "Personnummer", "PERSONNUMMER"])
def test_an_unknown_identifier_type_is_rejected(id_type: str) -> None:
    with pytest.raises(InvalidIdentity, match="unknown identifier type"):
        parse_identity(id_type, "201212121212")


def test_the_identifier_type_may_be_given_as_enum_or_string() -> None:
    assert parse_identity(PN, "201212121212") == parse_identity("personnummer", "201212121212")


@pytest.mark.parametrize(
    ("id_type", "value"),
    [
        (PN, "20121212-1212"),  # not normalised
        (PN, "201212121213"),  # bad check digit
        (SN, "201212121212"),  # day field not 61-91
        (RN, " padded "),  # not stripped
        (RN, ""),
    ],
)
def test_direct_construction_accepts_only_valid_normalised_values(id_type: IdType, value: str) -> None:
    with pytest.raises(InvalidIdentity):
        PersonIdentity(id_type, value)


def test_direct_construction_requires_an_id_type_enum() -> None:
    with pytest.raises(InvalidIdentity, match="IdType"):
        PersonIdentity("personnummer", "201212121212")  # type: ignore[arg-type]


def test_an_identity_is_immutable() -> None:
    identity = parse_identity(PN, "201212121212")
    with pytest.raises(AttributeError):
        identity.value = "194010092387"  # type: ignore[misc]
