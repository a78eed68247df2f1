"""The metrics of a log-batch request, read as columns: the server's hot path.

Read as a validated Metric each, 1000 metrics cost ~15-20 ms of the server's CPU; read as
four columns (key, value, timestamp, step) with the type checks inline, ~4 ms. A batch of
metrics alone then goes to TrackingStore.log_metric_columns, which the SQL store writes
without building a Metric per point (checking keys and values as log_batch does): the
whole log-batch handler, SQLite write included, went from ~60 ms to ~25 ms per 1000-metric
batch (measured in-process on a loaded 2-core machine). A batch with params or tags is
written by log_batch, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tuitrack.core.store import TrackingStore
from tuitrack.core.wire.json_values import float_from_json, int64_from_json
from tuitrack.entities import Metric, Param, RunTag
from tuitrack.server.responses import RequestError


@dataclass
class MetricColumns:
    keys: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)

    def metrics(self) -> list[Metric]:
        return [
            Metric(key=key, value=value, timestamp=timestamp, step=step)
            for key, value, timestamp, step in zip(
                self.keys, self.values, self.timestamps, self.steps, strict=True
            )
        ]


def _missing(where: str) -> RequestError:
    return RequestError(f"Missing value for required parameter '{where}'.")


def _key(key: object, where: str) -> str:
    if type(key) is str and key:
        return key
    if key is None or key == "":
        raise _missing(where)
    raise RequestError(f"Invalid value {key!r} for parameter '{where}': expected a string")


def _value(value: object, where: str) -> float:
    if type(value) is float:
        return value  # the common case, checked cheaply
    if value is None:
        raise _missing(where)
    if type(value) is bool:
        raise RequestError(f"Invalid value {value!r} for parameter '{where}': expected a number")
    return float_from_json(value, f"parameter '{where}'")


def _int64(value: object, where: str, default: int | None = None) -> int:
    if type(value) is int:
        return value
    if value is None:
        if default is None:
            raise _missing(where)
        return default
    return int64_from_json(value, f"parameter '{where}'")


def metric_columns(items: Sequence[Any], name: str) -> MetricColumns:
    """MLflow's metric objects ({"key", "value", "timestamp", "step"?}) as columns; a bad
    one is refused naming it (`metrics[3].value`; without `name`, `value`). Types only: the
    store checks the rest."""
    columns = MetricColumns()
    for index, item in enumerate(items):
        where = f"{name}[{index}]." if name else ""
        if type(item) is not dict:
            raise RequestError(f"Invalid value for parameter '{where[:-1]}': expected an object")
        columns.keys.append(_key(item.get("key"), f"{where}key"))
        columns.values.append(_value(item.get("value"), f"{where}value"))
        columns.timestamps.append(_int64(item.get("timestamp"), f"{where}timestamp"))
        columns.steps.append(_int64(item.get("step"), f"{where}step", default=0))
    return columns


def write_batch(
    store: TrackingStore,
    run_id: str,
    metrics: MetricColumns,
    params: Sequence[Param],
    tags: Sequence[RunTag],
    batch_id: str | None = None,
) -> None:
    """Store the batch in one transaction: metrics alone as columns, else by log_batch."""
    if params or tags or not metrics.keys:
        store.log_batch(run_id, metrics.metrics(), params, tags, batch_id)
        return
    store.log_metric_columns(
        run_id, metrics.keys, metrics.values, metrics.timestamps, metrics.steps, batch_id
    )
