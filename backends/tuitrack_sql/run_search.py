"""search_runs / search_experiments in SQL: filter, order and keyset paging in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from tuitrack.entities import Experiment, PagedList, Run, ViewType
from tuitrack.paging import decode_token, fingerprint
from tuitrack.search import OrderKey
from tuitrack_sql import schema
from tuitrack_sql.filters import (
    apply_run_filter,
    correlated_run_condition,
    experiment_condition,
    parse_experiment_order,
    parse_run_order,
)
from tuitrack_sql.loading import RUN_COLUMNS, load_experiments, load_runs
from tuitrack_sql.ordering import experiment_sort, run_sort
from tuitrack_sql.run_windows import Walk, Windowed, leading_walk, page_rows
from tuitrack_sqlkit.keyset import after_condition, cut_page, keyset_page


def _stages(view_type: ViewType) -> list[str]:
    return [stage.value for stage in view_type.stages()]


def search_runs(
    connection: Connection,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    view_type: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> PagedList[Run]:
    dialect = connection.dialect.name
    order_keys = parse_run_order(order_by)
    runs: Select[Any] = select(*RUN_COLUMNS).where(
        schema.runs.c.experiment_id.in_(list(experiment_ids)),
        schema.runs.c.lifecycle_stage.in_(_stages(view_type)),
    )
    whole, columns = run_sort(apply_run_filter(runs, filter_string, dialect), order_keys, dialect)
    query_id = fingerprint(
        sorted(experiment_ids), filter_string or "", view_type.value, list(order_by or [])
    )
    last = decode_token(page_token, query_id, len(columns)) if page_token else None
    if last is not None:
        whole = whole.where(after_condition(columns, last))
    walk = leading_walk(order_keys, experiment_ids, last, dialect)
    windowed = None
    if walk is not None:
        windowed = _windowed(runs, walk, filter_string, order_keys, last, dialect)
    rows: Sequence[Row[Any]] = page_rows(connection, windowed, (whole, columns[0]), max_results + 1)
    rows, token = cut_page(rows, max_results, columns, query_id)
    return PagedList(load_runs(connection, rows), token)


def _windowed(
    runs: Select[Any],
    walk: Walk,
    filter_string: str | None,
    order_keys: Sequence[OrderKey],
    last: Sequence[Any] | None,
    dialect: str,
) -> Windowed:
    """The search to run window by window: the filter probes the runs the walk brings."""
    query, columns = run_sort(runs, order_keys, dialect)
    probes = correlated_run_condition(filter_string, dialect, columns[0].run_uuid)
    if probes is not None:
        query = query.where(probes)
    if last is not None:
        query = query.where(after_condition(columns, last))
    return Windowed(walk, query, columns[0])


def count_runs(
    connection: Connection,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    view_type: ViewType,
) -> int:
    query = (
        select(func.count())
        .select_from(schema.runs)
        .where(
            schema.runs.c.experiment_id.in_(list(experiment_ids)),
            schema.runs.c.lifecycle_stage.in_(_stages(view_type)),
        )
    )
    query = apply_run_filter(query, filter_string, connection.dialect.name)
    return int(connection.execute(query).scalar_one())


def search_experiments(
    connection: Connection,
    view_type: ViewType,
    max_results: int,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> PagedList[Experiment]:
    table = schema.experiments
    query = select(table).where(table.c.lifecycle_stage.in_(_stages(view_type)))
    condition = experiment_condition(filter_string, connection.dialect.name)
    if condition is not None:
        query = query.where(condition)
    query, columns = experiment_sort(
        query, parse_experiment_order(order_by), connection.dialect.name
    )
    query_id = fingerprint(filter_string or "", view_type.value, list(order_by or []))
    rows, token = keyset_page(connection, query, columns, query_id, max_results, page_token)
    return PagedList(load_experiments(connection, rows), token)
