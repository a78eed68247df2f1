"""Filter ASTs (tuitrack.search) -> SQLAlchemy conditions over MLflow's tables.

Same semantics as `tuitrack.search.nodes`: every condition is two-valued (owner and key
columns are NOT NULL, so IN / NOT IN subqueries never yield NULL), an absent key fails every
comparison but IS NULL, and a NaN metric (MLflow: value 0 with is_nan) fails every
comparison but != and NOT IN. MLflow 2 compares NaN metrics as 0; tuitrack does not.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Double,
    String,
    Table,
    TypeDecorator,
    and_,
    case,
    func,
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Dialect

from tuitrack.search import PARAM_NUMBER_PATTERN, And, Comparison, Node, Not
from tuitrack_mlflow import tables
from tuitrack_mlflow.readonly import PARENT_TAG
from tuitrack_mlflow.tables import DBL_MAX

RUN_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "run_id": tables.runs.c.run_uuid,
    "run_name": tables.runs.c.name,
    "status": tables.runs.c.status,
    "user_id": tables.runs.c.user_id,
    "start_time": tables.runs.c.start_time,
    "end_time": tables.runs.c.end_time,
    "artifact_uri": tables.runs.c.artifact_uri,
    "experiment_id": tables.runs.c.experiment_id,
}
EXPERIMENT_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "experiment_id": tables.experiments.c.experiment_id,
    "name": tables.experiments.c.name,
    "creation_time": tables.experiments.c.creation_time,
    "last_update_time": tables.experiments.c.last_update_time,
}
_RUN_TABLES = {"metric": tables.latest_metrics, "param": tables.params, "tag": tables.tags}
_LIKE_ESCAPE = "\\"
_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _BinaryText(TypeDecorator[str]):
    """MySQL's BINARY(text): compared and sorted byte by byte, read back as text."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _range_last(node: Node) -> bool:
    """AND terms with equalities first: without statistics (MLflow's databases have none)
    SQLite drives the search from the first IN subquery, and an equality is usually the
    narrower one (the benchmark's filtered search: ~10% less time in SQLite)."""
    return not (isinstance(node, Comparison) and node.op in ("=", "IN"))


def sort_expression(expression: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """A sort key as ordered: MLflow's MySQL columns use case-insensitive collations, so
    text is sorted as bytes there (for UTF-8, code point order, as tuitrack sorts)."""
    if dialect in ("mysql", "mariadb") and isinstance(expression.type, String):
        return type_coerce(func.binary(expression), _BinaryText)
    return expression


def as_parent_tag(node: Comparison) -> Comparison:
    """`parent_run_id ...` as MLflow stores it: the run's tag `mlflow.parentRunId`."""
    return replace(node, kind="tag", key=PARENT_TAG)


def _bool(expression: Any) -> ColumnElement[bool]:
    return cast("ColumnElement[bool]", expression)


class Translator:
    """Turns one filter AST into a condition; `dialect` is the database's dialect name."""

    def __init__(self, dialect: str, *, for_runs: bool) -> None:
        self.dialect = dialect
        self.for_runs = for_runs
        self.mysql = dialect in ("mysql", "mariadb")

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Not):
            return not_(self.node(node.item))
        if isinstance(node, And):
            return and_(*(self.node(item) for item in sorted(node.items, key=_range_last)))
        return or_(*(self.node(item) for item in node.items))

    def comparison(self, node: Comparison) -> ColumnElement[bool]:
        if node.kind == "attribute":
            return self.attribute(node)
        if self.for_runs:
            return self.keyed(node, _RUN_TABLES[node.kind])
        return self.keyed(node, tables.experiment_tags)

    def compare(self, column: ColumnElement[Any], node: Comparison) -> ColumnElement[bool]:
        """`column op value` for a column known to be non-NULL here."""
        op, value = node.op, node.value
        text = isinstance(value, str) or (isinstance(value, tuple) and not node.is_numeric)
        if text and self.mysql and op != "ILIKE":
            # MLflow's MySQL columns use case-insensitive collations; compare bytes instead.
            column = type_coerce(func.binary(column), String)
        if op in _ORDERINGS:
            return _bool(_ORDERINGS[op](column, value))
        if op == "LIKE":
            return column.like(value, escape=_LIKE_ESCAPE)
        if op == "ILIKE":
            return column.ilike(value, escape=_LIKE_ESCAPE)
        if op == "IN":
            return column.in_(list(cast("tuple[Any, ...]", value)))
        if op == "NOT IN":
            return column.not_in(list(cast("tuple[Any, ...]", value)))
        raise AssertionError(f"operator {op!r} has no SQL form")

    def attribute(self, node: Comparison) -> ColumnElement[bool]:
        if self.for_runs and node.key == "parent_run_id":
            return self.keyed(as_parent_tag(node), tables.tags)
        columns = RUN_ATTRIBUTES if self.for_runs else EXPERIMENT_ATTRIBUTES
        column = columns[node.key]
        if node.key == "experiment_id":
            column = sql_cast(column, String)
        if node.op == "IS NULL":
            return column.is_(None)
        if node.op == "IS NOT NULL":
            return column.is_not(None)
        return and_(column.is_not(None), self.compare(column, node))

    def keyed(self, node: Comparison, table: Table) -> ColumnElement[bool]:
        """The owner is among those with a row of `table` for this key satisfying the test.

        An IN subquery rather than a correlated EXISTS: the (key, run_uuid) primary keys of
        MLflow's tables serve it as one index range scan.
        """
        alias = table.alias()
        if table is tables.experiment_tags:
            owner, owners = tables.experiments.c.experiment_id, alias.c.experiment_id
        else:
            owner, owners = tables.runs.c.run_uuid, alias.c.run_uuid
        key_matches = alias.c.key == node.key
        if node.op == "IS NULL":
            return owner.not_in(select(owners).where(key_matches))
        if node.op == "IS NOT NULL":
            return owner.in_(select(owners).where(key_matches))
        if table is tables.latest_metrics:
            test = self.metric_test(alias.c.value, alias.c.is_nan, node)
        elif table is tables.params and node.is_numeric:
            test = self.numeric_param_test(alias.c.value, node)
        else:
            test = and_(alias.c.value.is_not(None), self.compare(alias.c.value, node))
        return owner.in_(select(owners).where(key_matches, test))

    def metric_test(
        self, value: ColumnElement[Any], is_nan: ColumnElement[Any], node: Comparison
    ) -> ColumnElement[bool]:
        if node.op in ("!=", "NOT IN"):
            return or_(is_nan.is_(True), self.compare(value, node))
        finite: list[ColumnElement[bool]] = [is_nan.is_not(True)]
        if node.op in ("=", "IN"):  # +-inf is stored as +-DBL_MAX: equal to no literal
            finite += [value < DBL_MAX, value > -DBL_MAX]
        return and_(*finite, self.compare(value, node))

    def numeric_param_test(
        self, value: ColumnElement[Any], node: Comparison
    ) -> ColumnElement[bool]:
        """Only params whose whole text is a number take part, compared as numbers."""
        looks_numeric = value.regexp_match(PARAM_NUMBER_PATTERN)
        if self.mysql:
            number: ColumnElement[Any] = type_coerce(value, Double) + literal_column("0E0")
        else:  # CASE, not a bare CAST: PostgreSQL fails on casting non-numeric text
            number = case((looks_numeric, sql_cast(value, Double)), else_=None)
        return and_(looks_numeric, self.compare(number, node))
