"""search_experiment_activity in SQL: every experiment's runs counted in one GROUP BY, sorted
by last activity and paged with a keyset token, so a page costs the same few queries at
ten experiments or ten thousand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, or_, select

from tuitrack.core.paging import decode_token, encode_token, fingerprint
from tuitrack.core.store import ExperimentActivity
from tuitrack.entities import LifecycleStage, PagedList, RunStatus, ViewType
from tuitrack_sql.search_map import TABLES
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.filters import experiment_condition
from tuitrack_sqlkit.keyset import SortColumn, after_condition, apply_sort
from tuitrack_sqlkit.run_loading import load_experiments

_NEVER = -1
"""Stands for a missing time inside GREATEST (every real time is above it)."""


def _greatest(dialect: SqlDialect, *columns: ColumnElement[Any]) -> ColumnElement[Any]:
    """The largest of `columns`, NULL when all are NULL (SQLite spells GREATEST `max`)."""
    present = [func.coalesce(column, _NEVER) for column in columns]
    largest = dialect.greatest(*present)
    return func.nullif(largest, _NEVER)


def search_experiment_activity(
    connection: Connection,
    view_type: ViewType,
    max_results: int,
    filter_string: str | None,
    page_token: str | None,
) -> PagedList[ExperimentActivity]:
    dialect = SqlDialect.of(connection)
    experiments, runs = TABLES.experiments, TABLES.runs
    counted = or_(
        runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
        experiments.c.lifecycle_stage == LifecycleStage.DELETED.value,
    )
    running = case((runs.c.status == RunStatus.RUNNING.value, 1), else_=0)
    last_activity = _greatest(
        dialect,
        func.max(runs.c.start_time),
        func.max(runs.c.end_time),
        func.max(runs.c.heartbeat_time),
    )
    # One join grouped by experiment: each experiment's runs come from the experiment_id
    # index, whatever the planner believes of the tables' sizes (a join of two grouped
    # subqueries went quadratic on PostgreSQL with stale statistics: 6 s at 10,000).
    query: Select[Any] = (
        select(
            *experiments.c,
            func.count(runs.c.run_uuid).label("run_count"),
            func.sum(running).label("running_count"),
        )
        .select_from(experiments)
        .outerjoin(runs, (runs.c.experiment_id == experiments.c.experiment_id) & counted)
        .where(experiments.c.lifecycle_stage.in_([s.value for s in view_type.stages()]))
        .group_by(*experiments.c)
    )
    condition = experiment_condition(TABLES, filter_string, dialect)
    if condition is not None:
        query = query.where(condition)
    columns = [
        SortColumn(last_activity, False),
        SortColumn(experiments.c.name, True),
        SortColumn(experiments.c.experiment_id, True),
    ]
    query = apply_sort(query, columns, dialect)
    query_id = fingerprint("activity", filter_string or "", view_type.value)
    if page_token:
        query = query.having(after_condition(columns, decode_token(page_token, query_id, 3)))
    rows = connection.execute(query.limit(max_results + 1)).all()
    token = None
    if len(rows) > max_results:
        rows = rows[:max_results]
        last = rows[-1]
        moment = None if last.sort_0 is None else int(last.sort_0)
        token = encode_token([moment, last.sort_1, int(last.sort_2)], query_id)
    found = load_experiments(connection, TABLES, rows)
    return PagedList(
        [
            ExperimentActivity(
                experiment,
                int(row.run_count or 0),
                int(row.running_count or 0),
                None if row.sort_0 is None else int(row.sort_0),
            )
            for experiment, row in zip(found, rows, strict=True)
        ],
        token,
    )
