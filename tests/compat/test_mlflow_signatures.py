"""tuitrack's signatures against MLflow's, for every name both have (issue 16, item 2).

The table (data/mlflow_signatures.json) was written by generate_signatures.py from real
MLflow, so this test needs no MLflow. MLflow code calls these functions positionally and
by keyword, so for each name MLflow's parameters must come first in tuitrack's signature,
in MLflow's order, with MLflow's kinds and (for plain literals) MLflow's defaults; what
tuitrack adds comes after them and is keyword-only or has a default.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tuitrack
from tuitrack.entities import ViewType

TABLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "mlflow_signatures.json").read_text()
)

# Names of the table tuitrack does not have (none since issue 16: the logged-model ones are
# stand-ins raising UnsupportedFeatureError). A name that appears in tuitrack must leave
# this list (the test below fails until it does).
KNOWN_MISSING: dict[str, frozenset[str]] = {"fluent": frozenset(), "client": frozenset()}

# MLflow parameters tuitrack deliberately does not take: logged models and tracing are out
# of issue 16's scope, and MLflow's workspaces have no tuitrack counterpart. Calling with
# one raises TypeError rather than silently dropping it. They must trail MLflow's others.
UNSUPPORTED: dict[tuple[str, str], frozenset[str]] = {
    ("fluent", "create_experiment"): frozenset({"trace_location"}),
    ("fluent", "set_experiment"): frozenset({"trace_location"}),
    ("fluent", "log_metric"): frozenset({"model_id", "dataset"}),
    ("fluent", "log_metrics"): frozenset({"model_id", "dataset"}),
    ("client", "__init__"): frozenset({"workspace_store_uri"}),
    ("client", "log_metric"): frozenset({"dataset_name", "dataset_digest", "model_id"}),
}

# Defaults that differ in form only: tuitrack's enum member for MLflow's number.
EQUIVALENT_DEFAULTS: dict[tuple[str, str, str], object] = {
    ("fluent", "search_runs", "run_view_type"): ViewType.ACTIVE_ONLY,
    ("client", "search_runs", "run_view_type"): ViewType.ACTIVE_ONLY,
    ("client", "search_experiments", "view_type"): ViewType.ACTIVE_ONLY,
    ("fluent", "search_experiments", "view_type"): ViewType.ACTIVE_ONLY,
}

# Defaults that still differ; the test fails once one matches, so the list stays honest.
KNOWN_DIFFERENT_DEFAULTS: dict[tuple[str, str, str], str] = {}


def _tuitrack_function(section: str, name: str) -> Callable[..., Any] | None:
    if section == "fluent":
        return getattr(tuitrack, name, None)
    if name != "__init__" and not hasattr(tuitrack.MlflowClient, name):
        return None
    return getattr(tuitrack.MlflowClient, name)  # type: ignore[no-any-return]


def _tuitrack_parameters(section: str, name: str) -> list[inspect.Parameter]:
    function = _tuitrack_function(section, name)
    assert function is not None
    parameters = list(inspect.signature(function).parameters.values())
    return parameters[1:] if section == "client" else parameters  # less self


def _same_default(mlflow_default: object, ours: object) -> bool:
    if isinstance(mlflow_default, str):
        return isinstance(ours, str) and ours == mlflow_default  # a StrEnum member counts
    return type(ours) is type(mlflow_default) and ours == mlflow_default


ALL_NAMES = [(section, name) for section in ("fluent", "client") for name in TABLE[section]]
SHARED = [pair for pair in ALL_NAMES if pair[1] not in KNOWN_MISSING[pair[0]]]


def test_the_table_is_mlflow_3_17() -> None:
    assert TABLE["mlflow_version"].startswith("3.17.")
    assert len(ALL_NAMES) >= 75


@pytest.mark.parametrize(("section", "name"), ALL_NAMES, ids=[f"{s}.{n}" for s, n in ALL_NAMES])
def test_known_missing_names_are_exactly_the_missing_ones(section: str, name: str) -> None:
    present = _tuitrack_function(section, name) is not None
    listed = name in KNOWN_MISSING[section]
    assert present != listed, (
        f"tuitrack {'has' if present else 'lacks'} {section} {name!r}: "
        f"{'remove it from' if listed else 'add it to'} KNOWN_MISSING"
    )


@pytest.mark.parametrize(("section", "name"), SHARED, ids=[f"{s}.{n}" for s, n in SHARED])
def test_mlflow_parameters_come_first_in_mlflow_order(section: str, name: str) -> None:
    mlflow_parameters: list[dict[str, Any]] = TABLE[section][name]
    unsupported = UNSUPPORTED.get((section, name), frozenset())
    expected = [p for p in mlflow_parameters if p["name"] not in unsupported]
    assert [p["name"] for p in mlflow_parameters[len(expected) :]] == [
        p["name"] for p in mlflow_parameters if p["name"] in unsupported
    ], "unsupported MLflow parameters must trail the supported ones"
    ours = _tuitrack_parameters(section, name)
    ours_names = [p.name for p in ours]
    assert ours_names[: len(expected)] == [p["name"] for p in expected]
    assert not unsupported & set(ours_names), "a parameter listed as unsupported is accepted"
    for theirs, mine in zip(expected, ours, strict=False):
        assert mine.kind.description == theirs["kind"], mine.name
        has_default = mine.default is not inspect.Parameter.empty
        assert has_default == theirs["has_default"], mine.name
        if not has_default or not theirs["simple_default"]:
            continue
        key = (section, name, mine.name)
        if key in EQUIVALENT_DEFAULTS:
            assert mine.default == EQUIVALENT_DEFAULTS[key], mine.name
        elif key in KNOWN_DIFFERENT_DEFAULTS:
            assert not _same_default(theirs["default"], mine.default), (
                f"{mine.name} now has MLflow's default: drop it from KNOWN_DIFFERENT_DEFAULTS"
            )
        else:
            assert _same_default(theirs["default"], mine.default), (
                f"{mine.name}: MLflow's default {theirs['default']!r}, tuitrack's {mine.default!r}"
            )
    for extra in ours[len(expected) :]:
        optional = extra.kind in (
            inspect.Parameter.KEYWORD_ONLY,
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ) or (not unsupported and extra.default is not inspect.Parameter.empty)
        assert optional, f"tuitrack's extra {extra.name!r} must be keyword-only or optional"
