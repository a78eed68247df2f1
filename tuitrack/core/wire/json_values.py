"""Scalar values as protobuf's JSON mapping writes them, which both APIs follow.

- A double that is not finite is the string "NaN", "Infinity" or "-Infinity"; JSON has no
  token for it. MLflow's server mangles the bare tokens some encoders write (`NaN`), so
  only the strings are ever sent.
- An int64 (timestamps, steps, sizes) may be a number (what MLflow's server writes) or a
  decimal string (protobuf's own mapping, and what other servers write).
- A field left unset is absent, and so is every empty list.

Each reader names the field and the value it refuses, with InvalidValueError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tuitrack.errors import InvalidValueError

JsonObject = dict[str, Any]

NAN_TEXT = "NaN"
INFINITY_TEXT = "Infinity"
NEGATIVE_INFINITY_TEXT = "-Infinity"
_NON_FINITE: dict[str, float] = {
    NAN_TEXT: math.nan,
    INFINITY_TEXT: math.inf,
    NEGATIVE_INFINITY_TEXT: -math.inf,
}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def float_to_json(value: float) -> float | str:
    """`value` as a JSON number, or its protobuf string when it is not finite."""
    if value - value == 0:  # finite: inf - inf and NaN - NaN are NaN
        return value
    if value != value:  # noqa: PLR0124 (the NaN test)
        return NAN_TEXT
    return INFINITY_TEXT if value > 0 else NEGATIVE_INFINITY_TEXT


def float_from_json(value: object, field: str) -> float:
    """A double field: a JSON number, "NaN", "Infinity", "-Infinity" or a decimal string.
    Every NaN read is the one `math.nan` object, so that the Metrics holding it compare
    equal (as tuitrack's stores build them)."""
    if type(value) is float:
        return value if value == value else math.nan  # noqa: PLR0124 (the NaN test)
    if type(value) is int:
        return float(value)
    if type(value) is str:
        special = _NON_FINITE.get(value)
        if special is not None:
            return special
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise InvalidValueError(
        f"{field} must be a number or one of {NAN_TEXT!r}, {INFINITY_TEXT!r}, "
        f"{NEGATIVE_INFINITY_TEXT!r}; got {value!r}"
    )


def optional_float_from_json(data: Mapping[str, Any], name: str, where: str) -> float | None:
    """The double field `name` of `data`, None when absent or null."""
    value = data.get(name)
    return None if value is None else float_from_json(value, f"{where}.{name}")


def int64_from_json(value: object, field: str) -> int:
    """An int64 field: a JSON integer or a decimal string, within int64's range."""
    if type(value) is int:
        number = value
    elif (type(value) is str and value.strip().lstrip("+-").isdigit()) or (
        type(value) is float and value.is_integer()
    ):
        number = int(value)
    else:
        raise InvalidValueError(
            f"{field} must be an integer (or its decimal string); got {value!r}"
        )
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidValueError(f"{field} {number} is outside the int64 range")
    return number


def optional_int64_from_json(data: Mapping[str, Any], name: str, where: str) -> int | None:
    """The int64 field `name` of `data`, None when absent or null."""
    value = data.get(name)
    return None if value is None else int64_from_json(value, f"{where}.{name}")


def text_from_json(value: object, field: str) -> str:
    """A string field."""
    if type(value) is str:
        return value
    raise InvalidValueError(f"{field} must be a string; got {value!r}")


def optional_text_from_json(data: Mapping[str, Any], name: str, where: str) -> str | None:
    """The string field `name` of `data`, None when absent or null."""
    value = data.get(name)
    return None if value is None else text_from_json(value, f"{where}.{name}")


def bool_from_json(value: object, field: str) -> bool:
    """A bool field."""
    if value is True or value is False:
        return value
    raise InvalidValueError(f"{field} must be true or false; got {value!r}")


def object_from_json(value: object, field: str) -> Mapping[str, Any]:
    """A JSON object."""
    if isinstance(value, Mapping):
        return value
    raise InvalidValueError(f"{field} must be a JSON object; got {value!r}")


def list_from_json(data: Mapping[str, Any], name: str, where: str) -> list[Any]:
    """The repeated field `name` of `data`: an empty list when absent (protobuf omits
    empty lists)."""
    value = data.get(name)
    if value is None:
        return []
    if type(value) is list:
        return value
    raise InvalidValueError(f"{where}.{name} must be a JSON list; got {value!r}")
