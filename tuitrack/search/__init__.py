"""The search language: filter and order_by text -> a typed AST, evaluable in Python.

    node = parse_filter("metrics.acc > 0.9 AND (params.opt = 'adam' OR tags.env IS NULL)")
    [run for run in runs if matches(node, run)]
    sort_runs(runs, parse_order_by(["metrics.loss ASC", "start_time"]))

The grammar is MLflow's run filter syntax plus OR, NOT, parentheses, IS [NOT] NULL and
numeric comparison of params; see `parser` for the grammar, `lexical` for quoting and
`nodes` for the AST and the semantics every store must implement. Everything here is
backend-agnostic; SQL stores translate the AST themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuitrack.search.evaluate import like, matches, matches_experiment, param_as_number
from tuitrack.search.nodes import (
    PARAM_NUMBER_PATTERN,
    And,
    Comparison,
    Kind,
    Node,
    Not,
    Op,
    Or,
    OrderKey,
    Scalar,
    Value,
)
from tuitrack.search.ordering import sort_experiments, sort_runs
from tuitrack.search.parser import (
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_LIST_VALUES,
    MAX_ORDER_BY_CLAUSES,
    order_by_with_schema,
    parse_with_schema,
)
from tuitrack.search.schema import EXPERIMENT_SCHEMA, RUN_SCHEMA
from tuitrack.search.text import order_by_to_text, to_text


def parse_filter(text: str | None) -> Node | None:
    """The AST of a run filter; None for a missing or blank filter.

    Raises FilterSyntaxError (and nothing else), whose message shows the filter with a caret
    under the offending position and says what was expected.
    """
    return parse_with_schema(text, RUN_SCHEMA)


def parse_experiment_filter(text: str | None) -> Node | None:
    """The AST of an experiment filter: `name`, `experiment_id`, `creation_time`,
    `last_update_time` (kind "attribute") and `tags.<key>` (kind "tag").

    Raises FilterSyntaxError.
    """
    return parse_with_schema(text, EXPERIMENT_SCHEMA)


def parse_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Run order_by clauses such as "metrics.loss ASC", "params.lr DESC", "start_time".

    Raises FilterSyntaxError for a clause that is not an identifier optionally followed by
    ASC or DESC.
    """
    return order_by_with_schema(clauses, RUN_SCHEMA)


def parse_experiment_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Experiment order_by clauses such as "name", "creation_time DESC", "tags.team".

    Raises FilterSyntaxError.
    """
    return order_by_with_schema(clauses, EXPERIMENT_SCHEMA)


__all__ = [
    "MAX_COMPARISONS",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_LIST_VALUES",
    "MAX_ORDER_BY_CLAUSES",
    "PARAM_NUMBER_PATTERN",
    "And",
    "Comparison",
    "Kind",
    "Node",
    "Not",
    "Op",
    "Or",
    "OrderKey",
    "Scalar",
    "Value",
    "like",
    "matches",
    "matches_experiment",
    "order_by_to_text",
    "param_as_number",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
    "sort_experiments",
    "sort_runs",
    "to_text",
]
