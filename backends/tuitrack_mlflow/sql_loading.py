"""MLflow rows -> tuitrack entities, loading params, tags and latest metrics in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, Table, func, select

from tuitrack.entities import Experiment, LifecycleStage, Run, RunData, RunInfo, RunStatus
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import PARENT_TAG, RUN_NAME_TAG
from tuitrack_mlflow.tables import metric_value

_CHUNK = 500  # well under every database's bound-parameter limit
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


def _by_run(
    connection: Connection, table: Table, run_ids: Sequence[str], *values: Any
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {run_id: {} for run_id in run_ids}
    for chunk in _chunks(run_ids):
        query = select(table.c.run_uuid, table.c.key, *values).where(table.c.run_uuid.in_(chunk))
        for row in connection.execute(query).all():
            found[row[0]][row[1]] = row[2] if len(values) == 1 else metric_value(row[2], row[3])
    return found


def run_info(row: Row[Any], tags: dict[str, str]) -> RunInfo:
    return RunInfo.model_construct(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name or tags.get(RUN_NAME_TAG),
        user_id=row.user_id,
        status=_STATUSES[row.status],
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri or "",
        lifecycle_stage=_STAGES.get(row.lifecycle_stage, LifecycleStage.ACTIVE),
        parent_run_id=tags.get(PARENT_TAG),
        host=None,
        pid=None,
        heartbeat_time=None,  # MLflow has no heartbeat: orphans are judged by last activity
    )


def load_runs(connection: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    """Runs for rows of RUN_COLUMNS, in the same order."""
    run_ids = [row.run_uuid for row in rows]
    params = _by_run(connection, tables.params, run_ids, tables.params.c.value)
    # MLflow allows NULL tag values; tuitrack's tags are strings.
    tags = _by_run(connection, tables.tags, run_ids, func.coalesce(tables.tags.c.value, ""))
    latest = tables.latest_metrics
    metrics = _by_run(connection, latest, run_ids, latest.c.value, latest.c.is_nan)
    return [
        Run.model_construct(
            info=run_info(row, tags[row.run_uuid]),
            data=RunData.model_construct(
                metrics=dict(sorted(metrics[row.run_uuid].items())),
                params=dict(sorted(params[row.run_uuid].items())),
                tags=dict(sorted(tags[row.run_uuid].items())),
            ),
        )
        for row in rows
    ]


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
