"""The `--json` output of every command: strict JSON that any parser accepts.

Python's json writes NaN and infinities as the bare words NaN / Infinity, which JSON does
not allow (JavaScript's JSON.parse and jq reject them). Here they become the strings
"NaN", "Infinity" and "-Infinity", as in the JSON form of MLflow's REST API (proto3).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

NAN = "NaN"
INFINITY = "Infinity"
NEGATIVE_INFINITY = "-Infinity"


def strict(value: Any) -> Any:
    """`value` with every non-finite float inside it (dicts, lists, tuples) as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return NAN
        return INFINITY if value > 0 else NEGATIVE_INFINITY
    if isinstance(value, Mapping):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict(item) for item in value]
    return value


def dumps(data: Any) -> str:
    """`data` as indented strict JSON; objects JSON lacks (datetimes, enums) as their str."""
    return json.dumps(strict(data), indent=2, default=str, allow_nan=False)
