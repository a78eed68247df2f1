"""search_runs / search_experiments over MLflow's schema: filter, order and keyset paging
in the database, with the same ordering rules as tuitrack's own SQL store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, select

from tuitrack.entities import Experiment, PagedList, Run, ViewType
from tuitrack.paging import fingerprint
from tuitrack.search import (
    OrderKey,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import PARENT_TAG
from tuitrack_mlflow.sql_filters import (
    EXPERIMENT_ATTRIBUTES,
    RUN_ATTRIBUTES,
    Translator,
    sort_expression,
)
from tuitrack_mlflow.sql_loading import RUN_COLUMNS, load_experiments, load_runs
from tuitrack_sqlkit.keyset import SortColumn, apply_sort, keyset_page

_KEYED = {"metric": tables.latest_metrics, "param": tables.params, "tag": tables.tags}


def _stages(view_type: ViewType) -> list[str]:
    return [stage.value for stage in view_type.stages()]


def _run_sort(
    query: Select[Any], order_keys: Sequence[OrderKey], dialect: str
) -> tuple[Select[Any], list[SortColumn]]:
    columns: list[SortColumn] = []
    for index, order_key in enumerate(order_keys):
        kind, key = order_key.kind, order_key.key
        if kind == "attribute" and key == "parent_run_id":
            kind, key = "tag", PARENT_TAG  # MLflow keeps the parent in a tag
        if kind == "attribute":
            expression = RUN_ATTRIBUTES[key]
        else:
            table = _KEYED[kind].alias(f"order_{index}")
            query = query.outerjoin(
                table, and_(table.c.run_uuid == tables.runs.c.run_uuid, table.c.key == key)
            )
            expression = table.c.value
            if kind == "metric":  # NaN sorts with the missing values, last
                expression = case((table.c.is_nan.is_(True), None), else_=table.c.value)
        columns.append(SortColumn(sort_expression(expression, dialect), order_key.ascending))
    columns.append(SortColumn(tables.runs.c.start_time, False))
    columns.append(SortColumn(tables.runs.c.run_uuid, True))
    return apply_sort(query, columns, dialect), columns


def _matching_runs(
    query: Select[Any],
    experiment_ids: Sequence[int],
    view_type: ViewType,
    filter_string: str | None,
    dialect: str,
) -> Select[Any]:
    """`query` narrowed to the runs of these experiments, stages and filter."""
    query = query.where(
        tables.runs.c.experiment_id.in_(list(experiment_ids)),
        tables.runs.c.lifecycle_stage.in_(_stages(view_type)),
    )
    node = parse_filter(filter_string)
    if node is not None:
        query = query.where(Translator(dialect, for_runs=True).node(node))
    return query


def search_runs(
    connection: Connection,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    view_type: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> PagedList[Run]:
    order_keys = parse_order_by(order_by)
    query = _matching_runs(
        select(*RUN_COLUMNS), experiment_ids, view_type, filter_string, connection.dialect.name
    )
    query, columns = _run_sort(query, order_keys, connection.dialect.name)
    query_id = fingerprint(
        "mlflow", sorted(experiment_ids), filter_string or "", view_type.value, list(order_by or [])
    )
    rows, token = keyset_page(connection, query, columns, query_id, max_results, page_token)
    return PagedList(load_runs(connection, rows), token)


def count_runs(
    connection: Connection,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    view_type: ViewType,
) -> int:
    query = _matching_runs(
        select(func.count()).select_from(tables.runs),
        experiment_ids,
        view_type,
        filter_string,
        connection.dialect.name,
    )
    return int(connection.execute(query).scalar_one())


def search_experiments(
    connection: Connection,
    view_type: ViewType,
    max_results: int,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> PagedList[Experiment]:
    table, dialect = tables.experiments, connection.dialect.name
    query = select(table).where(table.c.lifecycle_stage.in_(_stages(view_type)))
    node = parse_experiment_filter(filter_string)
    if node is not None:
        query = query.where(Translator(dialect, for_runs=False).node(node))
    columns: list[SortColumn] = []
    for index, key in enumerate(parse_experiment_order_by(order_by)):
        if key.kind == "attribute":
            expression = EXPERIMENT_ATTRIBUTES[key.key]
        else:
            tag = tables.experiment_tags.alias(f"order_{index}")
            query = query.outerjoin(
                tag, and_(tag.c.experiment_id == table.c.experiment_id, tag.c.key == key.key)
            )
            expression = tag.c.value
        columns.append(SortColumn(sort_expression(expression, dialect), key.ascending))
    if not columns:
        columns.append(SortColumn(table.c.creation_time, False))
    columns.append(SortColumn(table.c.experiment_id, True))
    query = apply_sort(query, columns, dialect)
    query_id = fingerprint("mlflow", filter_string or "", view_type.value, list(order_by or []))
    rows, token = keyset_page(connection, query, columns, query_id, max_results, page_token)
    return PagedList(load_experiments(connection, rows), token)
