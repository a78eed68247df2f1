"""Engines over an existing MLflow database: nothing is created, migrated or re-configured.

Unlike tuitrack's own SQLite store, the journal mode is left as MLflow set it (switching to
WAL would change the user's file), and a missing SQLite file is an error, not a new database.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, event

from tuitrack.errors import InvalidValueError, StoreUnavailableError
from tuitrack_sqlkit.engines import SERVER_POOL_OPTIONS, create_store_engine, parse_url
from tuitrack_sqlkit.sqlite_functions import install_unicode_lower
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


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.close()
        install_unicode_lower(dbapi_connection)


def open_engine(store_uri: str) -> Engine:
    """An engine on the MLflow database of `store_uri`.

    Raises InvalidValueError for a malformed URI, StoreUnavailableError when the SQLite file
    does not exist or the driver is missing.
    """
    url = parse_url(store_uri, database_url(store_uri))
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or not os.path.isfile(database):
            raise StoreUnavailableError(
                f"no MLflow database file at {database or '(empty path)'!r} (from {store_uri!r})"
            )
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs.update(SERVER_POOL_OPTIONS)
    engine = create_store_engine(store_uri, url, kwargs)
    if url.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine)
    return engine
