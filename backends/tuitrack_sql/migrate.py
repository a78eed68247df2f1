"""Create or upgrade the schema with alembic, safely when several processes open a new
database at once: the upgrade runs under a database-wide lock and re-reads the version.
On MySQL/MariaDB, where DDL cannot be rolled back, an upgrade killed midway is completed
by the next one (see migrations/steps.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, inspect, text

from tuitrack.core.notices import notice
from tuitrack.errors import StoreUnavailableError
from tuitrack_sql.engine import make_engine
from tuitrack_sqlkit.db_errors import mapped_errors
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.transactions import read_only_reason, write_transaction
from tuitrack_sqlkit.urls import describe

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
HEAD_REVISION = "0008"
_KNOWN_REVISIONS = {f"{number:04d}" for number in range(1, int(HEAD_REVISION) + 1)}
_LOCK_SECONDS = 120
_PG_LOCK_KEY = 0x7475_6974  # any constant shared by every tuitrack process


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    dialect = SqlDialect.of(engine)
    if dialect.is_sqlite:
        with write_transaction(engine) as connection:
            yield connection
    elif dialect.is_postgresql:
        with mapped_errors(engine), engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield connection
    else:  # MySQL/MariaDB: DDL commits implicitly, so use a named session lock instead
        with mapped_errors(engine), engine.connect() as connection:
            # Lock names are server-wide: one per database (at most 64 characters).
            name = "CONCAT('tuitrack_schema:', SHA1(DATABASE()))"
            locked = connection.execute(
                text(f"SELECT GET_LOCK({name}, :seconds)"), {"seconds": _LOCK_SECONDS}
            ).scalar()
            if locked != 1:
                raise StoreUnavailableError(
                    f"another process has been upgrading the schema of {describe(engine)} "
                    f"for over {_LOCK_SECONDS} s; try again when it is done"
                )
            try:
                yield connection
                connection.commit()
            finally:
                connection.execute(text(f"SELECT RELEASE_LOCK({name})"))


def _run_alembic_upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _refusal(engine: Engine, revision: str | None, create: bool) -> str | None:
    """Why the schema at `revision` is not brought to the head here, or None to do it."""
    shown = describe(engine)
    read_only = read_only_reason(engine)
    if revision is None and not create:
        return (
            f"{shown} has no tuitrack tables (an empty or another program's database); "
            f"create them by logging a run to it or with `tuitrack db upgrade {shown}`"
        )
    if revision is not None and revision not in _KNOWN_REVISIONS:
        return (
            f"{shown} has schema revision {revision!r}, which this tuitrack does not know "
            f"(its newest is {HEAD_REVISION}): a newer tuitrack's store, or another "
            "program's database"
        )
    if read_only is None:
        return None
    if revision is None:
        return f"cannot create the tuitrack tables: {read_only}"
    return (
        f"{shown} has schema revision {revision}, older than this tuitrack's "
        f"{HEAD_REVISION}, and {read_only}; upgrade it where it can be written with "
        f"`tuitrack db upgrade {shown}`"
    )


def ensure_schema(engine: Engine, *, create: bool = True) -> None:
    """Bring the database to the head revision, creating the tables when there are none
    if `create`. A read-only engine is only checked: StoreUnavailableError unless its
    schema is current (and for a database without tables when not `create`)."""
    with mapped_errors(engine), engine.connect() as connection:
        revision = current_revision(connection)
    if revision == HEAD_REVISION:
        return
    refusal = _refusal(engine, revision, create)
    if refusal is not None:
        raise StoreUnavailableError(refusal)
    with _schema_lock(engine) as connection:
        revision = current_revision(connection)
        if revision != HEAD_REVISION:
            if revision is not None:  # an existing store: copying its points takes a while
                notice(
                    f"upgrading the database schema of {describe(engine)} from revision "
                    f"{revision} to {HEAD_REVISION}; a store of many points takes minutes"
                )
            _run_alembic_upgrade(connection)


def upgrade(store_uri: str) -> tuple[str | None, str]:
    """Upgrade the database at `store_uri`; return (revision before, revision after)."""
    engine = make_engine(store_uri)
    try:
        with mapped_errors(engine), engine.connect() as connection:
            before = current_revision(connection)
        ensure_schema(engine)
        return before, HEAD_REVISION
    finally:
        engine.dispose()
