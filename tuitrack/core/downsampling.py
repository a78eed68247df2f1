"""The contract's downsampling applied to points already in memory.

A store that cannot choose the points where they are stored (MLflow's tables, a file store,
a third party's backend) reads the asked step range and thins it here: the buckets are
bucket_starts()'s, and each keeps its first and last point, its lowest and highest value
(+-inf included, NaN not) and its first NaN, ties going to the earliest point. Stores that
downsample in their database return the same points. A MetricHistory is thinned on its
columns, without building a Metric.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

from tuitrack.core.history_request import bucket_starts
from tuitrack.core.metric_history import MetricHistory
from tuitrack.entities import Metric


def downsample(points: Sequence[Metric], max_points: int | None) -> list[Metric]:
    """At most `max_points` of `points` (in history order: step, time, logging order)
    keeping their shape."""
    if max_points is None or len(points) <= max_points:
        return list(points)
    steps = [point.step for point in points]
    values = [point.value for point in points]
    return [points[index] for index in kept(steps, values, max_points)]


def downsample_history(history: MetricHistory, max_points: int | None) -> MetricHistory:
    """downsample() on a MetricHistory's columns, building no Metric."""
    if max_points is None or len(history) <= max_points:
        return history
    return history.pick(kept(history.steps, history.values, max_points))


def kept(steps: Sequence[int], values: Sequence[float], max_points: int) -> list[int]:
    """The positions, in order, of the points the contract's downsampling keeps of a series
    of more than `max_points` points, given its columns."""
    edges = [bisect_left(steps, start) for start in bucket_starts(steps[0], steps[-1], max_points)]
    edges.append(len(steps))
    chosen: set[int] = set()
    for start, end in pairwise(edges):
        if start < end:
            chosen.update(_bucket_picks(values, start, end))
    return sorted(chosen)


def _bucket_picks(values: Sequence[float], start: int, end: int) -> list[int]:
    picks = [start, end - 1]
    numbers = [i for i in range(start, end) if not math.isnan(values[i])]
    if numbers:
        picks.append(min(numbers, key=lambda i: (values[i], i)))
        picks.append(min(numbers, key=lambda i: (-values[i], i)))
    first_nan = next((i for i in range(start, end) if math.isnan(values[i])), None)
    if first_nan is not None:
        picks.append(first_nan)
    return picks
