"""Building one plain dataclass from others by field name: the pure half of the typed mapping.

`carry(Target, source, *more, **given)`: each field of the dataclass `Target` from `given`, else
from the first source that has an attribute of that name (a method does not count); a field with
a default that no source has keeps its default, a required one raises `TypeError`, and so does a
`given` name the target lacks. Only the fields whose names or values really differ are written
out where it is called, so a record built from another (a fact from an event, a row from a fact)
does not repeat every field by hand.

Each value is converted by the target's type hint: an enum by value (a value the target's enum
lacks raises), a plain `str` from an enum takes its value, a nested dataclass from an object that
is not one already, tuples and lists item by item, `X | None` as `X` or None; everything else passes as it
is. Every (source enum, target enum) pair converted is recorded in `enum_pairs()`, so a test can
check that each pair still has the same values.

Standard library only: the domain and the service layer may use it (the import-linter contracts
keep it so); `trygg_shared.mapping` adds the wire's pydantic contracts on top of it.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

Nest = Callable[[Any, type], Any]
"""How a value goes into a class the generic rules do not cover (`NotImplemented`: as it is)."""

_ENUM_PAIRS: set[tuple[type[Enum], type[Enum]]] = set()


def carry(target: type[T], *sources: object, **given: Any) -> T:
    """The dataclass `target` built from `sources` by field name (`given` where they differ)."""
    values = collect(target.__name__, dataclass_fields(target), sources, given, _nest_dataclass)
    return target(**values)


def convert(value: Any, hint: Any, nest: Nest | None = None) -> Any:
    """`value` as the type `hint` says (see the module's rules); `nest` builds nested records."""
    nest = nest or _nest_dataclass
    if value is None:
        return None
    origin = get_origin(hint)
    if origin is Annotated:
        return convert(value, get_args(hint)[0], nest)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return convert(value, options[0], nest) if len(options) == 1 else value
    if origin in (tuple, list):
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(convert(v, a, nest) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        return origin(convert(v, item, nest) for v in value)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            if isinstance(value, Enum) and type(value) is not hint:
                _ENUM_PAIRS.add((type(value), hint))
                return hint(value.value)
            return hint(value)
        if hint is str and isinstance(value, Enum):
            return value.value
        nested = nest(value, hint)
        if nested is not NotImplemented:
            return nested
    return value


def enum_pairs() -> frozenset[tuple[type[Enum], type[Enum]]]:
    """The (source enum, target enum) pairs converted so far in this process."""
    return frozenset(_ENUM_PAIRS)


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a target: its name, its type hint, and whether it must be given."""

    name: str
    hint: Any
    required: bool


def collect(
    target: str, fields: tuple[Field, ...], sources: tuple[object, ...], given: dict[str, Any], nest: Nest
) -> dict[str, Any]:
    """The keyword arguments for `target`: each field from `given`, else from the sources."""
    unknown = set(given) - {f.name for f in fields}
    if unknown:
        raise TypeError(f"{target} has no field(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for f in fields:
        if f.name in given:
            values[f.name] = convert(given[f.name], f.hint, nest)
            continue
        found = _attribute(sources, f.name)
        if found is not _MISSING:
            values[f.name] = convert(found, f.hint, nest)
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


_FIELDS: dict[type, tuple[Field, ...]] = {}


def dataclass_fields(target: type[Any]) -> tuple[Field, ...]:
    """The fields `target` takes when it is built (cached per class)."""
    if target not in _FIELDS:
        if not dataclasses.is_dataclass(target):
            raise TypeError(f"{target.__name__} is not a dataclass")
        hints = get_type_hints(target, include_extras=True)
        _FIELDS[target] = tuple(
            Field(f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(target)
            if f.init
        )
    return _FIELDS[target]


def _nest_dataclass(value: Any, hint: type) -> Any:
    if dataclasses.is_dataclass(hint) and not isinstance(value, hint):
        return carry(hint, value)
    return NotImplemented
