"""MLflow's `mlflow.exceptions` names: MlflowException is tuitrack's base error, so an
`except MlflowException` written for MLflow catches every error tuitrack raises."""

from __future__ import annotations

from tuitrack.errors import TuitrackError

MlflowException = TuitrackError

__all__ = ["MlflowException"]
