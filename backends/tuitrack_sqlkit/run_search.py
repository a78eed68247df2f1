"""search_runs / count_runs / search_experiments in SQL over a backend's SearchTables:
filter, order and keyset paging in the database, then the page's entities loaded in bulk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from tuitrack.core.paged_search import ExperimentQuery, RunQuery
from tuitrack.core.paging import decode_token, fingerprint
from tuitrack.entities import Experiment, PagedList, Run, ViewType
from tuitrack.search import OrderKey, parse_experiment_order_by, parse_order_by
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.filters import apply_run_filter, experiment_condition
from tuitrack_sqlkit.keyset import after_condition, cut_page, keyset_page
from tuitrack_sqlkit.ordering import RunSortColumn, experiment_sort, run_sort
from tuitrack_sqlkit.run_loading import load_experiments, load_runs
from tuitrack_sqlkit.search_tables import SearchTables


@dataclass(frozen=True)
class RunSearch:
    """One run search as SQL: `runs` selects the map's run columns of the asked experiments
    and stages, unfiltered and unsorted; `whole` is the filtered, sorted search after the
    page token, whose sort values `last` holds (None on the first page)."""

    tables: SearchTables
    experiment_ids: Sequence[int]
    filter_string: str | None
    order_keys: Sequence[OrderKey]
    last: Sequence[Any] | None
    dialect: SqlDialect
    runs: Select[Any]
    whole: Select[Any]
    columns: Sequence[RunSortColumn]


PageRows = Callable[[Connection, RunSearch, int], Sequence[Row[Any]]]
"""Reads the first `limit` rows of a RunSearch, in its order."""


def first_rows(connection: Connection, search: RunSearch, limit: int) -> Sequence[Row[Any]]:
    """The first `limit` rows of the whole search."""
    return connection.execute(search.whole.limit(limit)).all()


def _stages(view_type: ViewType) -> list[str]:
    return [stage.value for stage in view_type.stages()]


def _of_experiments(
    query: Select[Any], tables: SearchTables, experiment_ids: Sequence[int], view_type: ViewType
) -> Select[Any]:
    runs = tables.runs
    return query.where(
        runs.c.experiment_id.in_(list(experiment_ids)),
        runs.c.lifecycle_stage.in_(_stages(view_type)),
    )


def search_runs(
    connection: Connection,
    tables: SearchTables,
    query: RunQuery,
    experiment_ids: Sequence[int],
    page_rows: PageRows = first_rows,
) -> PagedList[Run]:
    """One page of runs of `experiment_ids` (the query's ids as the schema keys them);
    `page_rows` reads the page's rows (first_rows, or a faster plan of the backend's)."""
    dialect = SqlDialect.of(connection)
    order_keys = parse_order_by(query.order_by)
    runs = _of_experiments(select(*tables.run_columns), tables, experiment_ids, query.view_type)
    filtered = apply_run_filter(runs, tables, query.filter_string, dialect)
    whole, columns = run_sort(filtered, tables, order_keys, dialect)
    query_id = fingerprint(
        *tables.token_scope,
        sorted(experiment_ids),
        query.filter_string or "",
        query.view_type.value,
        list(query.order_by or []),
    )
    last = None
    if query.page_token:
        last = decode_token(query.page_token, query_id, len(columns))
        whole = whole.where(after_condition(columns, last))
    search = RunSearch(
        tables, experiment_ids, query.filter_string, order_keys, last, dialect, runs, whole, columns
    )
    rows = page_rows(connection, search, query.max_results + 1)
    rows, token = cut_page(rows, query.max_results, columns, query_id)
    return PagedList(load_runs(connection, tables, rows), token)


def count_runs(
    connection: Connection,
    tables: SearchTables,
    experiment_ids: Sequence[int],
    filter_string: str | None,
    view_type: ViewType,
) -> int:
    """How many runs of `experiment_ids` in these stages pass the filter."""
    query = select(func.count()).select_from(tables.runs)
    query = _of_experiments(query, tables, experiment_ids, view_type)
    query = apply_run_filter(query, tables, filter_string, SqlDialect.of(connection))
    return int(connection.execute(query).scalar_one())


def search_experiments(
    connection: Connection, tables: SearchTables, query: ExperimentQuery
) -> PagedList[Experiment]:
    """One page of experiments."""
    table, dialect = tables.experiments, SqlDialect.of(connection)
    found = select(table).where(table.c.lifecycle_stage.in_(_stages(query.view_type)))
    condition = experiment_condition(tables, query.filter_string, dialect)
    if condition is not None:
        found = found.where(condition)
    order_keys = parse_experiment_order_by(query.order_by)
    found, columns = experiment_sort(found, tables, order_keys, dialect)
    query_id = fingerprint(
        *tables.token_scope,
        query.filter_string or "",
        query.view_type.value,
        list(query.order_by or []),
    )
    rows, token = keyset_page(
        connection, found, columns, query_id, query.max_results, query.page_token
    )
    return PagedList(load_experiments(connection, tables, rows), token)
