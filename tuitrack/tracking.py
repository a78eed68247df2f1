"""MLflow's `mlflow.tracking` names: `from tuitrack.tracking import MlflowClient`."""

from __future__ import annotations

from tuitrack.sdk.client import MlflowClient

__all__ = ["MlflowClient"]
