"""Engines over an existing MLflow database: nothing is created, migrated or re-configured.

Unlike tuitrack's own SQLite store, the journal mode is left as MLflow set it (switching to
WAL would change the user's file), and a missing SQLite file is an error, not a new database.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tuitrack.errors import InvalidValueError, StoreUnavailableError
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
    try:
        url = make_url(database_url(store_uri))
    except ArgumentError as error:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not valid: {error}") from None
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or not os.path.isfile(database):
            raise StoreUnavailableError(
                f"no MLflow database file at {database or '(empty path)'!r} (from {store_uri!r})"
            )
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_recycle"] = 3600
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as error:
        raise StoreUnavailableError(
            f"cannot open {store_uri!r}: {error} (is the database driver installed? "
            "pip install 'tuitrack[postgres]' or 'tuitrack[mysql]')"
        ) from None
    if url.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine)
    return engine
