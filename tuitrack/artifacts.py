"""MLflow's `mlflow.artifacts` names: `tuitrack.artifacts.load_dict(uri)`, as
`mlflow.artifacts.load_dict(uri)`. They live in tuitrack.sdk.artifact_uris; this module only
re-exports them, so that loading it again as `mlflow.artifacts` (the `sys.modules["mlflow"]
= tuitrack` swap) gives the very same functions."""

from __future__ import annotations

from tuitrack.sdk.artifact_uris import (
    download_artifacts,
    list_artifacts,
    load_dict,
    load_image,
    load_text,
)

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]
