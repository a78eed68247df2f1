"""tuitrack: a terminal-first experiment tracker for machine learning.

Names are loaded on first use (PEP 562), so `import tuitrack` costs almost nothing and a
training script pays for pydantic and the store only when it starts a run.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

    from tuitrack.core.metric_history import MetricHistory
    from tuitrack.entities import (
        Experiment,
        FileInfo,
        LifecycleStage,
        Metric,
        PagedList,
        Param,
        Run,
        RunData,
        RunInfo,
        RunStatus,
        RunTag,
        ViewType,
    )
    from tuitrack.errors import (
        AlreadyExistsError,
        FilterSyntaxError,
        InvalidValueError,
        NotFoundError,
        ParamConflictError,
        ReadOnlyError,
        StoreUnavailableError,
        TuitrackError,
        UnknownSchemeError,
    )
    from tuitrack.exceptions import MlflowException
    from tuitrack.sdk.client import MlflowClient, TrackingClient
    from tuitrack.sdk.fluent import (
        ActiveRun,
        active_run,
        create_experiment,
        delete_experiment,
        delete_experiment_tag,
        delete_run,
        delete_tag,
        end_run,
        flush,
        flush_artifact_async_logging,
        flush_async_logging,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_parent_run,
        get_registry_uri,
        get_run,
        get_tracking_uri,
        is_tracking_uri_set,
        last_active_run,
        load_table,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_inputs,
        log_metric,
        log_metrics,
        log_outputs,
        log_param,
        log_params,
        log_table,
        log_text,
        search_experiments,
        search_runs,
        set_artifact_uri,
        set_experiment,
        set_experiment_tag,
        set_experiment_tags,
        set_registry_uri,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "TrackingClient": "tuitrack.sdk.client",
    "MlflowClient": "tuitrack.sdk.client",
    "MlflowException": "tuitrack.exceptions",
    "MetricHistory": "tuitrack.core.metric_history",
    "Experiment": "tuitrack.entities",
    "FileInfo": "tuitrack.entities",
    "LifecycleStage": "tuitrack.entities",
    "Metric": "tuitrack.entities",
    "PagedList": "tuitrack.entities",
    "Param": "tuitrack.entities",
    "Run": "tuitrack.entities",
    "RunData": "tuitrack.entities",
    "RunInfo": "tuitrack.entities",
    "RunStatus": "tuitrack.entities",
    "RunTag": "tuitrack.entities",
    "ViewType": "tuitrack.entities",
    "AlreadyExistsError": "tuitrack.errors",
    "FilterSyntaxError": "tuitrack.errors",
    "InvalidValueError": "tuitrack.errors",
    "NotFoundError": "tuitrack.errors",
    "ParamConflictError": "tuitrack.errors",
    "ReadOnlyError": "tuitrack.errors",
    "StoreUnavailableError": "tuitrack.errors",
    "TuitrackError": "tuitrack.errors",
    "UnknownSchemeError": "tuitrack.errors",
    "ActiveRun": "tuitrack.sdk.fluent",
    "active_run": "tuitrack.sdk.fluent",
    "create_experiment": "tuitrack.sdk.fluent",
    "delete_experiment": "tuitrack.sdk.fluent",
    "delete_experiment_tag": "tuitrack.sdk.fluent",
    "delete_run": "tuitrack.sdk.fluent",
    "delete_tag": "tuitrack.sdk.fluent",
    "log_input": "tuitrack.sdk.fluent",
    "log_inputs": "tuitrack.sdk.fluent",
    "end_run": "tuitrack.sdk.fluent",
    "flush": "tuitrack.sdk.fluent",
    "is_tracking_uri_set": "tuitrack.sdk.fluent",
    "get_parent_run": "tuitrack.sdk.fluent",
    "get_registry_uri": "tuitrack.sdk.fluent",
    "flush_artifact_async_logging": "tuitrack.sdk.fluent",
    "flush_async_logging": "tuitrack.sdk.fluent",
    "log_outputs": "tuitrack.sdk.fluent",
    "get_artifact_uri": "tuitrack.sdk.fluent",
    "get_experiment": "tuitrack.sdk.fluent",
    "get_experiment_by_name": "tuitrack.sdk.fluent",
    "get_run": "tuitrack.sdk.fluent",
    "get_tracking_uri": "tuitrack.sdk.fluent",
    "last_active_run": "tuitrack.sdk.fluent",
    "load_table": "tuitrack.sdk.fluent",
    "log_artifact": "tuitrack.sdk.fluent",
    "log_artifacts": "tuitrack.sdk.fluent",
    "log_dict": "tuitrack.sdk.fluent",
    "log_figure": "tuitrack.sdk.fluent",
    "log_image": "tuitrack.sdk.fluent",
    "log_metric": "tuitrack.sdk.fluent",
    "log_metrics": "tuitrack.sdk.fluent",
    "log_param": "tuitrack.sdk.fluent",
    "log_params": "tuitrack.sdk.fluent",
    "log_table": "tuitrack.sdk.fluent",
    "log_text": "tuitrack.sdk.fluent",
    "search_experiments": "tuitrack.sdk.fluent",
    "search_runs": "tuitrack.sdk.fluent",
    "set_artifact_uri": "tuitrack.sdk.fluent",
    "set_experiment": "tuitrack.sdk.fluent",
    "set_experiment_tag": "tuitrack.sdk.fluent",
    "set_experiment_tags": "tuitrack.sdk.fluent",
    "set_registry_uri": "tuitrack.sdk.fluent",
    "set_tag": "tuitrack.sdk.fluent",
    "set_tags": "tuitrack.sdk.fluent",
    "set_tracking_uri": "tuitrack.sdk.fluent",
    "start_run": "tuitrack.sdk.fluent",
}


# Submodules reachable as attributes without importing them first (`tuitrack.entities.Metric`
# after a bare `import tuitrack`), as MLflow's are.
_SUBMODULES = frozenset({"artifacts", "data", "entities", "errors", "exceptions", "tracking"})


# MLflow's model flavors (`mlflow.sklearn`, ...) and autologging/model functions resolve to
# stand-ins that raise UnsupportedFeatureError, naming what is unsupported (see
# tuitrack.sdk.unsupported, imported only when one is asked for).
_PACKAGE = sys.modules[__name__]
_STAND_INS = "tuitrack.sdk.unsupported"


class _StandInFinder:
    """Finds the stand-in for `import mlflow.sklearn` (mlflow being tuitrack) and for the
    submodules of a stand-in, after every other finder found nothing."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        parent = sys.modules.get(fullname.rpartition(".")[0])
        if parent is not _PACKAGE and type(parent).__module__ != _STAND_INS:
            return None
        spec: ModuleSpec | None = importlib.import_module(_STAND_INS).stand_in_spec(
            fullname, parent, _PACKAGE
        )
        return spec


if not any(type(finder).__name__ == "_StandInFinder" for finder in sys.meta_path):
    sys.meta_path.append(_StandInFinder())


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"tuitrack.{name}")
    module = _LAZY.get(name)
    if module is None:
        if not name.startswith("_"):
            stand_in = importlib.import_module(_STAND_INS).stand_in(name)
            if stand_in is not None:
                return stand_in
        raise AttributeError(f"module 'tuitrack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ActiveRun",
    "AlreadyExistsError",
    "Experiment",
    "FileInfo",
    "FilterSyntaxError",
    "InvalidValueError",
    "LifecycleStage",
    "Metric",
    "MetricHistory",
    "MlflowClient",
    "MlflowException",
    "NotFoundError",
    "PagedList",
    "Param",
    "ParamConflictError",
    "ReadOnlyError",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "StoreUnavailableError",
    "TrackingClient",
    "TuitrackError",
    "UnknownSchemeError",
    "ViewType",
    "__version__",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
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
    "set_artifact_uri",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
