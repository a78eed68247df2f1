"""Engines of tuitrack's own store: SQLite pragmas and write locks, server pool settings.
Transactions and error mapping are the SQL toolkit's (tuitrack_sqlkit)."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import NullPool, StaticPool

from tuitrack_sql import sqlite_file
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.engines import SERVER_POOL_OPTIONS, create_store_engine, parse_url
from tuitrack_sqlkit.sqlite_functions import install_unicode_lower
from tuitrack_sqlkit.transactions import READ_ONLY_OPTION, WRITE_OPTION
from tuitrack_sqlkit.urls import sqlalchemy_url

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CHECKPOINT_PAGES = 10_000
SQLITE = SqlDialect.of("sqlite")


def _install_sqlite_hooks(engine: Engine, read_only: bool, set_wal: bool) -> None:
    """WAL, busy timeout, foreign keys; BEGIN IMMEDIATE for writes so concurrent writers
    queue on the lock instead of failing with 'database is locked' on upgrade.

    WAL is set only by engines that may create the store (it persists in the file): one
    that browses leaves a file it does not know unchanged, and a read-only one must.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        elif set_wal and engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Checkpoints (the only fsyncs in WAL mode with synchronous=NORMAL) every ~40 MB
        # of log instead of SQLite's 4 MB: logging 100k points then stalls on one, not three.
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.close()
        install_unicode_lower(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = bool(connection.get_execution_options().get(WRITE_OPTION))
        connection.exec_driver_sql(SQLITE.begin_statement(write=write))


def _sqlite_file_options(database: str, create: bool) -> tuple[dict[str, Any], str | None]:
    """Engine arguments for the SQLite file `database`, and why it is read-only (or None).

    With `create`, the file's folder is made when missing; without, the file must exist.
    """
    if create:
        sqlite_file.check_can_create(database)
    else:
        sqlite_file.check_exists(database)
    timeout_s = SQLITE_BUSY_TIMEOUT_MS / 1000
    read_only = sqlite_file.read_only_reason(database) if os.path.exists(database) else None
    if read_only is not None:
        return {"creator": sqlite_file.read_only_connector(database, timeout_s)}, read_only
    return {"connect_args": {"timeout": timeout_s, "check_same_thread": False}}, None


def make_engine(store_uri: str, *, create: bool = True) -> Engine:
    """An engine for `store_uri`.

    A SQLite file is created (with its folder) when missing if `create`, else it must
    exist; one that cannot be written here is opened read-only (see
    `tuitrack_sqlkit.transactions.read_only_reason`).
    Raises StoreUnavailableError naming the path and the fix when neither can be done.
    """
    url = parse_url(store_uri, sqlalchemy_url(store_uri))
    kwargs: dict[str, Any] = {}
    read_only: str | None = None
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        elif url.query.get("uri"):  # SQLite's own URI form: its options are the caller's
            kwargs["connect_args"] = {
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
            }
        else:
            options, read_only = _sqlite_file_options(database, create)
            kwargs.update(options)
            if read_only is not None:
                kwargs["execution_options"] = {READ_ONLY_OPTION: read_only}
    else:
        kwargs.update(SERVER_POOL_OPTIONS)
        if url.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
        else:
            kwargs["connect_args"] = {"connect_timeout": 10, "charset": "utf8mb4"}
            # As on PostgreSQL, each statement sees what other writers committed before it
            # began: the write path looks up a series' last chunk after waiting for locks.
            kwargs["isolation_level"] = "READ COMMITTED"
    if os.environ.get("TUITRACK_SQL_NULLPOOL"):
        kwargs["poolclass"] = NullPool
    engine = create_store_engine(store_uri, url, kwargs)
    if url.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine, read_only is not None, set_wal=create)
    return engine
