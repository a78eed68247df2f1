"""The contract's downsampling applied to points already in memory.

A store that cannot choose the points where they are stored (MLflow's tables, a file store,
a third party's backend) reads the asked step range and thins it here: the buckets are
bucket_starts()'s, and each keeps its first and last point, its lowest and highest value
(+-inf included, NaN not) and its first NaN, ties going to the earliest point. Stores that
downsample in their database return the same points.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

from tuitrack.entities import Metric
from tuitrack.history_request import bucket_starts


def downsample(points: Sequence[Metric], max_points: int | None) -> list[Metric]:
    """At most `max_points` of `points` (in history order: step, time, logging order)
    keeping their shape."""
    if max_points is None or len(points) <= max_points:
        return list(points)
    steps = [point.step for point in points]
    edges = [bisect_left(steps, start) for start in bucket_starts(steps[0], steps[-1], max_points)]
    edges.append(len(points))
    chosen: set[int] = set()
    for start, end in pairwise(edges):
        if start < end:
            chosen.update(_bucket_picks(points, start, end))
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
