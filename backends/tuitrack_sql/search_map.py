"""tuitrack's own tables as the SQL toolkit searches and loads them (TABLES).

A metric's NaN is stored as value NULL and +-inf as +-DBL_MAX, with `kind` saying which
(floats.py); text columns compare exactly (binary collations on MySQL); a run's keys come
back from the (run_uuid, key) primary key in order. A run's name and parent are columns
only: its `mlflow.runName` and `mlflow.parentRunId` tags are made from them when read,
and filters and orderings on those tags test the columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, or_

from tuitrack.search import Comparison
from tuitrack_sql import schema
from tuitrack_sql.floats import FINITE, decode
from tuitrack_sqlkit.filters import compare
from tuitrack_sqlkit.search_tables import SearchTables


class _KindColumn:
    """value NULL for NaN, +-DBL_MAX for +-inf, and `kind` FINITE for every other value."""

    flag_column = "kind"
    decode = staticmethod(decode)

    def test(self, table: FromClause, node: Comparison) -> ColumnElement[bool]:
        value = table.c.value
        if node.op in ("!=", "NOT IN"):  # NaN (NULL) differs from every number
            return or_(value.is_(None), compare(value, node.op, node.value))
        if node.op in ("=", "IN"):  # +-inf equals no literal
            return and_(table.c.kind == FINITE, compare(value, node.op, node.value))
        return compare(value, node.op, node.value)

    def sort_value(self, table: FromClause) -> ColumnElement[Any]:
        return table.c.value


TABLES = SearchTables(
    schema.metadata,
    metrics=_KindColumn(),
    tags_from_columns=True,
    join_keyed_tests=True,
    keys_ordered_by_database=True,
    run_inputs=True,
)
