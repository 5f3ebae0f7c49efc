"""Domain dataclasses to BSON-ready documents and back, driven by their type hints.

Dates (not datetimes) become ISO strings (BSON has no date type), fractions `"1/14"`, months
`"YYYY-MM"`, enums their value; datetimes stay datetimes (BSON dates keep milliseconds).
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from enum import Enum
from fractions import Fraction
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from billing.domain.money import Month

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A document (dicts, lists, scalars, datetimes) for a domain value."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Month):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(encode(k)): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    raise TypeError(f"cannot store {type(value).__name__}")


def decode(tp: Any, value: Any, typevars: dict[Any, Any] | None = None) -> Any:
    """The domain value of type `tp` from its document (`typevars` binds generic parameters)."""
    typevars = typevars or {}
    if isinstance(tp, TypeVar):
        tp = typevars[tp]
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return decode(args[0], value, typevars)
    if origin in (list, tuple, set, frozenset):
        item_type = get_args(tp)[0] if get_args(tp) else Any
        items = [decode(item_type, v, typevars) for v in value]
        return items if origin is list else origin(items)
    if origin is dict:
        key_type, value_type = get_args(tp)
        return {decode(key_type, k, typevars): decode(value_type, v, typevars) for k, v in value.items()}
    if isinstance(origin, type) and dataclasses.is_dataclass(origin):
        params = getattr(origin, "__parameters__", ())
        bound = dict(zip(params, [typevars.get(a, a) for a in get_args(tp)], strict=False))
        return _dataclass(origin, value, bound)
    if tp is Any:
        return value
    if value is None:
        return None
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return tp(value)
        if tp is datetime:
            return value
        if tp is date:
            return date.fromisoformat(value)
        if tp is Month:
            return Month.parse(value)
        if tp is Fraction:
            return Fraction(value)
        if dataclasses.is_dataclass(tp):
            return _dataclass(tp, value, typevars)
        if tp is float:
            return float(value)
        if tp in (bool, int, str):
            return value
    raise TypeError(f"cannot read {tp!r}")


def _dataclass(cls: type[T], value: dict[str, Any], typevars: dict[Any, Any]) -> T:
    hints = get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in value:
            kwargs[f.name] = decode(hints[f.name], value[f.name], typevars)
    return cls(**kwargs)
