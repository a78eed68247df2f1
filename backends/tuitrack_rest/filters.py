"""Split a tuitrack filter into what a plain MLflow server answers exactly and what tuitrack
must evaluate itself over the runs (or experiments) the server sends.

MLflow's server takes only an AND of single comparisons, a few operators per field, and
reads values and keys without unescaping them (see mlflow/utils/search_utils.py). Of the
top-level AND of a tuitrack filter, each comparison on which the server agrees with
tuitrack's semantics (tuitrack.search.nodes) on every run goes to the server as MLflow
filter text; everything else makes `scan` the whole filter, which `searching` evaluates with
tuitrack.search.matches on the server's results. The rules stay conservative: a comparison
goes to the server only where MLflow's SQL store gives the same answer on SQLite,
PostgreSQL and MySQL, checked against a real `mlflow server` in
tests/rest/test_filter_split.py. What scans, and why:

- OR and NOT anywhere: MLflow's grammar has neither (nor parentheses that group an OR).
- IS NULL / IS NOT NULL: older MLflow servers refuse them.
- IN / NOT IN, except on run_id (runs) and experiment_id (experiments): MLflow refuses them.
- Params compared with numbers: MLflow compares params only as text.
- ILIKE: MLflow lower-cases with its database (SQLite: ASCII letters only); tuitrack
  lower-cases all of Unicode.
- A LIKE pattern with a backslash: SQLite reads it as a plain character, PostgreSQL and
  MySQL as an escape; tuitrack always as an escape.
- Text holding a quote or a backslash, and keys MLflow's filter syntax cannot name: MLflow
  strips the quotes around a value without unescaping what is inside.
- run_name and the mlflow.runName tag: MLflow's server matches the tag, which a run may lack
  (it can be deleted) while the run keeps its name.
- A metric literal of magnitude 1.797e308 or more, or an integer beyond 2**53: MLflow stores
  infinities as +-1.797e308 and compares in doubles.
- A metric test on which a NaN metric read as 0 answers otherwise than IEEE 754 does
  (`metrics.loss < 0.1`, `metrics.acc != 0`): MLflow servers older than its fix of September
  2026 read NaN metrics so. Where their answer then only gains runs, the test still goes to
  the server as a pre-filter, and tuitrack scans the extra runs out.
- A comparison that a stored value tuitrack may read as absent would satisfy: an end_time
  or experiment time of 0 (tuitrack.core.wire reads 0 as no time, as MLflow's client does),
  a user_id of '' (a server may leave it out of its JSON). The server compares the value.
- Fields MLflow cannot filter on: a run's experiment_id; fractional times.

Not covered: a server on MLflow's deprecated file store matches LIKE's `%` and `_` with a
regular expression that does not cross a newline inside a value; servers older than MLflow
2.0 compared text case-insensitively on MySQL, and refuse some of the comparisons sent here
(an error, not a wrong answer).

parent_run_id goes to the server as the `mlflow.parentRunId` tag, which is where a run read
from MLflow's JSON takes its parent from (tuitrack.core.wire.mlflow_json).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from tuitrack.search import (
    And,
    Comparison,
    Node,
    Or,
    OrderKey,
    parse_experiment_filter,
    parse_filter,
)
from tuitrack.search import parse_order_by as parse_run_order_by
from tuitrack.search.evaluate import compare
from tuitrack.search.field_tags import PARENT_RUN_TAG, RUN_NAME_TAG

# Keys MLflow accepts (its own name rule for params, metrics and tags); a backtick-quoted key
# made only of these reaches MLflow's parser unchanged.
_MLFLOW_KEY = re.compile(r"[\w\-. :/]+")
# Characters MLflow's filter parser cannot carry inside a quoted value.
_UNQUOTABLE = frozenset("'\"\\")
_LARGEST_DOUBLE = sys.float_info.max
_EXACT_INTEGER_LIMIT = 2**53
_TEXT_OPS = frozenset({"=", "!=", "LIKE"})
_NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class SplitFilter:
    """A filter split for a plain MLflow server.

    `server_text` is MLflow filter syntax for the server (None: send no filter). Without
    `scan`, the server evaluates it exactly as tuitrack would. `scan` is the whole filter,
    to evaluate on every result, when the server cannot answer exactly (None: the server's
    answer is exact); then the server's answer to `server_text` holds every match (it may
    hold more: a pre-filter). `reasons` names, in words for a person, each construct that
    made it scan.
    """

    server_text: str | None
    scan: Node | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Translation:
    """A comparison as MLflow filter text, and why the server cannot evaluate it exactly.

    Text without a reason is exact. A reason without text: the server cannot take it. Both:
    the server's answer to the text holds every match and maybe more (a pre-filter).
    """

    text: str | None = None
    reason: str | None = None


def split_run_filter(filter_string: str | None) -> SplitFilter:
    """Split a run filter (see the module's docstring). Raises FilterSyntaxError."""
    return _split(parse_filter(filter_string), _run_comparison)


def split_experiment_filter(filter_string: str | None) -> SplitFilter:
    """Split an experiment filter (see the module's docstring). Raises FilterSyntaxError."""
    return _split(parse_experiment_filter(filter_string), _experiment_comparison)


def server_order_by(order_by: Sequence[str] | None) -> list[str] | None:
    """The order_by clauses for MLflow's runs/search when its server sorts exactly as
    tuitrack.search.sort_runs does, else None (sort the whole matching set here).

    Only the default order (start_time DESC, then run id) and start_time keys qualify.
    MLflow puts NaN metrics before missing ones where tuitrack mixes them (by the tie
    breakers), orders text by its database's collation, and stores an end_time of 0 that
    tuitrack reads as no end time. Raises FilterSyntaxError for a bad clause.
    """
    clauses: list[str] = []
    for key in parse_run_order_by(order_by):
        if key.kind != "attribute" or key.key != "start_time":
            return None
        # A repeated key changes nothing after its first use, and MLflow refuses repeats.
        if not clauses:
            clauses.append(f"attributes.start_time {'ASC' if key.ascending else 'DESC'}")
    return clauses


def server_metric_order(order_by: Sequence[str] | None) -> tuple[list[str], OrderKey] | None:
    """For an order by one metric (then start_time keys, if any): the clauses for MLflow's
    runs/search and that metric's OrderKey; else None.

    MLflow's server orders such runs exactly as tuitrack does up to the first run without a
    value of the metric (missing or NaN). From there on it puts every NaN before every
    missing value, where tuitrack orders both together by the keys after it: tuitrack reads
    that tail and sorts it itself. Raises FilterSyntaxError for a bad clause.
    """
    keys = parse_run_order_by(order_by)
    if not keys or keys[0].kind != "metric" or not _MLFLOW_KEY.fullmatch(keys[0].key):
        return None
    metric = keys[0]
    rest = server_order_by([f"start_time {'ASC' if k.ascending else 'DESC'}" for k in keys[1:]])
    if rest is None or any(k.kind != "attribute" or k.key != "start_time" for k in keys[1:]):
        return None
    direction = "ASC" if metric.ascending else "DESC"
    return [f"metrics.{_quoted_key(metric.key)} {direction}", *rest], metric


def _split(node: Node | None, translate: Callable[[Comparison], _Translation]) -> SplitFilter:
    if node is None:
        return SplitFilter(None, None, ())
    texts: list[str] = []
    reasons: list[str] = []
    for item in _conjuncts(node):
        if isinstance(item, Comparison):
            translation = translate(item)
            if translation.text is not None:
                texts.append(translation.text)
            if translation.reason is None:
                continue
            reason = translation.reason
        else:
            reason = "OR" if isinstance(item, Or) else "NOT"
        if reason not in reasons:
            reasons.append(reason)
    return SplitFilter(" AND ".join(texts) or None, node if reasons else None, tuple(reasons))


def _conjuncts(node: Node) -> Iterator[Node]:
    """The items of the top-level AND, nested ANDs flattened (`a AND (b AND c)`)."""
    if isinstance(node, And):
        for item in node.items:
            yield from _conjuncts(item)
    else:
        yield node


# --- runs ---------------------------------------------------------------------------------


def _run_comparison(node: Comparison) -> _Translation:
    refusal = _common_refusal(node)
    if refusal is not None:
        return refusal
    if node.kind == "metric":
        return _metric(node)
    if node.kind == "param":
        if node.is_numeric:
            return _Translation(reason="numeric comparison of params")
        return _text(node, f"params.{_quoted_key(node.key)}")
    if node.kind == "tag":
        if node.key == RUN_NAME_TAG:
            return _Translation(reason=_RUN_NAME_REASON)
        return _text(node, f"tags.{_quoted_key(node.key)}")
    return _run_attribute(node)


_RUN_NAME_REASON = "run names"


def _run_attribute(node: Comparison) -> _Translation:
    name = node.key
    if name == "run_name":
        return _Translation(reason=_RUN_NAME_REASON)
    if name == "experiment_id":
        return _Translation(reason="a run's experiment_id")
    if name == "parent_run_id":
        return _text(node, f"tags.{_quoted_key(PARENT_RUN_TAG)}")
    if name in ("start_time", "end_time"):
        if name == "end_time" and compare(node, 0):
            return _Translation(reason="end_time where 0 would match")
        return _time(node, f"attributes.{name}")
    if name == "run_id" and node.op in ("IN", "NOT IN"):
        return _text_list(node, "attributes.run_id")
    if name == "user_id" and compare(node, ""):
        return _Translation(reason="user_id where '' would match")
    return _text(node, f"attributes.{name}")


def _metric(node: Comparison) -> _Translation:
    if node.op not in _NUMBER_OPS:
        return _Translation(reason=f"{node.op} on metrics")
    value = node.value
    assert isinstance(value, int | float)
    if abs(value) >= _LARGEST_DOUBLE or (
        isinstance(value, int) and abs(value) > _EXACT_INTEGER_LIMIT
    ):
        return _Translation(reason="metric bounds beyond MLflow's precision")
    text = f"metrics.{_quoted_key(node.key)} {node.op} {_number(value)}"
    # MLflow keeps a NaN metric as 0 beside a NaN flag; servers before MLflow's fix of
    # September 2026 (mlflow/mlflow#25802) compare that 0, so their answer gains or loses
    # NaN runs wherever `0 <op> value` differs from IEEE 754 (true only for !=).
    nan_read_as_zero, nan_matches = compare(node, 0.0), node.op == "!="
    if nan_read_as_zero == nan_matches:
        return _Translation(text)
    if nan_read_as_zero:  # the older answer holds extra NaN runs: scan them out
        return _Translation(text, reason=_OLD_NAN_REASON)
    return _Translation(reason=_OLD_NAN_REASON)  # the older answer misses NaN runs


_OLD_NAN_REASON = "metric tests on NaN"


# --- experiments --------------------------------------------------------------------------


def _experiment_comparison(node: Comparison) -> _Translation:
    refusal = _common_refusal(node)
    if refusal is not None:
        return refusal
    if node.kind == "tag":
        return _text(node, f"tags.{_quoted_key(node.key)}")
    name = node.key
    if name == "experiment_id":
        return _experiment_id(node)
    if name in ("creation_time", "last_update_time"):
        if compare(node, 0):
            return _Translation(reason=f"{name} where 0 would match")
        return _time(node, f"attribute.{name}")
    return _text(node, f"attribute.{name}")


def _experiment_id(node: Comparison) -> _Translation:
    """MLflow compares experiment ids as integers: only canonical decimal ids agree with
    tuitrack's text comparison ('07' is experiment 7 to MLflow)."""
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    canonical = all(
        isinstance(v, str) and v.isascii() and v.isdigit() and v == str(int(v)) and int(v) < 2**63
        for v in values
    )
    if node.op not in ("=", "!=", "IN", "NOT IN") or not canonical:
        return _Translation(reason="experiment_id other than = != IN on plain ids")
    if node.op in ("IN", "NOT IN"):
        return _text_list(node, "attribute.experiment_id")
    return _Translation(f"attribute.experiment_id {node.op} '{node.value}'")


# --- shared -------------------------------------------------------------------------------


def _common_refusal(node: Comparison) -> _Translation | None:
    if node.op in ("IS NULL", "IS NOT NULL"):
        return _Translation(reason=node.op)
    if node.op == "ILIKE":
        return _Translation(reason="ILIKE")
    if node.kind != "attribute" and not _MLFLOW_KEY.fullmatch(node.key):
        return _Translation(reason="keys MLflow's filter syntax cannot name")
    return None


def _text(node: Comparison, identifier: str) -> _Translation:
    """A text comparison (= != LIKE) on a param, tag or string attribute."""
    if node.op not in _TEXT_OPS:
        return _Translation(reason=f"{node.op} on {_family(node)}")
    value = node.value
    assert isinstance(value, str)
    if _UNQUOTABLE.intersection(value):
        return _Translation(reason="text with quotes or backslashes")
    return _Translation(f"{identifier} {node.op} '{value}'")


def _text_list(node: Comparison, identifier: str) -> _Translation:
    values = node.value
    assert isinstance(values, tuple)
    if any(not isinstance(v, str) or _UNQUOTABLE.intersection(v) for v in values):
        return _Translation(reason="text with quotes or backslashes")
    listed = ", ".join(f"'{value}'" for value in values)
    return _Translation(f"{identifier} {node.op} ({listed})")


def _time(node: Comparison, identifier: str) -> _Translation:
    if node.op not in _NUMBER_OPS:
        return _Translation(reason=f"{node.op} on {node.key}")
    if not isinstance(node.value, int):
        return _Translation(reason=f"fractional {node.key}")
    return _Translation(f"{identifier} {node.op} {node.value}")


def _family(node: Comparison) -> str:
    return {"metric": "metrics", "param": "params", "tag": "tags"}.get(node.kind, node.key)


def _quoted_key(key: str) -> str:
    return f"`{key}`"


def _number(value: int | float) -> str:
    """A number as MLflow's parser reads it: no '+' (it refuses 1e+20)."""
    if isinstance(value, int):
        return str(value)
    assert math.isfinite(value)
    return repr(value).replace("e+", "e")
