"""Filter ASTs (tuitrack.search) -> SQLAlchemy conditions over a backend's SearchTables, with
bound parameters only.

Every condition is two-valued (never SQL NULL; owner and key columns are NOT NULL, so IN
and NOT IN subqueries never yield NULL) so that NOT means plain negation, as the Python
evaluator defines it: an absent key or a NULL attribute fails every comparison but IS NULL,
and a NaN metric every comparison but != and NOT IN.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    FromClause,
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
    parse_experiment_filter,
    parse_filter,
)
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.search_tables import SearchTables

_LIKE_ESCAPE = "\\"
_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
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
    """`expression` typed as the condition it is."""
    return typing.cast("ColumnElement[bool]", expression)


def apply_run_filter(
    query: Select[Any], tables: SearchTables, filter_string: str | None, dialect: SqlDialect
) -> Select[Any]:
    """`query` (over the runs table) narrowed by a run filter. With `join_keyed_tests`,
    each top-level AND-ed test of a metric, param or tag becomes an inner join (one row per
    run and key, so no duplicates), which lets the database start from the most selective
    index; the rest becomes a WHERE condition."""
    node = parse_filter(filter_string)
    if node is None:
        return query
    translator = Translator(tables, dialect, for_runs=True)
    if not tables.join_keyed_tests:
        return query.where(translator.node(node))
    conjuncts = list(node.items) if isinstance(node, And) else [node]
    rest: list[ColumnElement[bool]] = []
    for index, item in enumerate(conjuncts):
        stored = tables.stored(item) if isinstance(item, Comparison) else item
        if isinstance(stored, Comparison) and stored.kind != "attribute" and stored.op != "IS NULL":
            alias = tables.keyed(stored.kind).alias(f"filter_{index}")
            test = translator.value_test(stored, alias)
            on = [alias.c.run_uuid == tables.runs.c.run_uuid, alias.c.key == stored.key]
            query = query.join(alias, and_(*on, *([] if test is None else [test])))
        else:
            rest.append(translator.node(item))
    return query.where(*rest) if rest else query


def correlated_run_condition(
    tables: SearchTables,
    filter_string: str | None,
    dialect: SqlDialect,
    run_uuid: ColumnElement[Any],
) -> ColumnElement[bool] | None:
    """The run filter as a condition that tests one run at a time: each metric, param or
    tag test becomes an EXISTS probe for the run id `run_uuid`. Best when the rows arrive in
    sort order and only the first page's worth must be tested. Equality tests, usually the
    selective ones and answered from a covering index, come first; metric tests, which read
    the widest rows, last."""
    node = parse_filter(filter_string)
    if node is None:
        return None
    translator = Translator(tables, dialect, for_runs=True, correlate=run_uuid)
    if not isinstance(node, And):
        return translator.node(node)
    return and_(*(translator.node(item) for item in sorted(node.items, key=_probe_rank)))


def experiment_condition(
    tables: SearchTables, filter_string: str | None, dialect: SqlDialect
) -> ColumnElement[bool] | None:
    """An experiment filter as a condition over the experiments table, None for none."""
    node = parse_experiment_filter(filter_string)
    return None if node is None else Translator(tables, dialect, for_runs=False).node(node)


def _probe_rank(node: Node) -> int:
    if not isinstance(node, Comparison) or node.kind == "attribute":
        return 1
    if node.op in ("=", "IN"):
        return 0
    return 2 if node.kind == "metric" else 1


def _range_last(node: Node) -> bool:
    """AND terms with equalities first: without statistics SQLite drives a search from
    the first IN subquery, and an equality is usually the narrower one."""
    return not (isinstance(node, Comparison) and node.op in ("=", "IN"))


class Translator:
    """Turns filter ASTs into conditions over `tables` for the database `dialect`; with
    `correlate`, keyed tests probe that one run id (see probe)."""

    def __init__(
        self,
        tables: SearchTables,
        dialect: SqlDialect,
        *,
        for_runs: bool,
        correlate: ColumnElement[Any] | None = None,
    ) -> None:
        self.tables = tables
        self.dialect = dialect
        self.for_runs = for_runs
        self.correlate = correlate

    def node(self, node: Node) -> ColumnElement[bool]:
        """The condition of any filter node."""
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Not):
            return not_(self.node(node.item))
        if isinstance(node, And):
            return and_(*(self.node(item) for item in sorted(node.items, key=_range_last)))
        return or_(*(self.node(item) for item in node.items))

    def comparison(self, node: Comparison) -> ColumnElement[bool]:
        """The condition of one comparison, of an attribute or of a key's value."""
        tables = self.tables
        if not self.for_runs:
            if node.kind == "attribute":
                return self.attribute(node, tables.experiment_attributes)
            return self.keyed(node, tables.experiment_tags)
        node = tables.stored(node)
        if node.kind == "attribute":
            return self.attribute(node, tables.run_attributes)
        return self.keyed(node, tables.keyed(node.kind))

    def compare(self, column: ColumnElement[Any], node: Comparison) -> ColumnElement[bool]:
        """`column op value` by the schema's text rule, `column` non-NULL here."""
        column = self.tables.text.comparable(column, node, self.dialect)
        return compare(column, node.op, node.value)

    def attribute(
        self, node: Comparison, columns: typing.Mapping[str, ColumnElement[Any]]
    ) -> ColumnElement[bool]:
        """A test of an attribute column; a NULL passes only IS NULL."""
        column = columns[node.key]
        if node.key == "experiment_id":
            column = cast(column, String)
        if node.op == "IS NULL":
            return column.is_(None)
        if node.op == "IS NOT NULL":
            return column.is_not(None)
        return and_(column.is_not(None), self.compare(column, node))

    def keyed(self, node: Comparison, table: Table) -> ColumnElement[bool]:
        """`owner IN (owners of rows of table with this key that satisfy node)`, or with
        `correlate` set, a probe for that one run (see probe).

        An uncorrelated IN lets every database evaluate the subquery once from a
        (key, ...) index instead of probing it once per owner.
        """
        if self.correlate is not None:
            return self.probe(node, table.alias(), self.correlate)
        alias = table.alias()
        if table is self.tables.experiment_tags:
            owner, owners = self.tables.experiments.c.experiment_id, alias.c.experiment_id
        else:
            owner, owners = self.tables.runs.c.run_uuid, alias.c.run_uuid
        with_key = select(owners).where(alias.c.key == node.key)
        if node.op == "IS NULL":
            return owner.not_in(with_key)
        test = self.value_test(node, alias)
        return owner.in_(with_key if test is None else with_key.where(test))

    def probe(
        self, node: Comparison, table: FromClause, run_uuid: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        """EXISTS a row of `table` for the run `run_uuid` with this key and value."""
        if self.dialect.is_sqlite:
            # `IN (x)` rather than `= x`: SQLite then weighs the (key, value, run_uuid) index,
            # one covering lookup, instead of always taking the (run_uuid, key) primary key
            # and reading the table row (four times slower on large tables).
            link: ColumnElement[bool] = table.c.run_uuid.in_([run_uuid])
        else:
            link = table.c.run_uuid == run_uuid
        with_key = select(table.c.run_uuid).where(link, table.c.key == node.key)
        if node.op == "IS NULL":
            return not_(with_key.exists())
        test = self.value_test(node, table)
        return (with_key if test is None else with_key.where(test)).exists()

    def value_test(self, node: Comparison, table: FromClause) -> ColumnElement[bool] | None:
        """The test on a keyed row's value; None when having the key is enough."""
        if node.op == "IS NOT NULL":
            return None
        value = table.c.value
        if node.kind == "metric":
            return self.tables.metrics.test(table, node)
        if node.kind == "param" and node.is_numeric:
            return self.numeric_param_test(value, node)
        test = self.compare(value, node)
        return and_(value.is_not(None), test) if value.nullable else test

    def numeric_param_test(
        self, value: ColumnElement[Any], node: Comparison
    ) -> ColumnElement[bool]:
        """Only params whose whole text is a number take part, compared as numbers."""
        looks_numeric = value.regexp_match(PARAM_NUMBER_PATTERN)
        if self.dialect.is_mysql:
            # Adding a double converts the text to a number (SQLAlchemy cannot CAST AS DOUBLE).
            number: ColumnElement[Any] = type_coerce(value, Double) + literal_column("0E0")
        else:  # CASE, not a bare CAST: PostgreSQL fails on casting non-numeric text
            number = case((looks_numeric, cast(value, Double)), else_=None)
        return and_(looks_numeric, self.compare(number, node))
