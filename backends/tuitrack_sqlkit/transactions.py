"""Read and write transactions with database errors mapped to tuitrack's own.

A write transaction marks its connection with WRITE_OPTION (an engine's SQLite hook may
take the write lock up front for it); an engine whose execution options hold
READ_ONLY_OPTION takes no writes, and the option's value says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from tuitrack.errors import ReadOnlyError
from tuitrack_sqlkit.db_errors import mapped_errors

WRITE_OPTION = "tuitrack_write"
READ_ONLY_OPTION = "tuitrack_read_only"


def read_only_reason(engine: Engine) -> str | None:
    """Why `engine` was opened read-only, or None when it takes writes."""
    reason = engine.get_execution_options().get(READ_ONLY_OPTION)
    return reason if isinstance(reason, str) else None


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One atomic write; on SQLite it takes the write lock up front. Raises ReadOnlyError
    on an engine opened read-only."""
    read_only = read_only_reason(engine)
    if read_only is not None:
        raise ReadOnlyError(read_only)
    with mapped_errors(engine), engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reads that take several queries."""
    with mapped_errors(engine), engine.connect() as connection, connection.begin():
        yield connection
