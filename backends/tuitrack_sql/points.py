"""A batch's metric points: validated and encoded column by column (PointColumns), then cut
into one part per series (SeriesPoints), the unit every later stage of the write works on."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import add, itemgetter
from typing import NamedTuple, TypeVar, cast

from tuitrack.core.validation import checked_metric_columns
from tuitrack.entities import Metric
from tuitrack_sql.floats import FINITE, decode, encode
from tuitrack_sql.series import Series

T = TypeVar("T")
# A metrics row as its columns are named below. Rows are plain tuples built by zip: one is
# made for every logged point, and only the database reads them.
METRIC_COLUMNS = ("series_id", "step", "timestamp", "value", "kind")
MetricRow = tuple[int, int, int, float | None, int]


class PointColumns(NamedTuple):
    """Validated metric points of one batch, column by column, in logging order."""

    keys: Sequence[str]
    distinct_keys: list[str]
    steps: Sequence[int]
    times: Sequence[int]
    values: Sequence[float | None]  # stored values (see floats.py)
    kinds: Sequence[int] | None  # None: all FINITE

    def rows(self, series: Mapping[str, Series]) -> Iterator[MetricRow]:
        """One metrics row per point, in logging order; built column-wise (zip, map run in
        C): this runs for every logged point. An iterator, so that the driver consumes the
        rows as they are made: a list of a batch's row tuples, all tracked by the garbage
        collector at once, sets off collections in the user's process."""
        count = len(self.keys)
        ids: Iterable[int]
        if len(self.distinct_keys) == 1:
            ids = repeat(series[self.distinct_keys[0]].series_id, count)
        else:
            id_of = {key: found.series_id for key, found in series.items()}
            ids = map(id_of.__getitem__, self.keys)
        kinds = repeat(FINITE, count) if self.kinds is None else self.kinds
        return zip(ids, self.steps, self.times, self.values, kinds, strict=True)

    def per_series(self, series: Mapping[str, Series]) -> list[SeriesPoints]:
        """The points cut into one part per series (in distinct_keys' order), each in
        logging order."""
        split = by_key(self.keys, self.distinct_keys)
        kinds: Iterable[Sequence[int] | None]
        kinds = repeat(None) if self.kinds is None else split(self.kinds)
        return [
            SeriesPoints(series[key], steps, times, values, key_kinds)
            for key, steps, times, values, key_kinds in zip(
                self.distinct_keys,
                split(self.steps),
                split(self.times),
                split(self.values),
                kinds,
                strict=False,  # kinds may repeat None without end
            )
        ]


class SeriesPoints(NamedTuple):
    """The points of one series in a batch, column by column, in logging order."""

    series: Series
    steps: Sequence[int]
    times: Sequence[int]
    values: Sequence[float | None]  # stored values (see floats.py)
    kinds: Sequence[int] | None  # None: all FINITE

    def floats(self) -> Sequence[float]:
        """The values as logged (NaN and +-inf included)."""
        if self.kinds is None:
            return cast("Sequence[float]", self.values)  # all finite: none is None
        return list(map(decode, self.values, self.kinds))


def metric_columns(metrics: Sequence[Metric]) -> PointColumns | None:
    """Validate and encode metrics; cheap per point because keys are checked once each."""
    if not metrics:
        return None
    # Column by column: a tuple per point would be garbage for the collector to scan.
    keys = [m.key for m in metrics]
    values = [m.value for m in metrics]
    times = [m.timestamp for m in metrics]
    steps = [m.step for m in metrics]
    return checked_columns(keys, values, times, steps)


def checked_columns(
    keys: Sequence[str], values: Sequence[float], times: Sequence[int], steps: Sequence[int]
) -> PointColumns | None:
    """Points given column by column; keys and integer ranges are checked, values encoded.
    None for no points."""
    distinct = checked_metric_columns(keys, values, times, steps)
    if not keys:
        return None
    if 0.0 in values:  # -0.0 is stored as 0.0, as SQLite's REAL columns would anyway
        values = list(map(add, values, repeat(0.0)))
    if all(map(math.isfinite, values)):
        return PointColumns(keys, distinct, steps, times, values, None)
    encoded = list(map(encode, values))
    stored = list(map(itemgetter(0), encoded))
    return PointColumns(keys, distinct, steps, times, stored, list(map(itemgetter(1), encoded)))


def by_key(keys: Sequence[str], distinct: list[str]) -> Callable[[Sequence[T]], list[Sequence[T]]]:
    """A function that cuts any column of a batch into one part per key of `distinct` (in
    its order), each part in logging order."""
    count = len(distinct)
    if count == 1:
        return lambda column: [column]
    # The usual batch of several keys logs them in turn, step by step: slice it.
    if keys == distinct * (len(keys) // count) + distinct[: len(keys) % count]:
        return lambda column: [column[index::count] for index in range(count)]
    positions: dict[str, list[int]] = {key: [] for key in distinct}
    for index, key in enumerate(keys):
        positions[key].append(index)
    parts = [positions[key] for key in distinct]
    return lambda column: [list(map(column.__getitem__, part)) for part in parts]
