"""Rows -> entities, loading params, tags and latest metrics for many runs at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)
from tuitrack.entity_construction import construct_many
from tuitrack_sql import schema
from tuitrack_sql.floats import decode

# Keep IN lists well under every database's bound-parameter limit.
_CHUNK = 1000

RUN_COLUMNS = (
    schema.runs.c.run_uuid,
    schema.runs.c.experiment_id,
    schema.runs.c.name,
    schema.runs.c.user_id,
    schema.runs.c.status,
    schema.runs.c.start_time,
    schema.runs.c.end_time,
    schema.runs.c.artifact_uri,
    schema.runs.c.lifecycle_stage,
    schema.runs.c.parent_run_id,
    schema.runs.c.host,
    schema.runs.c.pid,
    schema.runs.c.heartbeat_time,
)
_RUN_WIDTH = len(RUN_COLUMNS)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_STATUSES = {status.value: status for status in RunStatus}
_STAGES = {stage.value: stage for stage in LifecycleStage}


def _info_fields(row: Row[Any]) -> dict[str, Any]:
    """RunInfo fields from a row that starts with RUN_COLUMNS, in that order."""
    (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri,
     stage, parent_run_id, host, pid, heartbeat_time) = row[:_RUN_WIDTH]  # fmt: skip
    return {
        "run_id": run_uuid,
        "experiment_id": str(experiment_id),
        "run_name": name,
        "user_id": user_id,
        "status": _STATUSES.get(status) or RunStatus(status),
        "start_time": start_time,
        "end_time": end_time,
        "artifact_uri": artifact_uri,
        "lifecycle_stage": _STAGES.get(stage) or LifecycleStage(stage),
        "parent_run_id": parent_run_id,
        "host": host,
        "pid": pid,
        "heartbeat_time": heartbeat_time,
    }


def run_info_from_row(row: Row[Any]) -> RunInfo:
    return construct_many(RunInfo, [_info_fields(row)])[0]


def _key_values(
    connection: Connection, table: Any, value_columns: Sequence[Any], run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {run_id: {} for run_id in run_ids}
    for chunk in chunks(run_ids):
        rows = _fetch(connection, table, value_columns, chunk)
        if len(value_columns) == 1:
            for run_id, key, value in rows:
                result[run_id][key] = value
        else:
            for run_id, key, value, kind in rows:
                result[run_id][key] = decode(value, kind)
    return result


def _fetch(
    connection: Connection, table: Any, value_columns: Sequence[Any], run_ids: Sequence[str]
) -> Sequence[Any]:
    """(run_uuid, key, *values) rows of `table` for `run_ids`. On SQLite straight from the
    driver (same connection and transaction): a third faster for the thousands of small rows
    a page of runs brings. Only the ids are data; table and columns are our own names."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None:
            columns = ", ".join(f'"{column.name}"' for column in value_columns)
            marks = ", ".join("?" * len(run_ids))
            sql = (
                f'SELECT run_uuid, "key", {columns} FROM {table.name} '
                f'WHERE run_uuid IN ({marks}) ORDER BY run_uuid, "key"'
            )
            return driver.execute(sql, list(run_ids)).fetchall()  # type: ignore[no-any-return]
    query = (
        select(table.c.run_uuid, table.c.key, *value_columns)
        .where(table.c.run_uuid.in_(run_ids))
        .order_by(table.c.run_uuid, table.c.key)
    )
    return connection.execute(query).all()


def load_runs(connection: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    """Runs for `rows` of RUN_COLUMNS, in the same order, with params, tags, metrics."""
    run_ids = [row.run_uuid for row in rows]
    params = _key_values(connection, schema.params, [schema.params.c.value], run_ids)
    tags = _key_values(connection, schema.tags, [schema.tags.c.value], run_ids)
    latest = schema.latest_metrics
    metrics = _key_values(connection, latest, [latest.c.value, latest.c.kind], run_ids)
    infos = construct_many(RunInfo, [_info_fields(row) for row in rows])
    datas = construct_many(
        RunData,
        [
            {"metrics": metrics[run_id], "params": params[run_id], "tags": tags[run_id]}
            for run_id in run_ids
        ],
    )
    return construct_many(
        Run, [{"info": info, "data": data} for info, data in zip(infos, datas, strict=True)]
    )


def load_experiments(connection: Connection, rows: Sequence[Row[Any]]) -> list[Experiment]:
    ids = [row.experiment_id for row in rows]
    tags: dict[int, dict[str, str]] = {experiment_id: {} for experiment_id in ids}
    table = schema.experiment_tags
    for chunk in chunks(ids):
        query = select(table.c.experiment_id, table.c.key, table.c.value).where(
            table.c.experiment_id.in_(chunk)
        )
        for experiment_id, key, value in connection.execute(query):
            tags[experiment_id][key] = value
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage),
            tags=dict(sorted(tags[row.experiment_id].items())),
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )
        for row in rows
    ]
