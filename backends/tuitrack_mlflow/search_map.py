"""MLflow's tables as the SQL toolkit searches and loads them (TABLES).

A NaN metric is stored as value 0 with `is_nan` true, +-inf as +-DBL_MAX; MLflow's MySQL
columns use case-insensitive collations (text is compared and sorted as bytes there); a
run's parent and, when its column is empty, its name are tags. Page tokens name "mlflow".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, case, or_

from tuitrack.search import Comparison
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import PARENT_TAG, RUN_NAME_TAG
from tuitrack_mlflow.tables import DBL_MAX, metric_value
from tuitrack_sqlkit.filters import compare
from tuitrack_sqlkit.search_tables import SearchTables
from tuitrack_sqlkit.text_rules import BINARY_ON_MYSQL


class _IsNanColumn:
    """`is_nan` true for NaN (value 0), +-DBL_MAX for +-inf. MLflow 2 compares NaN metrics
    as 0; tuitrack does not."""

    flag_column = "is_nan"
    decode = staticmethod(metric_value)

    def test(self, table: FromClause, node: Comparison) -> ColumnElement[bool]:
        value, is_nan = table.c.value, table.c.is_nan
        if node.op in ("!=", "NOT IN"):
            return or_(is_nan.is_(True), compare(value, node.op, node.value))
        finite: list[ColumnElement[bool]] = [is_nan.is_not(True)]
        if node.op in ("=", "IN"):
            finite += [value < DBL_MAX, value > -DBL_MAX]
        return and_(*finite, compare(value, node.op, node.value))

    def sort_value(self, table: FromClause) -> ColumnElement[Any]:
        return case((table.c.is_nan.is_(True), None), else_=table.c.value)


TABLES = SearchTables(
    tables.metadata,
    metrics=_IsNanColumn(),
    text=BINARY_ON_MYSQL,
    parent_tag=PARENT_TAG,
    run_name_tag=RUN_NAME_TAG,
    token_scope=("mlflow",),
    run_inputs=True,
)
