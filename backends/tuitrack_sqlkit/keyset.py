"""Keyset paging for searches: ORDER BY with missing values last in both directions, the
condition that resumes after a page's last row (its sort values are labelled sort_0,
sort_1, ...), and the page token that carries those values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, false, or_

from tuitrack.core.paging import decode_token, encode_token
from tuitrack_sqlkit.dialects import SqlDialect


@dataclass(frozen=True)
class SortColumn:
    """One term of a search's ordering; the last terms must make the order unique."""

    expression: ColumnElement[Any]
    ascending: bool


def apply_sort(
    query: Select[Any], columns: Sequence[SortColumn], dialect: SqlDialect
) -> Select[Any]:
    """`query` ordered by `columns` with NULLs last, each also selected as sort_<index> for
    page tokens."""
    clauses: list[ColumnElement[Any]] = []
    for column in columns:
        clauses.extend(dialect.nulls_last(column.expression, column.ascending))
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


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else str(value)


def cut_page(
    rows: Sequence[Row[Any]], max_results: int, columns: Sequence[SortColumn], query_id: str
) -> tuple[Sequence[Row[Any]], str | None]:
    """The page of `rows` (read with a limit of max_results + 1) and the token for the next
    page, None when this one is the last. `query_id` is the search's fingerprint."""
    if len(rows) <= max_results:
        return rows, None
    rows = rows[:max_results]
    values = [_jsonable(rows[-1]._mapping[f"sort_{i}"]) for i in range(len(columns))]
    return rows, encode_token(values, query_id)


def keyset_page(
    connection: Connection,
    query: Select[Any],
    columns: Sequence[SortColumn],
    query_id: str,
    max_results: int,
    page_token: str | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of `query` (sorted by apply_sort on `columns`) after `page_token`, and the
    token for the next. Raises InvalidValueError for a bad or foreign token."""
    if page_token:
        last = decode_token(page_token, query_id, len(columns))
        query = query.where(after_condition(columns, last))
    rows = connection.execute(query.limit(max_results + 1)).all()
    return cut_page(rows, max_results, columns, query_id)
