"""Where tuitrack keeps its data by default, and the environment variables that move it."""

from __future__ import annotations

import os
from pathlib import Path

TRACKING_URI_ENV = "TUITRACK_TRACKING_URI"
MLFLOW_TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"  # MLflow's name, honoured when ours is unset
ARTIFACT_URI_ENV = "TUITRACK_ARTIFACT_URI"


def data_dir() -> Path:
    """`$XDG_DATA_HOME/tuitrack`, falling back to `~/.local/share/tuitrack`."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "tuitrack"


def default_database_path() -> Path:
    """The SQLite file of the default store, used when no tracking URI is set."""
    return data_dir() / "tuitrack.db"


def tracking_uri_from_environment() -> str | None:
    """TUITRACK_TRACKING_URI, else MLFLOW_TRACKING_URI, else None."""
    return os.environ.get(TRACKING_URI_ENV) or os.environ.get(MLFLOW_TRACKING_URI_ENV) or None


def default_tracking_uri() -> str:
    return tracking_uri_from_environment() or f"sqlite:///{default_database_path()}"


def default_artifact_uri() -> str:
    return os.environ.get(ARTIFACT_URI_ENV) or str(data_dir() / "artifacts")
