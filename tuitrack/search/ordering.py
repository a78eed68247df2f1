"""Sort runs and experiments in Python by parsed order_by keys.

Rules shared with the SQL stores: each key sorts its present values ascending or descending
and puts missing values (absent key, None attribute) and NaN after them in either direction.
Metrics sort as numbers, params and tags as text (code point order), attributes by type.
Ties fall back to start_time DESC (missing last) then run_id ASC for runs, and to
creation_time DESC (missing last) then experiment_id ASC for experiments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tuitrack.entities import Experiment, Run
from tuitrack.search.evaluate import FieldValue, run_tag
from tuitrack.search.nodes import OrderKey

T = TypeVar("T")


def sort_runs(runs: Iterable[Run], order_keys: Sequence[OrderKey] = ()) -> list[Run]:
    """`runs` ordered by `order_keys`, then start_time DESC, then run_id ASC."""
    ordered = sorted(runs, key=lambda run: run.info.run_id)
    ordered = _stable_sort(ordered, lambda run: run.info.start_time, ascending=False)
    for key in reversed(order_keys):
        ordered = _stable_sort(ordered, _run_value(key), key.ascending)
    return ordered


def sort_experiments(
    experiments: Iterable[Experiment], order_keys: Sequence[OrderKey] = ()
) -> list[Experiment]:
    """`experiments` ordered by `order_keys`, then creation_time DESC, then experiment_id."""
    ordered = sorted(experiments, key=lambda experiment: experiment.experiment_id)
    ordered = _stable_sort(ordered, lambda e: e.creation_time, ascending=False)
    for key in reversed(order_keys):
        ordered = _stable_sort(ordered, _experiment_value(key), key.ascending)
    return ordered


def _run_value(key: OrderKey) -> Callable[[Run], FieldValue]:
    def value(run: Run) -> FieldValue:
        if key.kind == "metric":
            return run.data.metrics.get(key.key)
        if key.kind == "param":
            return run.data.params.get(key.key)
        if key.kind == "tag":
            return run_tag(run, key.key)
        return _plain(getattr(run.info, key.key))

    return value


def _experiment_value(key: OrderKey) -> Callable[[Experiment], FieldValue]:
    def value(experiment: Experiment) -> FieldValue:
        if key.kind == "tag":
            return experiment.tags.get(key.key)
        return _plain(getattr(experiment, key.key))

    return value


def _plain(value: object) -> FieldValue:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)  # RunStatus and other str enums sort by their text


def _stable_sort(items: list[T], value_of: Callable[[T], FieldValue], ascending: bool) -> list[T]:
    present: list[tuple[Any, T]] = []
    missing: list[T] = []
    for item in items:
        value = value_of(item)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            missing.append(item)
        else:
            present.append((value, item))
    # Python's sort is stable in both directions, so earlier passes break the ties.
    present.sort(key=lambda pair: pair[0], reverse=not ascending)
    return [item for _, item in present] + missing
