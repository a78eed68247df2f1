"""Exact storage of NaN and +-inf on databases that lack them (MySQL has neither)."""

from __future__ import annotations

import math
import sys

FINITE, NAN, POS_INF, NEG_INF = 0, 1, 2, 3
DBL_MAX = sys.float_info.max
_SPECIAL_VALUE = {NAN: math.nan, POS_INF: math.inf, NEG_INF: -math.inf}


def encode(value: float) -> tuple[float | None, int]:
    """(stored value, kind): NaN sorts as NULL, +-inf as the extreme finite doubles."""
    if math.isfinite(value):
        return value, FINITE
    if math.isnan(value):
        return None, NAN
    return (DBL_MAX, POS_INF) if value > 0 else (-DBL_MAX, NEG_INF)


def decode(stored: float | None, kind: int) -> float:
    if kind == FINITE and stored is not None:
        return float(stored)
    return _SPECIAL_VALUE.get(kind, math.nan)


def decode_bound(stored: float | None) -> float | None:
    """min/max summaries keep +-inf as +-DBL_MAX; turn them back."""
    if stored is None:
        return None
    if stored >= DBL_MAX:
        return math.inf
    if stored <= -DBL_MAX:
        return -math.inf
    return float(stored)
