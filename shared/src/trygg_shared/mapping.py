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
import types
from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")

_ENUM_PAIRS: set[tuple[type[Enum], type[Enum]]] = set()


def to_contract(contract: type[M], *sources: object, **given: Any) -> M:
    """The wire contract built from the domain `sources` by field name (`given` where they differ)."""
    values = _collect(contract.__name__, _contract_fields(contract), sources, given)
    return contract(**values)


def from_contract(domain: type[D], *sources: object, **given: Any) -> D:
    """The domain dataclass built from a contract (and other `sources`) by field name."""
    values = _collect(domain.__name__, _dataclass_fields(domain), sources, given)
    return domain(**values)


def convert(value: Any, hint: Any) -> Any:
    """`value` as the type `hint` says (see the module's rules)."""
    if value is None:
        return None
    origin = get_origin(hint)
    if origin is Annotated:
        return convert(value, get_args(hint)[0])
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return convert(value, options[0]) if len(options) == 1 else value
    if origin in (tuple, list):
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(convert(v, a) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        return origin(convert(v, item) for v in value)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            if isinstance(value, Enum) and type(value) is not hint:
                _ENUM_PAIRS.add((type(value), hint))
                return hint(value.value)
            return hint(value)
        if hint is str and isinstance(value, Enum):
            return value.value
        if issubclass(hint, BaseModel) and not isinstance(value, BaseModel):
            return to_contract(hint, value)
        if dataclasses.is_dataclass(hint) and not dataclasses.is_dataclass(value):
            return from_contract(hint, value)
    return value


def enum_pairs() -> frozenset[tuple[type[Enum], type[Enum]]]:
    """The (source enum, target enum) pairs converted so far in this process."""
    return frozenset(_ENUM_PAIRS)


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


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    hint: Any
    required: bool


def _collect(
    target: str, fields: tuple[_Field, ...], sources: tuple[object, ...], given: dict[str, Any]
) -> dict[str, Any]:
    unknown = set(given) - {f.name for f in fields}
    if unknown:
        raise TypeError(f"{target} has no field(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for f in fields:
        if f.name in given:
            values[f.name] = convert(given[f.name], f.hint)
            continue
        found = _attribute(sources, f.name)
        if found is not _MISSING:
            values[f.name] = convert(found, f.hint)
        elif f.required:
            raise TypeError(f"{target}.{f.name}: no source has it and it has no default")
    return values


_MISSING = object()


def _attribute(sources: tuple[object, ...], name: str) -> Any:
    for source in sources:
        found = getattr(source, name, _MISSING)
        if found is not _MISSING and not callable(found):
            return found
    return _MISSING


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _contract_fields(contract: type[BaseModel]) -> tuple[_Field, ...]:
    if contract not in _FIELDS:
        _FIELDS[contract] = tuple(
            _Field(name, info.annotation, info.is_required()) for name, info in contract.model_fields.items()
        )
    return _FIELDS[contract]


def _dataclass_fields(domain: type[Any]) -> tuple[_Field, ...]:
    if domain not in _FIELDS:
        if not dataclasses.is_dataclass(domain):
            raise TypeError(f"{domain.__name__} is not a dataclass")
        hints = get_type_hints(domain, include_extras=True)
        _FIELDS[domain] = tuple(
            _Field(f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(domain)
            if f.init
        )
    return _FIELDS[domain]
