"""Write data/mlflow_signatures.json: the signatures of MLflow's tracking API, from real MLflow.

tests/compat/test_mlflow_signatures.py checks tuitrack's signatures against this table, so
the tests need no MLflow. Rerun it when the pinned MLflow changes, from the repository root:

    python -m venv /tmp/mlflow3 && /tmp/mlflow3/bin/pip install 'mlflow==3.17.2'
    /tmp/mlflow3/bin/python tests/compat/generate_signatures.py

Each parameter is recorded with its name, its kind (as `inspect` describes it), whether it
has a default and, for a default that is a plain literal (None, bool, int, float, str), the
default itself; any other default is kept as its repr. Only MLflow and the standard library
are imported here.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient

DATA = Path(__file__).parent / "data" / "mlflow_signatures.json"

FLUENT = (
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_outputs",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
)

# The tracking part of MlflowClient (no registry, tracing, prompts or logged models).
CLIENT = (
    "__init__",
    "create_experiment",
    "create_run",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "download_artifacts",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_parent_run",
    "get_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_inputs",
    "log_metric",
    "log_outputs",
    "log_param",
    "log_table",
    "log_text",
    "rename_experiment",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment_tag",
    "set_tag",
    "set_terminated",
    "update_run",
)


def describe(parameter: inspect.Parameter) -> dict[str, Any]:
    """One parameter as the table records it."""
    entry: dict[str, Any] = {"name": parameter.name, "kind": parameter.kind.description}
    default = parameter.default
    entry["has_default"] = default is not inspect.Parameter.empty
    if entry["has_default"]:
        simple = default is None or type(default) in (bool, int, float, str)
        entry["simple_default"] = simple
        entry["default"] = default if simple else repr(default)
    return entry


def signature(function: Callable[..., Any], method: bool) -> list[dict[str, Any]]:
    """The parameters of a function, less `self` for a method."""
    parameters = list(inspect.signature(function).parameters.values())
    return [describe(p) for p in parameters[1 if method else 0 :]]


def main() -> None:
    table = {
        "mlflow_version": mlflow.__version__,
        "fluent": {name: signature(getattr(mlflow, name), False) for name in FLUENT},
        "client": {name: signature(getattr(MlflowClient, name), True) for name in CLIENT},
    }
    DATA.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{len(FLUENT) + len(CLIENT)} signatures of MLflow {mlflow.__version__} -> {DATA}")


if __name__ == "__main__":
    main()
