"""ORDER BY for searches: missing values last in both directions, and the keyset condition
that resumes after a page's last row (its sort values are labelled sort_0, sort_1, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, or_


@dataclass(frozen=True)
class SortColumn:
    """One term of a search's ordering; the last terms must make the order unique."""

    expression: ColumnElement[Any]
    ascending: bool


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
    """`query` ordered by `columns`, each also selected as sort_<index> for page tokens."""
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
