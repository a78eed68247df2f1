"""The type MLflow infers for the values of an object column (lists, dicts, scalars), and its
JSON, so that a DataFrame's schema reads as MLflow writes it.

MLflow's rules: None, NaN and empty lists or dicts are "any"; a dict is an object whose
properties (sorted by name) are required unless their value is "any"; a list or array is an
array of its items' type, items of different scalar types being an error; objects met more
than once are merged (a property missing from one, or "any" there, is not required).
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from tuitrack.errors import InvalidValueError

# A value type: ("scalar", name), ("any",), ("array", item type) or ("object", properties)
# with the properties a sorted tuple of (name, type, required).
ValueType = tuple[Any, ...]
ANY: ValueType = ("any",)

_SCALARS_BY_NAME = {
    "bool": "boolean",
    "bool_": "boolean",
    "int": "long",
    "int64": "long",
    "int32": "integer",
    "float": "double",
    "float64": "double",
    "float32": "float",
    "str": "string",
    "str_": "string",
    "bytes": "binary",
    "bytes_": "binary",
    "bytearray": "binary",
}


def _is_missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def _is_array(value: Any) -> bool:
    return isinstance(value, list) or type(value).__name__ == "ndarray"


def infer(value: Any) -> ValueType | None:
    """The type of one value; None for an empty numpy array (MLflow: undetermined)."""
    if _is_missing(value) or (isinstance(value, list | dict) and not value):
        return ANY
    if isinstance(value, dict):
        properties = []
        for name, item in value.items():
            found = infer(item)
            if found is None:
                raise InvalidValueError(f"property {name!r} is an empty array")
            properties.append((name, found, found != ANY))
        return ("object", tuple(sorted(properties, key=lambda p: p[0])))
    if _is_array(value):
        return _infer_array(value)
    scalar = _SCALARS_BY_NAME.get(type(value).__name__)
    if scalar is None and isinstance(value, datetime.date):
        scalar = "datetime"  # also pandas' Timestamp
    if scalar is None and type(value).__name__ == "datetime64":
        scalar = "datetime"
    if scalar is None:
        raise InvalidValueError(f"MLflow has no type for values of {type(value).__name__}")
    return ("scalar", scalar)


def _infer_array(values: Any) -> ValueType | None:
    result: ValueType | None = None
    for value in values:
        found = infer(value)
        if found is None:
            continue
        if result is None:
            result = ("array", found)
        elif result[1][0] == "scalar":
            if found not in (ANY, result[1]):
                raise InvalidValueError("an array of values of different types")
        else:
            result = ("array", merge(result[1], found))
    return result


def merge(first: ValueType, other: ValueType) -> ValueType:
    """One type for values of types `first` (not a scalar) and `other`, as MLflow merges."""
    if first == ANY:
        return other if other[0] in ("any", "scalar") else merge(other, first)
    if first[0] == "array":
        if other in (ANY, first):
            return first
        if other[0] != "array":
            raise InvalidValueError("an array and a non-array in one column")
        if first[1][0] == "scalar":
            if other[1] in (first[1], ANY):
                return first
            raise InvalidValueError("arrays of different item types")
        return ("array", merge(first[1], other[1]))
    if first[0] == "object":
        return _merge_objects(first, other)
    raise InvalidValueError("values of different types in one column")


def _merge_objects(first: ValueType, other: ValueType) -> ValueType:
    if other == ANY:
        return ("object", tuple((name, kind, False) for name, kind, _ in first[1]))
    if other[0] != "object":
        raise InvalidValueError("an object and a non-object in one column")
    if other == first:
        return first
    mine = {name: (kind, required) for name, kind, required in first[1]}
    theirs = {name: (kind, required) for name, kind, required in other[1]}
    merged = []
    for name in mine.keys() | theirs.keys():
        if name not in theirs or name not in mine:
            merged.append((name, (mine.get(name) or theirs[name])[0], False))
            continue
        (kind, required), (their_kind, their_required) = mine[name], theirs[name]
        both = required and their_required
        if kind[0] == "scalar":
            if their_kind not in (kind, ANY):
                raise InvalidValueError(f"property {name!r} has values of different types")
            merged.append((name, kind, both))
        else:
            merged.append((name, merge(kind, their_kind), both))
    return ("object", tuple(sorted(merged, key=lambda p: p[0])))


def to_json(kind: ValueType) -> dict[str, Any]:
    """MLflow's JSON of a type (a column spec's or an array's items)."""
    if kind[0] == "scalar":
        return {"type": kind[1]}
    if kind == ANY:
        return {"type": "any"}
    if kind[0] == "array":
        return {"type": "array", "items": to_json(kind[1])}
    properties = {name: {**to_json(sub), "required": required} for name, sub, required in kind[1]}
    return {"type": "object", "properties": properties}


def column_type(values: list[Any]) -> dict[str, Any]:
    """MLflow's type JSON of an object column with these values."""
    found = _infer_array(values)
    if found is None:
        raise InvalidValueError("a column of empty arrays")
    return to_json(found[1])
