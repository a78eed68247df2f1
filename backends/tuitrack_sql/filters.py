"""Filter ASTs (tuitrack.search) -> SQLAlchemy conditions, with bound parameters only.

Every condition is two-valued (never SQL NULL) so that NOT means plain negation, as the
Python evaluator defines it: an absent key or a NULL attribute fails every comparison but
IS NULL.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)

from tuitrack.search import (
    PARAM_NUMBER_PATTERN,
    And,
    Comparison,
    Node,
    Not,
    OrderKey,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)
from tuitrack_sql import schema
from tuitrack_sql.floats import FINITE
from tuitrack_sql.ordering import EXPERIMENT_ATTRIBUTES, RUN_ATTRIBUTES

_LIKE_ESCAPE = "\\"


def parse_run_order(clauses: Sequence[str] | None) -> list[OrderKey]:
    return parse_order_by(clauses)


def parse_experiment_order(clauses: Sequence[str] | None) -> list[OrderKey]:
    return parse_experiment_order_by(clauses)


_RUN_KEYED_TABLES = {"metric": schema.latest_metrics, "param": schema.params, "tag": schema.tags}


def apply_run_filter(query: Select[Any], filter_string: str | None, dialect: str) -> Select[Any]:
    """Add a run filter to `query`: each top-level AND-ed test of a metric, param or tag
    becomes an inner join (one row per run and key, so no duplicates), which lets the
    database start from the most selective index; the rest becomes a WHERE condition."""
    node = parse_filter(filter_string)
    if node is None:
        return query
    translator = _Translator(dialect, for_runs=True)
    conjuncts = list(node.items) if isinstance(node, And) else [node]
    rest: list[ColumnElement[bool]] = []
    for index, item in enumerate(conjuncts):
        if isinstance(item, Comparison) and item.kind != "attribute" and item.op != "IS NULL":
            alias = _RUN_KEYED_TABLES[item.kind].alias(f"filter_{index}")
            test = translator.value_test(item, alias)
            on = [alias.c.run_uuid == schema.runs.c.run_uuid, alias.c.key == item.key]
            query = query.join(alias, and_(*on, *([] if test is None else [test])))
        else:
            rest.append(translator.node(item))
    return query.where(*rest) if rest else query


def correlated_run_condition(
    filter_string: str | None, dialect: str, run_uuid: ColumnElement[Any]
) -> ColumnElement[bool] | None:
    """The run filter as a condition that tests one run at a time: each metric, param or
    tag test becomes an EXISTS probe for the run id `run_uuid`. Best when the rows arrive in
    sort order and only the first page's worth must be tested (see run_windows.py). Equality
    tests, usually the selective ones and answered from a covering index, come first; metric
    tests, which read the widest rows, last."""
    node = parse_filter(filter_string)
    if node is None:
        return None
    translator = _Translator(dialect, for_runs=True, correlate=run_uuid)
    if not isinstance(node, And):
        return translator.node(node)
    items = sorted(node.items, key=_probe_rank)
    return and_(*(translator.node(item) for item in items))


def _probe_rank(node: Node) -> int:
    if not isinstance(node, Comparison) or node.kind == "attribute":
        return 1
    if node.op in ("=", "IN"):
        return 0
    return 2 if node.kind == "metric" else 1


def experiment_condition(filter_string: str | None, dialect: str) -> ColumnElement[bool] | None:
    node = parse_experiment_filter(filter_string)
    return None if node is None else _Translator(dialect, for_runs=False).node(node)


_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    """`column op value` for a column known to be non-NULL where this is used."""
    if op in _ORDERINGS:
        return cast_bool(_ORDERINGS[op](column, value))
    if op == "LIKE":
        return column.like(value, escape=_LIKE_ESCAPE)
    if op == "ILIKE":
        return column.ilike(value, escape=_LIKE_ESCAPE)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    raise AssertionError(f"operator {op!r} has no SQL form")


def cast_bool(expression: Any) -> ColumnElement[bool]:
    return typing.cast("ColumnElement[bool]", expression)


class _Translator:
    def __init__(
        self, dialect: str, *, for_runs: bool, correlate: ColumnElement[Any] | None = None
    ) -> None:
        self.dialect = dialect
        self.for_runs = for_runs
        self.correlate = correlate

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Not):
            return not_(self.node(node.item))
        parts = [self.node(item) for item in node.items]
        return and_(*parts) if isinstance(node, And) else or_(*parts)

    def comparison(self, node: Comparison) -> ColumnElement[bool]:
        if node.kind == "attribute":
            return self.attribute(node)
        if not self.for_runs:
            return self.keyed(node, schema.experiment_tags, schema.experiments.c.experiment_id)
        table = {
            "metric": schema.latest_metrics,
            "param": schema.params,
            "tag": schema.tags,
        }[node.kind]
        return self.keyed(node, table, schema.runs.c.run_uuid)

    def attribute(self, node: Comparison) -> ColumnElement[bool]:
        columns = RUN_ATTRIBUTES if self.for_runs else EXPERIMENT_ATTRIBUTES
        column = columns[node.key]
        if node.key == "experiment_id":
            column = cast(column, String)
        if node.op == "IS NULL":
            return column.is_(None)
        if node.op == "IS NOT NULL":
            return column.is_not(None)
        return and_(column.is_not(None), _compare(column, node.op, node.value))

    def keyed(
        self, node: Comparison, table: Table, owner: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        """`owner IN (rows of table with this key that satisfy node)`, or with `correlate`
        set, a probe for that one run (see probe).

        An uncorrelated IN lets every database evaluate the subquery once from the
        (key, value, owner) index instead of probing it once per run.
        """
        if self.correlate is not None:
            return self.probe(node, table.alias(), self.correlate)
        owner_column = (
            table.c.experiment_id if table is schema.experiment_tags else table.c.run_uuid
        )
        with_key = select(owner_column).where(table.c.key == node.key)
        if node.op == "IS NULL":
            return owner.not_in(with_key)
        test = self.value_test(node, table)
        return owner.in_(with_key if test is None else with_key.where(test))

    def probe(
        self, node: Comparison, table: Any, run_uuid: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        """EXISTS a row of `table` for the run `run_uuid` with this key and value."""
        if self.dialect == "sqlite":
            # `IN (x)` rather than `= x`: SQLite then weighs the (key, value, run_uuid) index,
            # one covering lookup, instead of always taking the (run_uuid, key) primary key
            # and reading the table row (four times slower on large tables).
            link = table.c.run_uuid.in_([run_uuid])
        else:
            link = table.c.run_uuid == run_uuid
        with_key = select(table.c.run_uuid).where(link, table.c.key == node.key)
        if node.op == "IS NULL":
            return not_(with_key.exists())
        test = self.value_test(node, table)
        return (with_key if test is None else with_key.where(test)).exists()

    def value_test(self, node: Comparison, table: Any) -> ColumnElement[bool] | None:
        """The test on a keyed row's value; None when having the key is enough."""
        if node.op == "IS NOT NULL":
            return None
        if node.kind == "metric":
            return self.metric_test(table.c.value, table.c.kind, node)
        if node.kind == "param" and node.is_numeric:
            return self.numeric_param_test(table.c.value, node)
        return _compare(table.c.value, node.op, node.value)

    @staticmethod
    def metric_test(
        value: ColumnElement[Any], kind: ColumnElement[Any], node: Comparison
    ) -> ColumnElement[bool]:
        # NaN is stored as NULL (every test false but != / NOT IN); +-inf as +-DBL_MAX.
        if node.op in ("!=", "NOT IN"):
            return or_(value.is_(None), _compare(value, node.op, node.value))
        if node.op in ("=", "IN"):
            return and_(kind == FINITE, _compare(value, node.op, node.value))
        return _compare(value, node.op, node.value)

    def numeric_param_test(
        self, value: ColumnElement[Any], node: Comparison
    ) -> ColumnElement[bool]:
        """Only params whose whole text is a number take part, compared as numbers."""
        looks_numeric = value.regexp_match(PARAM_NUMBER_PATTERN)
        if self.dialect in ("mysql", "mariadb"):
            # Adding a double converts the text to a number (SQLAlchemy cannot CAST AS DOUBLE).
            number: ColumnElement[Any] = type_coerce(value, Double) + literal_column("0E0")
        else:
            number = case((looks_numeric, cast(value, Double)), else_=None)
        return and_(looks_numeric, _compare(number, node.op, node.value))
