"""Engines of tuitrack's own store, through the SQL toolkit's factory: what differs is the
SQLite file (created when missing, opened read-only when it cannot be written), its pragmas
and write locks, and READ COMMITTED on MySQL/MariaDB."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool, StaticPool

from tuitrack_sql import sqlite_file
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.engines import SqliteSetup, open_store_engine, parse_url
from tuitrack_sqlkit.transactions import READ_ONLY_OPTION
from tuitrack_sqlkit.urls import sqlalchemy_url

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CHECKPOINT_PAGES = 10_000
_SQLITE_PRAGMAS = (
    "synchronous = NORMAL",
    # Checkpoints (the only fsyncs in WAL mode with synchronous=NORMAL) every ~40 MB of log
    # instead of SQLite's 4 MB: logging 100k points then stalls on one, not three.
    f"wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}",
    "foreign_keys = ON",
)


def _sqlite_setup(read_only: bool, set_wal: bool) -> SqliteSetup:
    """WAL is set only by engines that may create the store (it persists in the file): one
    that browses leaves a file it does not know unchanged, and a read-only one must."""
    first = ("query_only = ON",) if read_only else ("journal_mode = WAL",) if set_wal else ()
    return SqliteSetup(SQLITE_BUSY_TIMEOUT_MS, (*first, *_SQLITE_PRAGMAS), begins_transactions=True)


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
        options = {
            "creator": sqlite_file.read_only_connector(database, timeout_s),
            "execution_options": {READ_ONLY_OPTION: read_only},
        }
        return options, read_only
    return {"connect_args": {"timeout": timeout_s}}, None


def _sqlite_options(url: URL, create: bool) -> tuple[dict[str, Any], str | None]:
    """Engine arguments for a SQLite URL, and why it is read-only (or None)."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return {"poolclass": StaticPool}, None
    if url.query.get("uri"):  # SQLite's own URI form: its options are the caller's
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}, None
    return _sqlite_file_options(database, create)


def make_engine(store_uri: str, *, create: bool = True) -> Engine:
    """An engine for `store_uri`.

    A SQLite file is created (with its folder) when missing if `create`, else it must
    exist; one that cannot be written here is opened read-only (see
    `tuitrack_sqlkit.transactions.read_only_reason`).
    Raises StoreUnavailableError naming the path and the fix when neither can be done.
    """
    url = parse_url(store_uri, sqlalchemy_url(store_uri))
    dialect = SqlDialect.of(url)
    options: dict[str, Any] = {}
    read_only: str | None = None
    if dialect.is_sqlite:
        options, read_only = _sqlite_options(url, create)
    elif dialect.is_mysql:
        # As on PostgreSQL, each statement sees what other writers committed before it
        # began: the write path looks up a series' last chunk after waiting for locks.
        options["isolation_level"] = "READ COMMITTED"
    if os.environ.get("TUITRACK_SQL_NULLPOOL"):
        options["poolclass"] = NullPool
    set_wal = create and url.database not in (None, "", ":memory:")
    return open_store_engine(store_uri, url, _sqlite_setup(read_only is not None, set_wal), options)
