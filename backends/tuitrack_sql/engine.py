"""Engines and transactions: SQLite pragmas, write locks, and database errors mapped to
tuitrack's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    SQLAlchemyError,
)
from sqlalchemy.pool import NullPool, StaticPool

from tuitrack.errors import InvalidValueError, ReadOnlyError, StoreUnavailableError, TuitrackError
from tuitrack_sql import sqlite_file

# Plain dialect names choose the drivers tuitrack ships extras for.
_DRIVER_DEFAULTS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CHECKPOINT_PAGES = 10_000
_WRITE_OPTION = "tuitrack_write"
# Set on an engine opened read-only: why it takes no writes (write_transaction says it).
_READ_ONLY_OPTION = "tuitrack_read_only"


def sqlalchemy_url(store_uri: str) -> str:
    scheme, sep, rest = store_uri.partition("://")
    if not sep:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not a database URL")
    return f"{_DRIVER_DEFAULTS.get(scheme.lower(), scheme)}://{rest}"


def _lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


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
        # SQLite's own lower() folds ASCII only; ILIKE must fold any letter, as in Python.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


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
    exist; one that cannot be written here is opened read-only (see `read_only_reason`).
    Raises StoreUnavailableError naming the path and the fix when neither can be done.
    """
    try:
        url = make_url(sqlalchemy_url(store_uri))
    except ArgumentError as error:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not valid: {error}") from None
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
                kwargs["execution_options"] = {_READ_ONLY_OPTION: read_only}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_recycle"] = 3600
        if url.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
        else:
            kwargs["connect_args"] = {"connect_timeout": 10, "charset": "utf8mb4"}
            # As on PostgreSQL, each statement sees what other writers committed before it
            # began: the write path looks up a series' last chunk after waiting for locks.
            kwargs["isolation_level"] = "READ COMMITTED"
    if os.environ.get("TUITRACK_SQL_NULLPOOL"):
        kwargs["poolclass"] = NullPool
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as error:
        raise StoreUnavailableError(
            f"cannot open {store_uri!r}: {error} (is the database driver installed? "
            "pip install 'tuitrack[postgres]' or 'tuitrack[mysql]')"
        ) from None
    if url.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine, read_only is not None, set_wal=create)
    return engine


def read_only_reason(engine: Engine) -> str | None:
    """Why `engine` was opened read-only, or None when it takes writes."""
    reason = engine.get_execution_options().get(_READ_ONLY_OPTION)
    return reason if isinstance(reason, str) else None


def driver_mark(connection: Connection) -> str:
    """The driver's placeholder, for SQL sent to it directly: sqlite3's `?`, or the `%s`
    of psycopg and PyMySQL."""
    return "?" if connection.dialect.name == "sqlite" else "%s"


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


# Concurrent writers that lock rows in different orders: the database rolled one
# transaction back, and running it again is the documented remedy.
_CONFLICT_ERROR_CODES = {1205, 1213}  # MySQL/MariaDB: lock wait timeout, deadlock
_CONFLICT_SQLSTATES = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock


def is_write_conflict(error: BaseException) -> bool:
    """True for a deadlock or lock timeout between writers, as mapped by mapped_errors."""
    cause = error.__cause__ if isinstance(error, StoreUnavailableError) else error
    original = getattr(cause, "orig", None)
    if original is None:
        return False
    args = getattr(original, "args", ())
    code = args[0] if args else None
    return code in _CONFLICT_ERROR_CODES or getattr(original, "sqlstate", None) in (
        _CONFLICT_SQLSTATES
    )


# MySQL/MariaDB: out of range, wrong value for the column, value too long.
_REFUSED_VALUE_CODES = {1264, 1292, 1366, 1406}


def refuses_value(driver_error: BaseException) -> bool:
    """The database refused a value it was given (a bug upstream of it: values are
    validated first), as opposed to failing to answer. Takes the driver's own error."""
    sqlstate = getattr(driver_error, "sqlstate", None)  # psycopg
    if isinstance(sqlstate, str) and sqlstate.startswith("22"):  # class 22, data exceptions
        return True
    args: tuple[object, ...] = getattr(driver_error, "args", ())
    return bool(args) and args[0] in _REFUSED_VALUE_CODES


def _refuses_value(error: DBAPIError) -> bool:
    if isinstance(error, DataError):  # PostgreSQL's SQLSTATE class 22, data exceptions
        return True
    return error.orig is not None and refuses_value(error.orig)


@contextmanager
def mapped_errors(engine: Engine) -> Iterator[None]:
    """Turn database driver errors into StoreUnavailableError, or InvalidValueError when the
    database refused a value; let tuitrack errors through."""
    try:
        yield
    except TuitrackError:
        raise
    except IntegrityError:
        raise
    except OverflowError as error:  # sqlite3: an integer beyond 64 bits
        raise InvalidValueError(f"database {describe(engine)} refused a value: {error}") from None
    except DBAPIError as error:
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        if _refuses_value(error):
            raise InvalidValueError(
                f"database {describe(engine)} refused a value: {detail}"
            ) from error
        raise StoreUnavailableError(f"database {describe(engine)} failed: {detail}") from error
    except SQLAlchemyError as error:
        raise StoreUnavailableError(f"database {describe(engine)} failed: {error}") from error


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One atomic write; on SQLite it takes the write lock up front. Raises ReadOnlyError
    on an engine opened read-only."""
    read_only = read_only_reason(engine)
    if read_only is not None:
        raise ReadOnlyError(read_only)
    with mapped_errors(engine), engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reads that take several queries."""
    with mapped_errors(engine), engine.connect() as connection, connection.begin():
        yield connection
