"""Every event contract has a JSON Schema snapshot, and no change to it breaks a consumer."""

from __future__ import annotations

import json

import pytest

from trygg_shared.contracts import ALL_EVENTS
from trygg_shared.contracts.snapshots import breaking_changes, current_schemas, load_snapshot

SCHEMAS = current_schemas()


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_the_contract_has_no_breaking_change_against_its_snapshot(event_type: str) -> None:
    snapshot = load_snapshot(event_type)
    assert snapshot is not None, f"no snapshot for {event_type}: run `make schemas` and commit it"
    problems = breaking_changes(snapshot, SCHEMAS[event_type])
    assert not problems, f"breaking change to {event_type}: {problems}; publish a new type (v2) instead"


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_the_snapshot_is_up_to_date(event_type: str) -> None:
    assert load_snapshot(event_type) == json.loads(json.dumps(SCHEMAS[event_type])), (
        f"{event_type} changed compatibly: run `make schemas` and commit the snapshot"
    )


@pytest.mark.parametrize("contract", ALL_EVENTS, ids=lambda c: c.__name__)
def test_every_field_is_described(contract: type) -> None:
    undocumented = [name for name, field in contract.model_fields.items() if not field.description]  # type: ignore[attr-defined]
    assert not undocumented, f"{contract.__name__}: fields without description: {undocumented}"


def _schema(properties: dict[str, object], required: list[str]) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": required}


def test_removing_a_field_is_breaking() -> None:
    old = _schema({"a": {"type": "string"}, "b": {"type": "integer"}}, ["a"])
    new = _schema({"a": {"type": "string"}}, ["a"])
    assert breaking_changes(old, new) == ["b: removed"]


def test_making_a_field_required_is_breaking() -> None:
    old = _schema({"a": {"type": "string"}}, [])
    new = _schema({"a": {"type": "string"}}, ["a"])
    assert breaking_changes(old, new) == ["a: newly required"]


def test_changing_a_type_is_breaking() -> None:
    old = _schema({"a": {"type": "string"}}, [])
    new = _schema({"a": {"type": "integer"}}, [])
    assert breaking_changes(old, new) == ["a: type changed"]


def test_removing_an_enum_value_is_breaking_but_adding_one_is_not() -> None:
    old = _schema({"a": {"enum": ["x", "y"], "type": "string"}}, [])
    assert breaking_changes(old, _schema({"a": {"enum": ["x"], "type": "string"}}, [])) == [
        "a: enum values removed ['y']"
    ]
    assert breaking_changes(old, _schema({"a": {"enum": ["x", "y", "z"], "type": "string"}}, [])) == []


def test_adding_an_optional_field_is_compatible() -> None:
    old = _schema({"a": {"type": "string"}}, ["a"])
    new = _schema({"a": {"type": "string"}, "b": {"type": "string", "description": "new"}}, ["a"])
    assert breaking_changes(old, new) == []
