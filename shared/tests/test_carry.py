"""`trygg_shared.carry`: one plain dataclass built from others by field name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest

from trygg_shared.carry import carry, enum_pairs


class Level(StrEnum):
    LOW = "low"
    HIGH = "high"


class RowLevel(StrEnum):
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class Raised:
    case_id: str
    team_id: str | None
    level: Level
    note: str

    def label(self) -> str:
        return "not a field"


@dataclass(frozen=True)
class Where:
    team_id: str


@dataclass(frozen=True)
class Row:
    case_id: str
    level: RowLevel
    exhausted: bool
    where: Where
    tags: tuple[RowLevel, ...] = ()
    label: str = "default"


@dataclass(frozen=True)
class Team:
    team_id: str


RAISED = Raised("c-1", "t-1", Level.HIGH, "n")


def test_fields_come_by_name_enums_by_value_given_wins_and_nested_records_are_built() -> None:
    row = carry(Row, RAISED, exhausted=True, where=Team("t-2"), tags=[Level.LOW])
    assert row == Row("c-1", RowLevel.HIGH, True, Where("t-2"), (RowLevel.LOW,))
    assert type(row.level) is RowLevel
    assert (Level, RowLevel) in enum_pairs()
    assert row.label == "default"  # a method of a source is not a field


def test_the_first_source_that_has_a_field_gives_it() -> None:
    later = Raised("c-9", None, Level.LOW, "m")
    row = carry(Row, RAISED, later, exhausted=False, where=Where("t"))
    assert row.case_id == "c-1"


def test_a_required_field_no_source_has_and_an_unknown_given_name_raise() -> None:
    with pytest.raises(TypeError, match=r"Row\.exhausted: no source has it"):
        carry(Row, RAISED, where=Where("t"))
    with pytest.raises(TypeError, match=r"Row has no field\(s\) \['colour'\]"):
        carry(Row, RAISED, exhausted=True, where=Where("t"), colour="red")


class Other(StrEnum):
    MAYBE = "maybe"


@dataclass(frozen=True)
class Odd:
    case_id: str
    level: Other


def test_an_enum_value_the_target_lacks_raises() -> None:
    with pytest.raises(ValueError, match="'high' is not a valid Other"):
        carry(Odd, RAISED)


def test_only_dataclasses_are_targets() -> None:
    with pytest.raises(TypeError, match="is not a dataclass"):
        carry(dict, RAISED)  # type: ignore[type-var]
