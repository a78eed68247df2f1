"""tuitrack: a terminal-first experiment tracker for machine learning."""

from __future__ import annotations

from tuitrack.client import TrackingClient
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

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "Experiment",
    "FileInfo",
    "FilterSyntaxError",
    "InvalidValueError",
    "LifecycleStage",
    "Metric",
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
]
