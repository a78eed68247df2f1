"""Filter strings and order_by clauses -> SQLAlchemy conditions (bound parameters only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from tuitrack.errors import FilterSyntaxError, InvalidValueError
from tuitrack_sql.ordering import EXPERIMENT_ATTRIBUTES, RUN_ATTRIBUTES


@dataclass(frozen=True)
class _Order:
    kind: str
    key: str
    ascending: bool


_ORDER = re.compile(r"^\s*(?:(attributes|attribute|attr|run)\.)?(\w+)(?:\s+(ASC|DESC))?\s*$", re.I)


def _parse_attribute_order(clauses: Sequence[str] | None, allowed: dict[str, Any]) -> list[_Order]:
    keys = []
    for clause in clauses or []:
        match = _ORDER.match(clause)
        if not match or match.group(2) not in allowed:
            raise FilterSyntaxError(
                f"cannot order by {clause!r}; allowed: {', '.join(sorted(allowed))} "
                "with optional ASC or DESC"
            )
        keys.append(_Order("attribute", match.group(2), (match.group(3) or "ASC").upper() == "ASC"))
    return keys


def parse_run_order(clauses: Sequence[str] | None) -> list[_Order]:
    return _parse_attribute_order(clauses, RUN_ATTRIBUTES)


def parse_experiment_order(clauses: Sequence[str] | None) -> list[_Order]:
    return _parse_attribute_order(clauses, EXPERIMENT_ATTRIBUTES)


def run_condition(filter_string: str | None) -> ColumnElement[bool] | None:
    if not filter_string or not filter_string.strip():
        return None
    raise InvalidValueError("run filters are not supported yet")


def experiment_condition(filter_string: str | None) -> ColumnElement[bool] | None:
    if not filter_string or not filter_string.strip():
        return None
    raise InvalidValueError("experiment filters are not supported yet")
