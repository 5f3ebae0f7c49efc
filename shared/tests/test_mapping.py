"""The typed mapping between domain dataclasses and wire contracts (`trygg_shared.mapping`)."""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest
from pydantic import ConfigDict, ValidationError, create_model

from trygg_shared.fields import Text
from trygg_shared.mapping import enum_drift, enum_pairs, from_contract, to_contract

# The domain's words (one never on the wire) and the wire's; the domain's records and the contracts.
Colour = StrEnum("Colour", {"RED": "red", "BLUE": "blue", "DRAFT": "draft"}, module=__name__)
WireColour = StrEnum("WireColour", {"RED": "red", "BLUE": "blue"}, module=__name__)
Ref = make_dataclass("Ref", [("owner", str)], frozen=True)
Part = make_dataclass("Part", [("colour", Colour), ("size", int)], frozen=True)
Thing = make_dataclass(
    "Thing",
    [
        ("ref", Ref),
        ("name", str),
        ("colour", Colour),
        ("parts", tuple[Part, ...]),
        ("due", date | None),
        ("at", datetime),
    ],
    frozen=True,
)
_FROZEN = ConfigDict(frozen=True)
WirePart = create_model("WirePart", __config__=_FROZEN, colour=(WireColour, ...), size=(int, ...))
WireThing = create_model(
    "WireThing",
    __config__=_FROZEN,
    owner=(Text, ...),
    name=(Text, ...),
    colour=(WireColour, ...),
    parts=(tuple[WirePart, ...], ...),
    due=(date | None, None),
    made_at=(datetime, ...),
    note=(str | None, None),
)

AT = datetime(2026, 11, 2, 8, tzinfo=UTC)
THING = Thing(Ref("o-1"), "n", Colour.BLUE, (Part(Colour.RED, 2),), date(2026, 11, 3), AT)


def test_fields_go_across_by_name_enums_by_value_nested_and_tuples_by_hint() -> None:
    wire = to_contract(WireThing, THING, THING.ref, made_at=THING.at)
    assert wire == WireThing(
        owner="o-1",
        name="n",
        colour=WireColour.BLUE,
        parts=(WirePart(colour=WireColour.RED, size=2),),
        due=date(2026, 11, 3),
        made_at=AT,
    )
    assert type(wire.colour) is WireColour
    assert (Colour, WireColour) in enum_pairs()


def test_back_from_the_contract_to_the_domain() -> None:
    wire = to_contract(WireThing, THING, THING.ref, made_at=THING.at)
    back = from_contract(Thing, wire, ref=Ref(wire.owner), at=wire.made_at)
    assert back == THING
    assert type(back.colour) is Colour
    assert type(back.parts[0].colour) is Colour


def test_a_required_field_no_source_has_is_an_error_not_a_default() -> None:
    with pytest.raises(TypeError, match=r"WireThing\.made_at"):
        to_contract(WireThing, THING, THING.ref)


def test_a_given_field_the_contract_lacks_is_an_error() -> None:
    with pytest.raises(TypeError, match="madeat"):
        to_contract(WireThing, THING, THING.ref, madeat=AT)


def test_a_domain_value_missing_on_the_wire_is_refused() -> None:
    with pytest.raises(ValueError, match="draft"):
        to_contract(WireThing, THING, THING.ref, made_at=AT, colour=Colour.DRAFT)


def test_the_contract_still_validates() -> None:
    with pytest.raises(ValidationError):
        to_contract(WireThing, THING, THING.ref, made_at=AT, name="a\x00b")


def test_an_enum_to_a_plain_string_is_its_value() -> None:
    @dataclass(frozen=True)
    class Fact:
        colour: str
        size: int

    assert from_contract(Fact, WirePart(colour=WireColour.RED, size=1)) == Fact("red", 1)


def test_enum_drift_names_each_pair_that_differs_and_each_stale_exception() -> None:
    assert enum_drift([(Colour, WireColour)], {Colour: frozenset({"draft"})}) == []
    (line,) = enum_drift([(Colour, WireColour)])
    assert "only in source ['draft']" in line
    (stale,) = enum_drift([(WireColour, WireColour)], {WireColour: frozenset({"green"})})
    assert "WireColour" in stale
