"""Recognise MLflow data behind a URI that names no backend: a plain `sqlite:///` database
that holds MLflow's tables opens with the MLflow backend, not tuitrack's own store (which
would otherwise add its schema to MLflow's file).

Registered in the entry-point group `tuitrack.store_detectors`; imports nothing heavier
than the standard library's sqlite3, and only opens a file that exists, read-only.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

_SQLITE_PREFIX = "sqlite:///"
# Tables and columns every MLflow tracking schema has and tuitrack's own schema lacks.
_MLFLOW_MARKERS = {"runs": "source_type", "metrics": "is_nan", "experiments": "experiment_id"}


def sqlite_path(uri: str) -> str | None:
    """The file a `sqlite:///` URI names, or None for another URI or an in-memory database."""
    if not uri.lower().startswith(_SQLITE_PREFIX):
        return None
    path = urllib.parse.unquote(uri[len(_SQLITE_PREFIX) :].split("?", 1)[0])
    return None if path in ("", ":memory:") else path


def is_mlflow_database(path: str) -> bool:
    """Whether the SQLite file at `path` has MLflow's tracking tables."""
    if not os.path.isfile(path):
        return False
    try:
        location = urllib.parse.quote(os.path.abspath(path))
        connection = sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        for table, column in _MLFLOW_MARKERS.items():
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                return False
        return True
    except sqlite3.Error:
        return False  # not a database, or locked: let the default backend report it
    finally:
        connection.close()


def detect_tracking_uri(uri: str) -> str | None:
    """`mlflow+sqlite:///...` when `uri` is a SQLite database written by MLflow, else None."""
    path = sqlite_path(uri)
    if path is None or not is_mlflow_database(path):
        return None
    return "mlflow+" + uri
