"""The orderings of run and experiment searches over a backend's SearchTables: which column
each sort key names, the joins metric, param and tag keys need, and a unique tie break
(the keyset rules are keyset.py's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_

from tuitrack.search import OrderKey
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.keyset import SortColumn, apply_sort
from tuitrack_sqlkit.search_tables import SearchTables


@dataclass(frozen=True)
class RunSortColumn(SortColumn):
    """A sort term of a run search, with the run id of the same row source as its
    expression (the joined keyed table, or runs)."""

    run_uuid: ColumnElement[Any]


def run_sort(
    query: Select[Any], tables: SearchTables, order_keys: Sequence[OrderKey], dialect: SqlDialect
) -> tuple[Select[Any], list[RunSortColumn]]:
    """Join what the order keys need; the sort ends with start_time DESC, run_id ASC."""
    runs = tables.runs
    columns: list[RunSortColumn] = []
    for index, order_key in enumerate(order_keys):
        kind, key = tables.stored_key(order_key.kind, order_key.key)
        run_uuid = runs.c.run_uuid
        if kind == "attribute":
            expression = tables.run_attributes[key]
        else:
            table = tables.keyed(kind).alias(f"order_{index}")
            query = query.outerjoin(
                table, and_(table.c.run_uuid == runs.c.run_uuid, table.c.key == key)
            )
            run_uuid = table.c.run_uuid
            expression = tables.metrics.sort_value(table) if kind == "metric" else table.c.value
        expression = tables.text.sort_key(expression, dialect)
        columns.append(RunSortColumn(expression, order_key.ascending, run_uuid))
    columns.append(RunSortColumn(runs.c.start_time, False, runs.c.run_uuid))
    columns.append(RunSortColumn(runs.c.run_uuid, True, runs.c.run_uuid))
    return apply_sort(query, columns, dialect), columns


def experiment_sort(
    query: Select[Any], tables: SearchTables, order_keys: Sequence[OrderKey], dialect: SqlDialect
) -> tuple[Select[Any], list[SortColumn]]:
    """Join the tags the order keys need; newest first by default; the sort ends with
    experiment_id ASC."""
    experiments = tables.experiments
    columns: list[SortColumn] = []
    for index, order_key in enumerate(order_keys):
        if order_key.kind == "attribute":
            expression = tables.experiment_attributes[order_key.key]
        else:
            tag = tables.experiment_tags.alias(f"order_{index}")
            query = query.outerjoin(
                tag,
                and_(
                    tag.c.experiment_id == experiments.c.experiment_id, tag.c.key == order_key.key
                ),
            )
            expression = tag.c.value
        columns.append(SortColumn(tables.text.sort_key(expression, dialect), order_key.ascending))
    if not columns:
        columns.append(SortColumn(experiments.c.creation_time, False))
    columns.append(SortColumn(experiments.c.experiment_id, True))
    return apply_sort(query, columns, dialect), columns
