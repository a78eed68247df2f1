"""Downsampling a metric history as the store contract defines it, in Python.

The step range the points cover is cut into `max_points // 5` equal-width buckets; each
bucket keeps its first and last point, its lowest and highest value (+-inf included, NaN
not) and its first NaN, ties going to the earliest point. MLflow's tables are read as they
are (no index of ours), so the points of the asked step range are read and thinned here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tuitrack.entities import Metric
from tuitrack.errors import InvalidValueError

POINTS_PER_BUCKET = 5  # first, last, min, max, first NaN


def check_request(start_step: object, end_step: object, max_points: object) -> None:
    """Raises InvalidValueError for a bad step bound or points budget."""
    for name, bound in (("start_step", start_step), ("end_step", end_step)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise InvalidValueError(f"{name} must be an integer or None, got {bound!r}")
    if max_points is not None and (
        isinstance(max_points, bool)
        or not isinstance(max_points, int)
        or max_points < POINTS_PER_BUCKET
    ):
        raise InvalidValueError(
            f"max_points must be None (every point) or an integer of at least "
            f"{POINTS_PER_BUCKET} (a bucket's first, last, min, max and NaN), got {max_points!r}"
        )


def downsample(points: Sequence[Metric], max_points: int | None) -> list[Metric]:
    """At most `max_points` of `points` (sorted by step, then time) keeping their shape."""
    if max_points is None or len(points) <= max_points:
        return list(points)
    buckets = max_points // POINTS_PER_BUCKET
    low, high = points[0].step, points[-1].step
    width = -(-(high - low + 1) // buckets)
    chosen: set[int] = set()
    start = 0
    while start < len(points):
        bucket = (points[start].step - low) // width
        end = start
        while end < len(points) and (points[end].step - low) // width == bucket:
            end += 1
        chosen.update(_bucket_picks(points, start, end))
        start = end
    return [points[index] for index in sorted(chosen)]


def _bucket_picks(points: Sequence[Metric], start: int, end: int) -> list[int]:
    picks = [start, end - 1]
    numbers = [i for i in range(start, end) if not math.isnan(points[i].value)]
    if numbers:
        picks.append(min(numbers, key=lambda i: (points[i].value, i)))
        picks.append(min(numbers, key=lambda i: (-points[i].value, i)))
    first_nan = next((i for i in range(start, end) if math.isnan(points[i].value)), None)
    if first_nan is not None:
        picks.append(first_nan)
    return picks
