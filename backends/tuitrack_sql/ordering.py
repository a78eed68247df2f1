"""The orderings of tuitrack's own tables: which column each sort key names, joins for
metric, param and tag keys, and a unique tie break (the keyset rules are tuitrack_sqlkit's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_

from tuitrack_sql import schema
from tuitrack_sqlkit.keyset import SortColumn, apply_sort

RUN_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "run_id": schema.runs.c.run_uuid,
    "run_name": schema.runs.c.name,
    "status": schema.runs.c.status,
    "user_id": schema.runs.c.user_id,
    "start_time": schema.runs.c.start_time,
    "end_time": schema.runs.c.end_time,
    "artifact_uri": schema.runs.c.artifact_uri,
    "experiment_id": schema.runs.c.experiment_id,
    "parent_run_id": schema.runs.c.parent_run_id,
}
EXPERIMENT_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "experiment_id": schema.experiments.c.experiment_id,
    "name": schema.experiments.c.name,
    "creation_time": schema.experiments.c.creation_time,
    "last_update_time": schema.experiments.c.last_update_time,
}
_KEYED_TABLES = {"metric": schema.latest_metrics, "param": schema.params, "tag": schema.tags}


class OrderKey(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def ascending(self) -> bool: ...


@dataclass(frozen=True)
class RunSortColumn(SortColumn):
    """A sort term of a run search, with the run id of the same row source as its
    expression (the joined keyed table, or runs)."""

    run_uuid: ColumnElement[Any] = schema.runs.c.run_uuid


def run_sort(
    query: Select[Any], order_keys: Sequence[OrderKey], dialect: str
) -> tuple[Select[Any], list[RunSortColumn]]:
    """Join what the order keys need; the sort ends with start_time DESC, run_id ASC."""
    columns: list[RunSortColumn] = []
    for index, order_key in enumerate(order_keys):
        run_uuid = schema.runs.c.run_uuid
        if order_key.kind == "attribute":
            expression = RUN_ATTRIBUTES[order_key.key]
        else:
            table = _KEYED_TABLES[order_key.kind].alias(f"order_{index}")
            query = query.outerjoin(
                table,
                and_(table.c.run_uuid == schema.runs.c.run_uuid, table.c.key == order_key.key),
            )
            expression, run_uuid = table.c.value, table.c.run_uuid
        columns.append(RunSortColumn(expression, order_key.ascending, run_uuid))
    columns.append(RunSortColumn(schema.runs.c.start_time, False))
    columns.append(RunSortColumn(schema.runs.c.run_uuid, True))
    return apply_sort(query, columns, dialect), columns


def experiment_sort(
    query: Select[Any], order_keys: Sequence[OrderKey], dialect: str
) -> tuple[Select[Any], list[SortColumn]]:
    """Newest first by default; the sort ends with experiment_id ASC."""
    columns = [SortColumn(EXPERIMENT_ATTRIBUTES[k.key], k.ascending) for k in order_keys]
    if not columns:
        columns.append(SortColumn(schema.experiments.c.creation_time, False))
    columns.append(SortColumn(schema.experiments.c.experiment_id, True))
    return apply_sort(query, columns, dialect), columns
