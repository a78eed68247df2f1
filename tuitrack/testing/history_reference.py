"""The documented downsampling rule applied in plain Python to a whole history: the oracle
that every store's get_metric_history(max_points=...) must match point for point."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tuitrack.entities import Metric

POINTS_PER_BUCKET = 5
BLOCK_STEPS = 256


def reference_downsample(history: Sequence[Metric], max_points: int) -> list[Metric]:
    """`history` is a whole series in store order (step, timestamp, logging order)."""
    if len(history) <= max_points:
        return list(history)
    buckets = max_points // POINTS_PER_BUCKET
    first_step, last_step = history[0].step, history[-1].step
    first_block = first_step // BLOCK_STEPS
    blocks = last_step // BLOCK_STEPS - first_block + 1
    width = -(-(last_step - first_step + 1) // buckets)

    def bucket(step: int) -> int:
        if blocks >= buckets:  # long ranges: whole blocks, shared out evenly
            return (step // BLOCK_STEPS - first_block) * buckets // blocks
        return (step - first_step) // width

    members: dict[int, list[int]] = {}
    for index, point in enumerate(history):
        members.setdefault(bucket(point.step), []).append(index)
    keep: set[int] = set()
    for indices in members.values():
        keep.update((indices[0], indices[-1]))
        numbers = [i for i in indices if not math.isnan(history[i].value)]
        if numbers:  # min() and max() return the earliest of equal values
            keep.add(min(numbers, key=lambda i: history[i].value))
            keep.add(max(numbers, key=lambda i: history[i].value))
        nans = [i for i in indices if math.isnan(history[i].value)]
        if nans:
            keep.add(nans[0])
    return [history[i] for i in sorted(keep)]


def as_points(metrics: Sequence[Metric]) -> list[tuple[str, int, int, str]]:
    """Comparable form: repr keeps NaN equal to itself and -0.0 apart from 0.0."""
    return [(m.key, m.step, m.timestamp, repr(m.value)) for m in metrics]
