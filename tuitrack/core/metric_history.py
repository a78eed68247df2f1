"""A metric's history held as columns: what get_metric_history returns.

100,000 Metric objects cost ~30 MB, and each is tracked by the cyclic garbage collector:
building them sets off collections that traverse every one, which made a whole read twice
as slow in a user's program (where tuitrack must leave `gc` alone) as where it could be
paused. A MetricHistory holds the key and three `array`s instead (steps, timestamps,
values: 24 bytes a point, which the collector does not track), and builds a Metric only
when one is asked for - by index, by iteration, when compared or shown - each dropped as
soon as the caller lets go of it. Callers that want numbers, not objects, read the columns.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, overload

from tuitrack.core.entity_construction import iter_metrics, metric_point
from tuitrack.entities import Metric

# Points a repr shows of a longer history: the first ones and the last ones.
_REPR_HEAD, _REPR_TAIL = 3, 2


def _column(code: str, items: Iterable[Any]) -> array[Any]:
    """`items` as an array of type `code`: an array of that type is kept, not copied."""
    if isinstance(items, array) and items.typecode == code:
        return items
    return array(code, items)


def _same_values(ours: array[float], theirs: array[float]) -> bool:
    """Equal point by point, NaN equal to NaN (as the Metrics built from them are)."""
    if ours.tobytes() == theirs.tobytes():
        return True
    return len(ours) == len(theirs) and all(
        a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(ours, theirs, strict=True)
    )


class MetricHistory(Sequence[Metric]):
    """A read-only sequence of one metric's points, in history order (step, timestamp,
    logging order), stored as columns.

    It behaves as a list of Metric does for reading: `len`, truth, indexing (a slice is a
    MetricHistory), iteration, `in`, `reversed`, `sorted(history, key=...)`, and `==`
    against a list or tuple of Metric or another MetricHistory. The columns - `steps`,
    `timestamps` (ms since the epoch), `values` - come as arrays of int64 and float64
    numbers, each a copy (a memory copy: ~30 us per 100,000 points) that the caller may
    change: `history.values.tolist()`, `numpy.frombuffer(history.values)`. Each Metric is
    built when asked for, again at each pass (`list(history)` keeps them): read the columns
    to build none.
    """

    __slots__ = ("_key", "_steps", "_timestamps", "_values")
    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __init__(
        self,
        key: str,
        steps: Iterable[int] = (),
        timestamps: Iterable[int] = (),
        values: Iterable[float] = (),
    ) -> None:
        """The points (steps[i], timestamps[i], values[i]) of metric `key`, already in
        history order. Arrays of the column's type ('q', 'q', 'd') are held as they are,
        not copied: the caller hands them over and must not change them afterwards."""
        self._key = key
        self._steps: array[int] = _column("q", steps)
        self._timestamps: array[int] = _column("q", timestamps)
        self._values: array[float] = _column("d", values)
        if not len(self._steps) == len(self._timestamps) == len(self._values):
            raise ValueError("steps, timestamps and values must have the same length")

    @classmethod
    def of(cls, key: str, points: Iterable[Metric]) -> MetricHistory:
        """`points` (all of metric `key`, in history order) as a MetricHistory; one
        already is returned as it is. Raises ValueError for a point of another key."""
        if isinstance(points, MetricHistory):
            if points and points.key != key:
                raise ValueError(f"the history of {points.key!r} given as that of {key!r}")
            return points
        steps, timestamps, values = array("q"), array("q"), array("d")
        for point in points:
            if point.key != key:
                raise ValueError(f"a point of {point.key!r} in the history of {key!r}")
            steps.append(point.step)
            timestamps.append(point.timestamp)
            values.append(point.value)
        return cls(key, steps, timestamps, values)

    @property
    def key(self) -> str:
        """The metric's key, that of every point."""
        return self._key

    @property
    def steps(self) -> array[int]:
        """Each point's step, as a new int64 array."""
        return array("q", self._steps)

    @property
    def timestamps(self) -> array[int]:
        """Each point's timestamp in ms since the epoch, as a new int64 array."""
        return array("q", self._timestamps)

    @property
    def values(self) -> array[float]:
        """Each point's value (NaN and +-inf as logged), as a new float64 array."""
        return array("d", self._values)

    def pick(self, indices: Iterable[int]) -> MetricHistory:
        """The points at `indices`, in the order given."""
        chosen = indices if isinstance(indices, list) else list(indices)
        return MetricHistory(
            self._key,
            array("q", map(self._steps.__getitem__, chosen)),
            array("q", map(self._timestamps.__getitem__, chosen)),
            array("d", map(self._values.__getitem__, chosen)),
        )

    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, index: int) -> Metric: ...

    @overload
    def __getitem__(self, index: slice) -> MetricHistory: ...

    def __getitem__(self, index: int | slice) -> Metric | MetricHistory:
        if isinstance(index, slice):
            return MetricHistory(
                self._key, self._steps[index], self._timestamps[index], self._values[index]
            )
        value = self._values[index]
        return metric_point(
            self._key,
            self._steps[index],
            self._timestamps[index],
            math.nan if math.isnan(value) else value,
        )

    def __iter__(self) -> Iterator[Metric]:
        return iter_metrics(self._key, self._steps, self._timestamps, self._values)

    def __reversed__(self) -> Iterator[Metric]:
        return iter_metrics(
            self._key, reversed(self._steps), reversed(self._timestamps), reversed(self._values)
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MetricHistory):
            return (
                len(self) == len(other)
                and (self._key == other._key or not self)
                and self._steps == other._steps
                and self._timestamps == other._timestamps
                and _same_values(self._values, other._values)
            )
        if isinstance(other, list | tuple):
            return len(self) == len(other) and all(map(operator.eq, self, other))
        return NotImplemented

    def __repr__(self) -> str:
        count = len(self)
        if count <= _REPR_HEAD + _REPR_TAIL:
            shown = [repr(point) for point in self]
        else:
            shown = [
                *(repr(point) for point in self[:_REPR_HEAD]),
                "...",
                *(repr(point) for point in self[count - _REPR_TAIL :]),
            ]
        return f"MetricHistory({self._key!r}, {count:,} points: [{', '.join(shown)}])"

    def __reduce__(self) -> tuple[type[MetricHistory], tuple[Any, ...]]:
        return MetricHistory, (self._key, self._steps, self._timestamps, self._values)
