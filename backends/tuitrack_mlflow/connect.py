"""Engines over an existing MLflow database: nothing is created, migrated or re-configured.

Unlike tuitrack's own SQLite store, the journal mode is left as MLflow set it (switching to
WAL would change the user's file), and a missing SQLite file is an error, not a new database.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine

from tuitrack.errors import InvalidValueError, StoreUnavailableError
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.engines import SqliteSetup, open_store_engine, parse_url
from tuitrack_sqlkit.urls import sqlalchemy_url

PREFIX = "mlflow+"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(store_uri: str) -> str:
    """`mlflow+sqlite:///x.db` -> the SQLAlchemy URL of the database itself."""
    if not store_uri.lower().startswith(PREFIX):
        raise InvalidValueError(
            f"MLflow database URI {store_uri!r} must start with {PREFIX!r} "
            "(e.g. mlflow+sqlite:///mlflow.db, mlflow+postgresql://host/db)"
        )
    return sqlalchemy_url(store_uri[len(PREFIX) :])


def open_engine(store_uri: str) -> Engine:
    """An engine on the MLflow database of `store_uri`.

    Raises InvalidValueError for a malformed URI, StoreUnavailableError when the SQLite file
    does not exist or the driver is missing.
    """
    url = parse_url(store_uri, database_url(store_uri))
    if SqlDialect.of(url).is_sqlite:
        database = url.database or ""
        if database in ("", ":memory:") or not os.path.isfile(database):
            raise StoreUnavailableError(
                f"no MLflow database file at {database or '(empty path)'!r} (from {store_uri!r})"
            )
    return open_store_engine(store_uri, url, SqliteSetup(SQLITE_BUSY_TIMEOUT_MS))
