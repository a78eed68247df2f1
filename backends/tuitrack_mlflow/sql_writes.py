"""The rows MLflow's own SQL store writes for a batch of metrics, params and tags, on one
connection (MlflowSqlStore wraps them in its transactions).

MLflow's rules: a point is one row of `metrics` (an identical point logged again is kept
once), `latest_metrics` holds each key's point with the greatest (step, timestamp, value),
a param never changes value, and the `mlflow.runName` tag is the run's `name` column too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from tuitrack.errors import ParamConflictError
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import RUN_NAME_TAG
from tuitrack_sqlkit.upsert import insert_new, upsert

_CHUNK = 500  # keys per IN (...) list


def metric_rows(
    run_id: str,
    keys: Sequence[str],
    values: Sequence[float],
    timestamps: Sequence[int],
    steps: Sequence[int],
) -> list[dict[str, Any]]:
    """The `metrics` rows of points given column by column, NaN and +-inf as MLflow
    stores them, each distinct point once."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, raw, timestamp, step in zip(keys, values, timestamps, steps, strict=True):
        value, is_nan = tables.stored_metric(raw)
        row = {
            "key": key,
            "value": value,
            "timestamp": timestamp,
            "step": step,
            "is_nan": is_nan,
            "run_uuid": run_id,
        }
        rows.setdefault(tuple(row[name] for name in tables.METRIC_KEY), row)
    return list(rows.values())


def _order(row: dict[str, Any] | Any) -> tuple[int, int, float]:
    return (row["step"], row["timestamp"], row["value"])


def write_metrics(connection: Connection, run_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the points (those already stored are left) and move `latest_metrics` on."""
    if not rows:
        return
    insert_new(connection, tables.metrics, rows, tables.METRIC_KEY)
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        held = newest.get(row["key"])
        if held is None or _order(row) > _order(held):
            newest[row["key"]] = row
    latest = tables.latest_metrics
    stored: dict[str, Any] = {}
    names = sorted(newest)
    for start in range(0, len(names), _CHUNK):
        query = select(latest).where(
            latest.c.run_uuid == run_id, latest.c.key.in_(names[start : start + _CHUNK])
        )
        stored.update({row.key: row._mapping for row in connection.execute(query)})
    changed = [
        row for key, row in newest.items() if key not in stored or _order(row) > _order(stored[key])
    ]
    upsert(connection, latest, changed, tables.LATEST_METRIC_KEY)


def write_params(connection: Connection, run_id: str, params: Iterable[tuple[str, str]]) -> None:
    """Insert new params; ParamConflictError when one is stored with another value (MLflow
    refuses the whole batch then too)."""
    wanted: dict[str, str] = {}
    for key, value in params:
        if wanted.setdefault(key, value) != value:
            raise ParamConflictError(run_id, key, wanted[key], value)
    if not wanted:
        return
    table = tables.params
    names = sorted(wanted)
    for start in range(0, len(names), _CHUNK):
        query = select(table.c.key, table.c.value).where(
            table.c.run_uuid == run_id, table.c.key.in_(names[start : start + _CHUNK])
        )
        for key, value in connection.execute(query):
            if value != wanted[key]:
                raise ParamConflictError(run_id, key, value, wanted[key])
    rows = [{"key": k, "value": v, "run_uuid": run_id} for k, v in wanted.items()]
    insert_new(connection, table, rows, ("key", "run_uuid"))


def write_tags(connection: Connection, run_id: str, tags: Iterable[tuple[str, str]]) -> None:
    """Upsert tags (the last value of a key wins); `mlflow.runName` renames the run."""
    rows = {key: {"key": key, "value": value, "run_uuid": run_id} for key, value in tags}
    upsert(connection, tables.tags, list(rows.values()), ("key", "run_uuid"))
    if RUN_NAME_TAG in rows:
        runs = tables.runs
        connection.execute(
            update(runs).where(runs.c.run_uuid == run_id).values(name=rows[RUN_NAME_TAG]["value"])
        )
