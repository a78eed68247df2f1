"""The filter AST: what a parsed filter or order_by clause means, independent of any store.

Semantics every evaluator (Python here, SQL in the backends) must share:

- A `Comparison` is two-valued. It is false when the value is absent: a run without that
  metric / param / tag, or an attribute that is None (run_name, user_id, end_time, ...).
  That holds for `!=` and `NOT IN` too: `params.opt != 'adam'` does not match a run that has
  no `opt` param. Only `IS NULL` is true for an absent value. (SQL: `col IS NOT NULL AND ...`
  or an EXISTS subquery, never a bare comparison that yields NULL.)
- `Not` is plain boolean negation of that two-valued result, so `NOT params.opt = 'adam'`
  does match runs without an `opt` param.
- Metrics are each key's latest value (highest step, then latest timestamp). NaN follows
  IEEE 754: every comparison with NaN is false except `!=` (and `NOT IN`), which are true.
  A NaN or infinite metric is present: `IS NULL` is false for it. Literals are always finite.
- A param compared with a number (`value` is int/float, or a tuple of them) compares
  numerically, and only params whose whole text matches `PARAM_NUMBER_PATTERN` take part;
  any other param value does not match, whatever the operator. A param compared with a
  string compares as text.
- Text comparisons (`=`, `!=`, `IN`) are exact and case-sensitive. `LIKE` is case-sensitive,
  `ILIKE` case-insensitive (Unicode lower-casing); in both, `%` is any run of characters,
  `_` one character, and a backslash escapes `%`, `_` or itself (SQL: `ESCAPE '\\'`). The
  parser rejects a pattern whose backslash escapes anything else or ends the pattern.
- `status` values are normalized to upper case and checked against RunStatus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["metric", "param", "tag", "attribute"]
Op: TypeAlias = Literal[
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "LIKE",
    "ILIKE",
    "IN",
    "NOT IN",
    "IS NULL",
    "IS NOT NULL",
]
# Integer literals stay int (exact for 64-bit timestamps); others are finite floats.
Scalar: TypeAlias = str | int | float
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None

# The numbers a param's text must look like to take part in a numeric comparison: an
# optional sign, ASCII digits with an optional fraction, an optional exponent, nothing else
# (no spaces, no 'nan'/'inf'). POSIX ERE syntax, usable as is in SQL REGEXP / `~`.
PARAM_NUMBER_PATTERN = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


@dataclass(frozen=True, slots=True)
class Comparison:
    """One test of one field of a run (or experiment) against a literal.

    - `kind`: which family the field belongs to. For "attribute", `key` is a canonical
      attribute name (runs: run_id, run_name, status, user_id, start_time, end_time,
      artifact_uri, experiment_id, parent_run_id; experiments: name, experiment_id,
      creation_time, last_update_time). For the others, `key` is the metric / param / tag
      name, verbatim.
    - `value` by `op`:
        `= != < <= > >=`   -> str | int | float
        `LIKE ILIKE`       -> str (a pattern)
        `IN NOT IN`        -> non-empty tuple, all str or all numbers
        `IS NULL IS NOT NULL` -> None
    """

    kind: Kind
    key: str
    op: Op
    value: Value

    @property
    def is_numeric(self) -> bool:
        """True when the literal is a number (or a tuple of numbers)."""
        first = self.value[0] if isinstance(self.value, tuple) else self.value
        return isinstance(first, int | float) and not isinstance(first, bool)


@dataclass(frozen=True, slots=True)
class And:
    """True when every item is; at least two items."""

    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("And needs at least two items")


@dataclass(frozen=True, slots=True)
class Or:
    """True when any item is; at least two items."""

    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("Or needs at least two items")


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node: TypeAlias = Comparison | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One order_by clause. Missing and NaN values sort last in either direction."""

    kind: Kind
    key: str
    ascending: bool = True
