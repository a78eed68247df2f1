"""tuitrack's entities under MLflow's module name (`from tuitrack.entities import Metric`, as
`from mlflow.entities import Metric`). The classes live in tuitrack.core.entities; this module
only re-exports them, so that loading it again under another name (the `sys.modules["mlflow"]
= tuitrack` swap makes `mlflow.entities` a second copy of it) gives the very same classes."""

from __future__ import annotations

from tuitrack.core.datasets import Dataset, DatasetInput, InputTag, RunInputs
from tuitrack.core.entities import (
    Experiment,
    ExperimentTag,
    FileInfo,
    LifecycleStage,
    Metric,
    MetricSummary,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    SourceType,
    TagSummary,
    ViewType,
)

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "Metric",
    "MetricSummary",
    "PagedList",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "TagSummary",
    "ViewType",
]
