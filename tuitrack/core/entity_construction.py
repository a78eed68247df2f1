"""Build many pydantic entities from trusted database rows without validating them.

`Model.model_construct` costs ~10 us an object, more than reading the row; this does
what it does (set __dict__, fields-set, extra, private) as C-level loops. It relies on
BaseModel's slots, checks them at import, and falls back to model_construct otherwise.

Metric points, the one entity read by the million, are built one at a time from their
columns as a MetricHistory hands them out (iter_metrics): each fills the __dict__ that
Python gives a new instance, a dict sharing its keys with every other Metric, and no
per-point field dict is made first.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any, TypeVar

from pydantic import BaseModel

from tuitrack.entities import Metric

M = TypeVar("M", bound=BaseModel)

_EXPECTED_SLOTS = (
    "__dict__",
    "__pydantic_fields_set__",
    "__pydantic_extra__",
    "__pydantic_private__",
)
_SLOT_SETTERS: tuple[Callable[[Any, Any], None], ...] = tuple(
    BaseModel.__dict__[slot].__set__ for slot in BaseModel.__slots__
)
_drain = deque[Any](maxlen=0).extend
# One fields-set for every Metric built here, as _finish shares one per batch: pydantic
# copies it before changing it (model_copy).
_METRIC_FIELDS = set(Metric.model_fields)


def _finish(objects: list[M], model: type[M]) -> list[M]:
    """Set the slots other than __dict__ as model_construct does."""
    _, set_fields_set, set_extra, set_private = _SLOT_SETTERS
    _drain(map(set_fields_set, objects, repeat(set(model.model_fields))))
    _drain(map(set_extra, objects, repeat(None)))
    _drain(map(set_private, objects, repeat(None)))
    return objects


def _construct_fast(model: type[M], fields: Sequence[dict[str, Any]]) -> list[M]:
    objects: list[M] = list(map(object.__new__, repeat(model, len(fields))))
    _drain(map(_SLOT_SETTERS[0], objects, fields))
    return _finish(objects, model)


def _construct_plain(model: type[M], fields: Sequence[dict[str, Any]]) -> list[M]:
    return [model.model_construct(**values) for values in fields]


def _metric_fast(key: str, step: int, timestamp: int, value: float) -> Metric:
    point = object.__new__(Metric)
    fields = point.__dict__  # the key-sharing instance dict; fields in declaration order
    fields["key"] = key
    fields["value"] = value
    fields["timestamp"] = timestamp
    fields["step"] = step
    _, set_fields_set, set_extra, set_private = _SLOT_SETTERS
    set_fields_set(point, _METRIC_FIELDS)
    set_extra(point, None)
    set_private(point, None)
    return point


def _iter_metrics_fast(
    key: str, steps: Iterable[int], times: Iterable[int], values: Iterable[float]
) -> Iterator[Metric]:
    # _metric_fast inlined: a call per point would cost a fifth more.
    new, model, nan, fields_set = object.__new__, Metric, math.nan, _METRIC_FIELDS
    _, set_fields_set, set_extra, set_private = _SLOT_SETTERS
    for step, timestamp, value in zip(steps, times, values, strict=True):
        point = new(model)
        fields = point.__dict__
        fields["key"] = key
        fields["value"] = value if value == value else nan  # noqa: PLR0124 (NaN test, inlined)
        fields["timestamp"] = timestamp
        fields["step"] = step
        set_fields_set(point, fields_set)
        set_extra(point, None)
        set_private(point, None)
        yield point


def _metric_plain(key: str, step: int, timestamp: int, value: float) -> Metric:
    return Metric.model_construct(key=key, value=value, timestamp=timestamp, step=step)


def _iter_metrics_plain(
    key: str, steps: Iterable[int], times: Iterable[int], values: Iterable[float]
) -> Iterator[Metric]:
    construct, nan, isnan = Metric.model_construct, math.nan, math.isnan
    for step, timestamp, value in zip(steps, times, values, strict=True):
        yield construct(
            key=key, value=nan if isnan(value) else value, timestamp=timestamp, step=step
        )


def _fast_path_works() -> bool:
    class _Probe(BaseModel):
        key: str
        value: float

    if tuple(BaseModel.__slots__) != _EXPECTED_SLOTS:
        return False
    sample: dict[str, Any] = {"key": "k", "value": 1.5}
    fast, plain = _construct_fast(_Probe, [dict(sample)])[0], _Probe.model_construct(**sample)
    same_point = Metric.model_construct(key="k", value=1.5, timestamp=7, step=3)
    points = [_metric_fast("k", 3, 7, 1.5), *_iter_metrics_fast("k", [3], [7], [1.5])]
    return (
        fast.__getstate__() == plain.__getstate__()
        and fast == plain
        and all(point.__getstate__() == same_point.__getstate__() for point in points)
        and all(point == same_point for point in points)
    )


_FAST = _fast_path_works()
construct_many: Callable[[type[M], Sequence[dict[str, Any]]], list[M]] = (
    _construct_fast if _FAST else _construct_plain
)
"""`construct_many(Model, [field dicts])`: every dict must hold every field of Model."""
metric_point: Callable[[str, int, int, float], Metric] = _metric_fast if _FAST else _metric_plain
"""`metric_point(key, step, timestamp, value)`: one Metric."""
iter_metrics: Callable[[str, Iterable[int], Iterable[int], Iterable[float]], Iterator[Metric]] = (
    _iter_metrics_fast if _FAST else _iter_metrics_plain
)
"""`iter_metrics(key, steps, timestamps, values)`: a Metric per position, built as each is
taken; every NaN value is the one `math.nan` object, so that equal points compare equal."""
