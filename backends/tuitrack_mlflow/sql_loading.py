"""MLflow rows -> tuitrack entities, loading params, tags and latest metrics in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, Table, select

from tuitrack.entities import Experiment, LifecycleStage, Run, RunData, RunInfo, RunStatus
from tuitrack.entity_construction import construct_many
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import PARENT_TAG, RUN_NAME_TAG
from tuitrack_mlflow.tables import metric_value

_CHUNK = 1000  # well under every database's bound-parameter limit
_STATUSES = {status.value: status for status in RunStatus}
_STAGES = {stage.value: stage for stage in LifecycleStage}

RUN_COLUMNS = (
    tables.runs.c.run_uuid,
    tables.runs.c.experiment_id,
    tables.runs.c.name,
    tables.runs.c.user_id,
    tables.runs.c.status,
    tables.runs.c.start_time,
    tables.runs.c.end_time,
    tables.runs.c.artifact_uri,
    tables.runs.c.lifecycle_stage,
)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _fetch(
    connection: Connection, table: Table, values: Sequence[str], run_ids: Sequence[str]
) -> Sequence[Any]:
    """(run_uuid, key, *values) rows of `table` for `run_ids`. On SQLite straight from the
    driver (same connection and transaction): SQLAlchemy's per-row cost is most of the time
    for the thousands of small rows a page of runs brings. Only the ids are data."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None:
            columns = ", ".join(f'"{name}"' for name in values)
            marks = ", ".join("?" * len(run_ids))
            sql = f'SELECT run_uuid, "key", {columns} FROM {table.name} WHERE run_uuid IN ({marks})'
            return driver.execute(sql, list(run_ids)).fetchall()  # type: ignore[no-any-return]
    query = select(table.c.run_uuid, table.c.key, *(table.c[name] for name in values))
    return connection.execute(query.where(table.c.run_uuid.in_(run_ids))).all()


def _by_run(
    connection: Connection, table: Table, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per run, key -> value (tags: "" for MLflow's NULL; metrics: as logged)."""
    found: dict[str, dict[str, Any]] = {run_id: {} for run_id in run_ids}
    for chunk in _chunks(run_ids):
        if table is tables.latest_metrics:
            for run_id, key, value, is_nan in _fetch(connection, table, ("value", "is_nan"), chunk):
                found[run_id][key] = metric_value(value, is_nan)
        else:
            for run_id, key, value in _fetch(connection, table, ("value",), chunk):
                found[run_id][key] = "" if value is None else value
    return {run_id: dict(sorted(values.items())) for run_id, values in found.items()}


def _info_fields(row: Sequence[Any], tags: dict[str, str]) -> dict[str, Any]:
    """RunInfo fields from the values of RUN_COLUMNS, in order."""
    run_id, experiment_id, name, user_id, status, start, end, artifact_uri, stage = row
    return {
        "run_id": run_id,
        "experiment_id": str(experiment_id),
        "run_name": name or tags.get(RUN_NAME_TAG),
        "user_id": user_id,
        "status": _STATUSES[status],
        "start_time": start,
        "end_time": end,
        "artifact_uri": artifact_uri or "",
        "lifecycle_stage": _STAGES.get(stage, LifecycleStage.ACTIVE),
        "parent_run_id": tags.get(PARENT_TAG),
        "host": None,
        "pid": None,
        "heartbeat_time": None,  # MLflow has no heartbeat: orphans are judged by last activity
    }


def load_runs(connection: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    """Runs for rows of RUN_COLUMNS, in the same order."""
    columns: list[Sequence[Any]] = [row[: len(RUN_COLUMNS)] for row in rows]  # no sort keys
    run_ids = [row[0] for row in columns]
    params = _by_run(connection, tables.params, run_ids)
    tags = _by_run(connection, tables.tags, run_ids)
    metrics = _by_run(connection, tables.latest_metrics, run_ids)
    infos = construct_many(RunInfo, [_info_fields(row, tags[row[0]]) for row in columns])
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
    table = tables.experiment_tags
    for chunk in _chunks(ids):
        query = select(table.c.experiment_id, table.c.key, table.c.value).where(
            table.c.experiment_id.in_(chunk)
        )
        for experiment_id, key, value in connection.execute(query):
            tags[experiment_id][key] = value or ""
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location or "",
            lifecycle_stage=LifecycleStage(row.lifecycle_stage or LifecycleStage.ACTIVE.value),
            tags=dict(sorted(tags[row.experiment_id].items())),
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )
        for row in rows
    ]
