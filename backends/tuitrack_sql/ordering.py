"""ORDER BY for searches: missing values last in both directions, a unique tie break, and
the keyset condition that resumes after a page's last row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, case, false, or_

from tuitrack_sql import schema

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
class SortColumn:
    expression: ColumnElement[Any]
    ascending: bool
    # The run id in the same row source as `expression` (the joined keyed table or runs).
    run_uuid: ColumnElement[Any] = schema.runs.c.run_uuid


def run_sort(
    query: Select[Any], order_keys: Sequence[OrderKey], dialect: str
) -> tuple[Select[Any], list[SortColumn]]:
    """Join what the order keys need; the sort ends with start_time DESC, run_id ASC."""
    columns: list[SortColumn] = []
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
        columns.append(SortColumn(expression, order_key.ascending, run_uuid))
    columns.append(SortColumn(schema.runs.c.start_time, False, schema.runs.c.run_uuid))
    columns.append(SortColumn(schema.runs.c.run_uuid, True, schema.runs.c.run_uuid))
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


def _nulls_last(column: SortColumn, dialect: str) -> list[ColumnElement[Any]]:
    """ORDER BY terms putting NULLs last, in the form each database can serve from an index:
    SQLite and MySQL already sort NULLs last when descending, PostgreSQL when ascending."""
    expression = column.expression
    if column.ascending:
        if dialect == "postgresql":
            return [expression.asc()]
        if dialect == "sqlite":
            return [expression.asc().nulls_last()]
        return [case((expression.is_(None), 1), else_=0), expression.asc()]
    if dialect == "postgresql":
        return [expression.desc().nulls_last()]
    return [expression.desc()]


def apply_sort(query: Select[Any], columns: Sequence[SortColumn], dialect: str) -> Select[Any]:
    clauses: list[ColumnElement[Any]] = []
    for column in columns:
        clauses.extend(_nulls_last(column, dialect))
    labelled = [c.expression.label(f"sort_{i}") for i, c in enumerate(columns)]
    return query.add_columns(*labelled).order_by(*clauses)


def after_condition(columns: Sequence[SortColumn], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `last` in the sort order (NULLs sort last in both directions)."""
    alternatives = []
    equal_so_far: list[ColumnElement[bool]] = []
    for column, value in zip(columns, last, strict=True):
        element = column.expression
        if value is None:
            beyond: ColumnElement[bool] = false()
            same: ColumnElement[bool] = element.is_(None)
        else:
            strictly = element > value if column.ascending else element < value
            beyond = or_(strictly, element.is_(None))
            same = element == value
        alternatives.append(and_(*equal_so_far, beyond))
        equal_so_far.append(same)
    return or_(*alternatives)
