"""The one write path: metrics, params and tags of a run in one transaction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select, update

from tuitrack.entities import Metric, Param, RunTag
from tuitrack.errors import InvalidValueError, ParamConflictError
from tuitrack.validation import INT64_MAX, INT64_MIN, validate_key, validate_param, validate_tag
from tuitrack_sql import schema
from tuitrack_sql.floats import FINITE, NAN, encode
from tuitrack_sql.loading import chunks
from tuitrack_sql.upsert import upsert

# (run_uuid, key, step, timestamp, stored value, kind)
MetricRow = tuple[str, str, int, int, float | None, int]
_METRIC_INSERT = (
    "INSERT INTO metrics (run_uuid, key, step, timestamp, value, kind) VALUES (?, ?, ?, ?, ?, ?)"
)
_position = itemgetter(2, 3)


def metric_rows(run_id: str, metrics: Sequence[Metric]) -> list[MetricRow]:
    """Validate and encode metrics; cheap per point because keys are checked once each."""
    return point_rows(run_id, [(m.key, m.value, m.timestamp, m.step) for m in metrics])


def point_rows(run_id: str, points: Sequence[tuple[str, float, int, int]]) -> list[MetricRow]:
    """Rows for (key, value, timestamp, step) points; keys and integer ranges are checked."""
    for key in {point[0] for point in points}:
        validate_key(key, "metric key")
    isfinite = math.isfinite
    rows: list[MetricRow] = [
        (run_id, key, step, timestamp, value, FINITE)
        if isfinite(value)
        else (run_id, key, step, timestamp, *encode(value))
        for key, value, timestamp, step in points
    ]
    if rows:
        steps = [row[2] for row in rows]
        times = [row[3] for row in rows]
        for name, values in (("step", steps), ("timestamp", times)):
            if min(values) < INT64_MIN or max(values) > INT64_MAX:
                bad = next(v for v in values if not INT64_MIN <= v <= INT64_MAX)
                raise InvalidValueError(f"metric {name} {bad} is outside the 64-bit integer range")
    return rows


def _summaries(
    rows: list[MetricRow],
) -> dict[str, tuple[MetricRow, float | None, float | None, int]]:
    """Per key: the latest row (ties go to the later one), min, max (NaN ignored), count."""
    groups: dict[str, list[MetricRow]] = {}
    for row in rows:
        group = groups.get(row[1])
        if group is None:
            groups[row[1]] = [row]
        else:
            group.append(row)
    result = {}
    for key, group in groups.items():
        latest = max(reversed(group), key=_position)
        values = [row[4] for row in group if row[5] != NAN]
        low = min(values) if values else None  # type: ignore[type-var]
        high = max(values) if values else None  # type: ignore[type-var]
        result[key] = (latest, low, high, len(group))
    return result


def _merge_latest(connection: Connection, run_id: str, rows: list[MetricRow]) -> None:
    table = schema.latest_metrics
    summaries = _summaries(rows)
    existing: dict[str, Any] = {}
    for chunk in chunks(list(summaries)):
        query = select(table).where(table.c.run_uuid == run_id, table.c.key.in_(chunk))
        if connection.dialect.name != "sqlite":
            query = query.with_for_update()
        existing.update({row.key: row for row in connection.execute(query)})
    merged = []
    for key, (new_latest, new_low, new_high, new_count) in summaries.items():
        latest, low, high, count = new_latest, new_low, new_high, new_count
        old = existing.get(key)
        if old is not None:
            if (old.step, old.timestamp) > (latest[2], latest[3]):
                latest = (run_id, key, old.step, old.timestamp, old.value, old.kind)
            low = _bound(min, low, old.min_value)
            high = _bound(max, high, old.max_value)
            count += old.count
        merged.append(
            {
                "run_uuid": run_id,
                "key": key,
                "step": latest[2],
                "timestamp": latest[3],
                "value": latest[4],
                "kind": latest[5],
                "min_value": low,
                "max_value": high,
                "count": count,
            }
        )
    upsert(connection, table, merged, ("run_uuid", "key"))


def _bound(pick: Any, new: float | None, old: float | None) -> float | None:
    if new is None:
        return old
    if old is None:
        return new
    return float(pick(new, old))


def insert_rows(connection: Connection, run_id: str, rows: list[MetricRow]) -> None:
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        # The driver's executemany is several times faster than Core for plain tuples.
        connection.exec_driver_sql(_METRIC_INSERT, rows)
    else:
        names = ("run_uuid", "key", "step", "timestamp", "value", "kind")
        connection.execute(
            schema.metrics.insert(), [dict(zip(names, row, strict=True)) for row in rows]
        )
    _merge_latest(connection, run_id, rows)


def insert_params(connection: Connection, run_id: str, params: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for param in params:
        validate_param(param)
        previous = wanted.setdefault(param.key, param.value)
        if previous != param.value:
            raise InvalidValueError(
                f"param {param.key!r} appears twice in one batch with different values "
                f"{previous!r} and {param.value!r}"
            )
    if not wanted:
        return
    table = schema.params
    existing: dict[str, str] = {}
    for chunk in chunks(list(wanted)):
        query = select(table.c.key, table.c.value).where(
            table.c.run_uuid == run_id, table.c.key.in_(chunk)
        )
        existing.update((row[0], row[1]) for row in connection.execute(query))
    for key, value in wanted.items():
        old = existing.get(key)
        if old is not None and old != value:
            raise ParamConflictError(run_id, key, old, value)
    new = [
        {"run_uuid": run_id, "key": key, "value": value}
        for key, value in wanted.items()
        if key not in existing
    ]
    if new:
        connection.execute(table.insert(), new)


def upsert_tags(connection: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    for tag in tags:
        validate_tag(tag)
    last = {tag.key: tag.value for tag in tags}  # last write wins inside a batch too
    rows = [{"run_uuid": run_id, "key": key, "value": value} for key, value in last.items()]
    upsert(connection, schema.tags, rows, ("run_uuid", "key"))


def touch_run_name(connection: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    """MLflow scripts set the run name through the `mlflow.runName` tag; honour it."""
    for tag in tags:
        if tag.key == "mlflow.runName":
            connection.execute(
                update(schema.runs).where(schema.runs.c.run_uuid == run_id).values(name=tag.value)
            )
