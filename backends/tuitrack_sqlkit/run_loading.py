"""Rows -> entities over a backend's SearchTables, loading the params, tags and latest
metrics of many runs at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, Table, select

from tuitrack.core.datasets import RunInputs
from tuitrack.core.entity_construction import construct_many
from tuitrack.entities import Experiment, LifecycleStage, Run, RunData, RunInfo, RunStatus
from tuitrack.search.field_tags import FIELD_TAGS
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.driver_sql import DriverSql, marks
from tuitrack_sqlkit.run_inputs import read_run_inputs
from tuitrack_sqlkit.search_tables import SearchTables

# Keep IN lists well under every database's bound-parameter limit.
_CHUNK = 1000
_STATUSES = {status.value: status for status in RunStatus}
_STAGES = {stage.value: stage for stage in LifecycleStage}


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    """`items` in slices of at most `size`, for IN lists."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fetch(
    connection: Connection,
    table: Table,
    values: Sequence[str],
    run_ids: Sequence[str],
    ordered: bool,
) -> Sequence[Any]:
    """(run_uuid, key, *values) rows of `table` for `run_ids`, in (run_uuid, key) order if
    `ordered`. Where the driver's own SQL is worth it (SQLite), straight from the driver in
    the same transaction: SQLAlchemy's per-row cost is most of the time for the thousands of
    small rows a page of runs brings."""
    if SqlDialect.of(connection).prefers_driver_sql:
        columns = ", ".join(f"{{{name}}}" for name in values)
        template = (
            f"SELECT run_uuid, {{key}}, {columns} FROM {table.name} "
            f"WHERE run_uuid IN ({marks(len(run_ids))})"
        )
        if ordered:
            template += " ORDER BY run_uuid, {key}"
        return DriverSql(connection).rows(template, run_ids)
    query = select(table.c.run_uuid, table.c.key, *(table.c[name] for name in values))
    query = query.where(table.c.run_uuid.in_(run_ids))
    if ordered:
        query = query.order_by(table.c.run_uuid, table.c.key)
    return connection.execute(query).all()


def _by_run(
    connection: Connection, tables: SearchTables, table: Table, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per run, key -> value (text: "" for a NULL; metrics: as logged), keys in order."""
    found: dict[str, dict[str, Any]] = {run_id: {} for run_id in run_ids}
    ordered = tables.keys_ordered_by_database
    for chunk in chunks(run_ids):
        if table is tables.latest_metrics:
            decode, flag = tables.metrics.decode, tables.metrics.flag_column
            for run_id, key, value, flagged in _fetch(
                connection, table, ("value", flag), chunk, ordered
            ):
                found[run_id][key] = decode(value, flagged)
        elif table.c.value.nullable:
            for run_id, key, value in _fetch(connection, table, ("value",), chunk, ordered):
                found[run_id][key] = "" if value is None else value
        else:
            for run_id, key, value in _fetch(connection, table, ("value",), chunk, ordered):
                found[run_id][key] = value
    if ordered:
        return found
    return {run_id: dict(sorted(values.items())) for run_id, values in found.items()}


def _run_infos(
    tables: SearchTables, rows: Sequence[Sequence[Any]], tags: Mapping[str, dict[str, str]]
) -> list[RunInfo]:
    """RunInfos from rows of the map's run_columns (run id first) and the runs' tags; a
    field the runs table lacks is None."""
    names, absent = tables.run_fields, tables.absent_run_fields
    name_tag, parent_tag = tables.run_name_tag, tables.parent_tag
    statuses, stages, active = _STATUSES, _STAGES, LifecycleStage.ACTIVE
    all_fields: list[dict[str, Any]] = []
    for values in rows:
        fields: dict[str, Any] = dict(zip(names, values, strict=False))
        if absent:
            fields.update(absent)
        fields["experiment_id"] = str(fields["experiment_id"])
        status = fields["status"]
        fields["status"] = statuses.get(status) or RunStatus(status)
        fields["lifecycle_stage"] = stages.get(fields["lifecycle_stage"], active)
        if not fields["artifact_uri"]:
            fields["artifact_uri"] = ""
        run_tags = tags.get(values[0], {})
        if name_tag is not None and not fields["run_name"]:
            fields["run_name"] = run_tags.get(name_tag)
        if parent_tag is not None:
            fields["parent_run_id"] = run_tags.get(parent_tag)
        all_fields.append(fields)
    return construct_many(RunInfo, all_fields)


def run_info(tables: SearchTables, row: Sequence[Any]) -> RunInfo:
    """The RunInfo of a row that starts with the map's run_columns, tags not read (for a
    schema that keeps no run fields in tags)."""
    return _run_infos(tables, [row], {})[0]


def load_runs(connection: Connection, tables: SearchTables, rows: Sequence[Row[Any]]) -> list[Run]:
    """Runs for rows that start with the map's run_columns, in the same order."""
    width = len(tables.run_columns)
    columns: list[Sequence[Any]] = [row[:width] for row in rows]  # no sort keys
    run_ids = [values[0] for values in columns]
    params = _by_run(connection, tables, tables.params, run_ids)
    tags = _by_run(connection, tables, tables.tags, run_ids)
    metrics = _by_run(connection, tables, tables.latest_metrics, run_ids)
    infos = _run_infos(tables, columns, tags)
    if tables.tags_from_columns:
        for info in infos:
            tags[info.run_id] = _with_field_tags(tags[info.run_id], info)
    datas = construct_many(
        RunData,
        [
            {"metrics": metrics[run_id], "params": params[run_id], "tags": tags[run_id]}
            for run_id in run_ids
        ],
    )
    inputs = read_run_inputs(connection, tables.metadata, run_ids) if tables.run_inputs else {}
    return construct_many(
        Run,
        [
            {"info": info, "data": data, "inputs": inputs.get(info.run_id) or RunInputs()}
            for info, data in zip(infos, datas, strict=True)
        ],
    )


def _with_field_tags(tags: dict[str, str], info: RunInfo) -> dict[str, str]:
    """The run's tags with MLflow's tags of its name and parent made from its fields (a
    stored tag of either key is not the run's: the field is), keys in order."""
    found = {key: value for key, value in tags.items() if key not in FIELD_TAGS}
    for key, field in FIELD_TAGS.items():
        value = getattr(info, field)
        if value is not None:
            found[key] = value
    return dict(sorted(found.items()))


def load_experiments(
    connection: Connection, tables: SearchTables, rows: Sequence[Row[Any]]
) -> list[Experiment]:
    """Experiments for rows of the experiments table, in the same order, with their tags."""
    ids = [row.experiment_id for row in rows]
    tags: dict[int, dict[str, str]] = {experiment_id: {} for experiment_id in ids}
    table = tables.experiment_tags
    for chunk in chunks(ids):
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
