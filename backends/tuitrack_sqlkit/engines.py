"""The one engine factory of the SQL backends: parse the URL, pool server connections, set up
every new SQLite connection, and name a missing driver. A backend passes what differs: its
SQLite pragmas and busy timeout, whether it begins SQLite transactions itself, and any
engine options of its own (pool class, isolation level, SQLite file arguments)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tuitrack.errors import InvalidValueError, StoreUnavailableError
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.sqlite_functions import install_unicode_lower
from tuitrack_sqlkit.transactions import WRITE_OPTION

# Database servers: test a pooled connection before use, replace it after an hour (servers
# and proxies drop idle ones).
SERVER_POOL_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 3600}
SERVER_CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class SqliteSetup:
    """How each new SQLite connection of an engine is set up: the busy timeout, then
    `pragmas` (each `name = value`) in order, then the LIKE and lower() of tuitrack's filter
    language (case-sensitive LIKE, lower() folding any letter)."""

    busy_timeout_ms: int
    pragmas: tuple[str, ...] = ()
    # tuitrack issues BEGIN itself, BEGIN IMMEDIATE for a write transaction (see
    # transactions.WRITE_OPTION): concurrent writers then queue on the write lock instead of
    # failing with 'database is locked' when upgrading a read lock.
    begins_transactions: bool = False


def parse_url(store_uri: str, url_text: str) -> URL:
    """`url_text`, the SQLAlchemy URL of `store_uri`, parsed; InvalidValueError naming
    `store_uri` when it is malformed."""
    try:
        return make_url(url_text)
    except ArgumentError as error:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not valid: {error}") from None


def open_store_engine(
    store_uri: str, url: URL, sqlite: SqliteSetup, options: dict[str, Any] | None = None
) -> Engine:
    """An engine on `url` (parsed from `store_uri`) with the backend's own `options`: a
    SQLite one sets up each new connection as `sqlite` says; a server one gets the pool
    settings, connect timeout and character set every store uses. Raises
    StoreUnavailableError naming the extra to install when the driver is missing."""
    dialect = SqlDialect.of(url)
    options = dict(options or {})
    if dialect.is_sqlite:
        defaults: dict[str, Any] = {"check_same_thread": False}
    else:
        options = {**SERVER_POOL_OPTIONS, **options}
        defaults = {"connect_timeout": SERVER_CONNECT_TIMEOUT_S}
        if dialect.is_mysql:
            defaults["charset"] = "utf8mb4"
    options["connect_args"] = {**defaults, **options.get("connect_args", {})}
    try:
        engine = create_engine(url, **options)
    except (ArgumentError, ImportError) as error:
        raise StoreUnavailableError(
            f"cannot open {store_uri!r}: {error} (is the database driver installed? "
            "pip install 'tuitrack[postgres]' or 'tuitrack[mysql]')"
        ) from None
    if dialect.is_sqlite:
        _install_sqlite_setup(engine, sqlite)
    return engine


def _install_sqlite_setup(engine: Engine, setup: SqliteSetup) -> None:
    pragmas = (
        f"busy_timeout = {setup.busy_timeout_ms}",
        *setup.pragmas,
        "case_sensitive_like = ON",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if setup.begins_transactions:
            dbapi_connection.isolation_level = None  # BEGIN is issued by _on_begin
        for pragma in pragmas:
            dbapi_connection.execute(f"PRAGMA {pragma}")
        install_unicode_lower(dbapi_connection)

    if setup.begins_transactions:
        sqlite = SqlDialect.of("sqlite")

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            write = bool(connection.get_execution_options().get(WRITE_OPTION))
            connection.exec_driver_sql(sqlite.begin_statement(write=write))
