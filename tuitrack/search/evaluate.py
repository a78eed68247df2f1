"""Evaluate a filter AST against Run or Experiment objects in Python.

This is the reference semantics (see `tuitrack.search.nodes`) for stores that are not SQL,
and the yardstick the SQL translation is tested against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from functools import lru_cache

from tuitrack.entities import Experiment, Run
from tuitrack.search.field_tags import FIELD_TAGS
from tuitrack.search.nodes import PARAM_NUMBER_PATTERN, And, Comparison, Node, Not, Scalar

_PARAM_NUMBER = re.compile(PARAM_NUMBER_PATTERN)

# What a field of a run or experiment holds: a string, a number, or None when absent.
FieldValue = str | int | float | None
Lookup = Callable[[Comparison], FieldValue]


def param_as_number(text: str) -> float | None:
    """The number a param's text spells (see PARAM_NUMBER_PATTERN), or None."""
    return float(text) if _PARAM_NUMBER.match(text) else None


def run_field(run: Run, comparison: Comparison) -> FieldValue:
    """The value `comparison` tests in `run`: latest metric, param, tag or attribute."""
    if comparison.kind == "metric":
        return run.data.metrics.get(comparison.key)
    if comparison.kind == "param":
        text = run.data.params.get(comparison.key)
        if text is not None and comparison.is_numeric:
            return param_as_number(text)
        return text
    if comparison.kind == "tag":
        return run_tag(run, comparison.key)
    return _plain(getattr(run.info, comparison.key))


def run_tag(run: Run, key: str) -> str | None:
    """The run's tag `key`; for MLflow's tags of the run's name and parent, the field itself
    when the run lacks the tag (see field_tags)."""
    value = run.data.tags.get(key)
    if value is None and key in FIELD_TAGS:
        field: str | None = getattr(run.info, FIELD_TAGS[key])
        return field
    return value


def experiment_field(experiment: Experiment, comparison: Comparison) -> FieldValue:
    if comparison.kind == "tag":
        return experiment.tags.get(comparison.key)
    return _plain(getattr(experiment, comparison.key))


def matches(node: Node | None, run: Run) -> bool:
    """Whether `run` satisfies the filter `node` (None matches every run)."""
    return node is None or evaluate(node, lambda comparison: run_field(run, comparison))


def matches_experiment(node: Node | None, experiment: Experiment) -> bool:
    """Whether `experiment` satisfies a filter from `parse_experiment_filter`."""
    return node is None or evaluate(node, lambda c: experiment_field(experiment, c))


def evaluate(node: Node, lookup: Lookup) -> bool:
    if isinstance(node, Comparison):
        return compare(node, lookup(node))
    if isinstance(node, Not):
        return not evaluate(node.item, lookup)
    if isinstance(node, And):
        return all(evaluate(item, lookup) for item in node.items)
    return any(evaluate(item, lookup) for item in node.items)


def compare(node: Comparison, actual: FieldValue) -> bool:
    """The two-valued result of one comparison; an absent value only satisfies IS NULL."""
    if node.op == "IS NULL":
        return actual is None
    if actual is None:
        return False
    if node.op == "IS NOT NULL":
        return True
    expected = node.value
    if isinstance(expected, tuple):
        found = any(_equal(actual, item) for item in expected)
        return found if node.op == "IN" else not found
    assert expected is not None
    if node.op in ("LIKE", "ILIKE"):
        assert isinstance(actual, str)
        assert isinstance(expected, str)
        return like(actual, expected, case_sensitive=node.op == "LIKE")
    return _ORDERINGS[node.op](actual, expected)


def like(text: str, pattern: str, *, case_sensitive: bool = True) -> bool:
    """SQL LIKE with `\\` as the escape character; ILIKE lower-cases both sides."""
    if not case_sensitive:
        text, pattern = text.lower(), pattern.lower()
    return _like_regex(pattern).fullmatch(text) is not None


@lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:  # the parser refuses this; treat it as a literal backslash here
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL)


def _equal(actual: str | int | float, expected: Scalar) -> bool:
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    return actual == expected


def _ordered(test: Callable[[object, object], bool]) -> Callable[[FieldValue, Scalar], bool]:
    def apply(actual: FieldValue, expected: Scalar) -> bool:
        if isinstance(actual, str) != isinstance(expected, str):
            return False  # a string never equals or orders against a number
        return test(actual, expected)

    return apply


_ORDERINGS: Mapping[str, Callable[[FieldValue, Scalar], bool]] = {
    "=": _ordered(lambda a, b: a == b),
    "!=": _ordered(lambda a, b: a != b),
    "<": _ordered(lambda a, b: a < b),  # type: ignore[operator]
    "<=": _ordered(lambda a, b: a <= b),  # type: ignore[operator]
    ">": _ordered(lambda a, b: a > b),  # type: ignore[operator]
    ">=": _ordered(lambda a, b: a >= b),  # type: ignore[operator]
}


def _plain(value: object) -> FieldValue:
    if isinstance(value, Enum):
        return str(value.value)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
