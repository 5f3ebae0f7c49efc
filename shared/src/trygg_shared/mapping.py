"""Mapping between plain domain dataclasses and pydantic wire contracts, by field names and type hints.

The adapters' one mapper (domain and service layers never import it): a field goes across by its
name, converted by the target's type hint; only fields whose names or shapes really differ are
given explicitly.

- `to_contract(Contract, source, *more, **given)`: each field of the contract from `given`, else
  from the first of the sources (frozen dataclasses) that has an attribute of that name; a
  contract field with a default that no source has keeps its default, a required one raises.
  A defaulted field a source does have goes across too: to keep it off the wire (personal data,
  an old field), give it (`person=None`); `tests/contract/test_wire_mapping.py` holds the output.
- `from_contract(Domain, contract, *more, **given)`: the same the other way round (a domain
  field with a default that no source has keeps it).

Conversion follows the target's hint: an enum by value (a domain `StrEnum` to the wire's and
back; a value the target lacks raises), a plain `str` from an enum takes its value, a nested
dataclass to a nested contract (and back), tuples and lists item by item, `X | None` as `X` or
None; dates, datetimes, numbers and strings pass as they are (the contract validates them).

Every (source enum, target enum) pair converted is recorded in `enum_pairs()`, so a test can
assert that each pair still has the same values (see `enum_drift`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from trygg_shared import carry as _carry
from trygg_shared.carry import Field, collect, dataclass_fields, enum_pairs

__all__ = ["convert", "enum_drift", "enum_pairs", "from_contract", "to_contract"]

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")


def to_contract(contract: type[M], *sources: object, **given: Any) -> M:
    """The wire contract built from the domain `sources` by field name (`given` where they differ)."""
    values = collect(contract.__name__, _contract_fields(contract), sources, given, _nest)
    return contract(**values)


def from_contract(domain: type[D], *sources: object, **given: Any) -> D:
    """The domain dataclass built from a contract (and other `sources`) by field name."""
    values = collect(domain.__name__, dataclass_fields(domain), sources, given, _nest)
    return domain(**values)


def convert(value: Any, hint: Any) -> Any:
    """`value` as the type `hint` says (see the module's rules)."""
    return _carry.convert(value, hint, _nest)


def enum_drift(
    pairs: Iterable[tuple[type[Enum], type[Enum]]], only_in_source: dict[type[Enum], frozenset[str]] | None = None
) -> list[str]:
    """The pairs whose member values differ, as readable lines (empty: none drifted).

    `only_in_source` names values one side may have on purpose (e.g. a domain state that never
    goes on the wire); each must still exist there, so a stale exception is reported too.
    """
    allowed = only_in_source or {}
    drift = []
    for source, target in sorted(pairs, key=lambda p: (p[0].__module__, p[0].__qualname__, p[1].__qualname__)):
        own = allowed.get(source, frozenset())
        src_values = {str(m.value) for m in source}
        tgt_values = {str(m.value) for m in target}
        if (src_values - own) != tgt_values or not own <= src_values:
            drift.append(
                f"{source.__module__}.{source.__qualname__} ~ {target.__module__}.{target.__qualname__}: "
                f"only in source {sorted(src_values - tgt_values)}, only in target {sorted(tgt_values - src_values)}"
            )
    return drift


# --- internals ------------------------------------------------------------------------------------


def _nest(value: Any, hint: type) -> Any:
    if issubclass(hint, BaseModel) and not isinstance(value, BaseModel):
        return to_contract(hint, value)
    if dataclasses.is_dataclass(hint) and not dataclasses.is_dataclass(value):
        return from_contract(hint, value)
    return NotImplemented


_FIELDS: dict[type, tuple[Field, ...]] = {}


def _contract_fields(contract: type[BaseModel]) -> tuple[Field, ...]:
    if contract not in _FIELDS:
        _FIELDS[contract] = tuple(
            Field(name, info.annotation, info.is_required()) for name, info in contract.model_fields.items()
        )
    return _FIELDS[contract]
