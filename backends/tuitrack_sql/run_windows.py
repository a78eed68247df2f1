"""Choosing the runs of one page: walk the leading sort key in windows, or sort all matches.

A filter that many runs pass is answered fastest by taking runs in sort order from the
leading key's index and testing each until the page is full; one that few runs pass, by
collecting its matches from the filter's indexes and sorting them. No database here can
tell the two apart (none keeps statistics on the values of keys), so a search starts with
the first and switches to the second when matches come too slowly.

A window is every run whose leading sort value lies between two values of that key's
index, ties included, so each window sorts wholly before the next and the first windows
that hold a page's worth of matches give exactly the first page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, or_, select

from tuitrack.search import OrderKey
from tuitrack_sql.search_map import TABLES
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.filters import correlated_run_condition
from tuitrack_sqlkit.keyset import SortColumn, after_condition
from tuitrack_sqlkit.ordering import run_sort
from tuitrack_sqlkit.run_search import RunSearch

# The first window holds this many runs per run of the page (with at least MIN_WINDOW);
# walking stops, and the matches are sorted instead, once the windows still needed would
# exceed MAX_WINDOWS_FACTOR runs per run of the page.
WINDOW_FACTOR = 4
MIN_WINDOW = 256
MAX_WINDOWS_FACTOR = 16


@dataclass(frozen=True)
class Walk:
    """The leading sort key's values in sort order from an index, NULLs left out (they
    sort last): `values` selects `column`."""

    values: Select[Any]
    column: ColumnElement[Any]
    ascending: bool


@dataclass(frozen=True)
class Windowed:
    """A search to run window by window along `walk`; `lead` is its leading sort column."""

    walk: Walk
    query: Select[Any]
    lead: SortColumn


def leading_walk(
    order_keys: Sequence[OrderKey],
    experiment_ids: Sequence[int],
    last: Sequence[Any] | None,
    dialect: SqlDialect,
) -> Walk | None:
    """How to walk the leading sort key, or None when no index serves it: start_time (the
    default order) and metric, param and tag keys can be walked, but on MySQL not params and
    tags, whose values it indexes only by a prefix. `last` holds the page token's sort
    values; the walk starts at its leading value."""
    if last is not None and last[0] is None:
        return None  # the page starts among the runs that lack the leading value
    ascending = bool(order_keys) and order_keys[0].ascending
    kind, key = TABLES.stored_key(order_keys[0].kind, order_keys[0].key) if order_keys else ("", "")
    if not order_keys or (kind, key) == ("attribute", "start_time"):
        runs = TABLES.runs
        column: ColumnElement[Any] = runs.c.start_time
        values = select(column).where(runs.c.experiment_id.in_(list(experiment_ids)))
    elif kind == "metric" or (kind in ("param", "tag") and not dialect.is_mysql):
        table = TABLES.keyed(kind)
        column = table.c.value
        values = select(column).where(table.c.key == key)
    else:
        return None
    values = values.where(column.is_not(None))
    if last is not None:
        values = values.where(_from(column, ascending, last[0]))
    return Walk(values.order_by(column.asc() if ascending else column.desc()), column, ascending)


def windowed_rows(connection: Connection, search: RunSearch, limit: int) -> list[Row[Any]]:
    """The first `limit` rows of a run search: along the leading sort key's index where one
    serves it (see page_rows), else from the whole search."""
    walk = leading_walk(search.order_keys, search.experiment_ids, search.last, search.dialect)
    windowed = None
    if walk is not None:
        query, columns = run_sort(search.runs, TABLES, search.order_keys, search.dialect)
        probes = correlated_run_condition(
            TABLES, search.filter_string, search.dialect, columns[0].run_uuid
        )
        if probes is not None:
            query = query.where(probes)
        if search.last is not None:
            query = query.where(after_condition(columns, search.last))
        windowed = Windowed(walk, query, columns[0])
    return page_rows(connection, windowed, (search.whole, search.columns[0]), limit)


def page_rows(
    connection: Connection,
    windowed: Windowed | None,
    whole: tuple[Select[Any], SortColumn],
    limit: int,
) -> list[Row[Any]]:
    """The first `limit` rows of a search: window by window with `windowed` (whose filter
    probes one run at a time), then, or instead, with the `whole` search (whose filter
    starts from its indexes), which comes with its own leading sort column."""
    rows: list[Row[Any]] = []
    lower: Any = None
    ascending = windowed is not None and windowed.walk.ascending
    if windowed is not None:
        walk, query, lead = windowed.walk, windowed.query, windowed.lead
        size = max(MIN_WINDOW, WINDOW_FACTOR * limit)
        scanned = 0
        while True:
            values = walk.values
            if lower is not None:
                values = values.where(_beyond(walk.column, walk.ascending, lower))
            edge = connection.execute(values.offset(size - 1).limit(1)).first()
            if edge is None:
                break  # what is left is less than a window: sort it whole
            within = [_up_to(lead.expression, walk.ascending, edge[0])]
            if lower is not None:
                within.append(_beyond(lead.expression, walk.ascending, lower))
            rows.extend(connection.execute(query.where(*within).limit(limit - len(rows))).all())
            lower, scanned = edge[0], scanned + size
            if len(rows) >= limit:
                return rows
            needed = (limit - len(rows)) * scanned / max(len(rows), 1)
            if needed > MAX_WINDOWS_FACTOR * limit:
                break
            size = max(size, math.ceil(needed * 1.25))
    query, lead = whole
    if lower is not None:
        column = lead.expression
        query = query.where(or_(_beyond(column, ascending, lower), column.is_(None)))
    rows.extend(connection.execute(query.limit(limit - len(rows))).all())
    return rows


def _beyond(column: ColumnElement[Any], ascending: bool, value: Any) -> ColumnElement[bool]:
    return column > value if ascending else column < value  # type: ignore[no-any-return]


def _up_to(column: ColumnElement[Any], ascending: bool, value: Any) -> ColumnElement[bool]:
    return column <= value if ascending else column >= value  # type: ignore[no-any-return]


def _from(column: ColumnElement[Any], ascending: bool, value: Any) -> ColumnElement[bool]:
    return column >= value if ascending else column <= value  # type: ignore[no-any-return]
