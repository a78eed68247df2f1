"""SQL sent to the database driver itself, past SQLAlchemy's per-statement and per-row cost:
the one place that writes the driver's placeholders and opens DB-API cursors.

A template is written once for every database: `?` for each parameter (`marks(n)` for a
list of them) and `{name}` for an identifier to quote (columns named by keywords, such as
key and count). Only parameters are data: tables and columns are the caller's own names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, CursorResult, Table

from tuitrack_sqlkit.db_errors import mapped_driver_errors
from tuitrack_sqlkit.dialects import SqlDialect

Row = tuple[Any, ...]

# Terms per UNION ALL statement of first_rows on database servers (one round trip each).
SERVER_BATCH = 100
# Rows per fetch of a streamed read.
STREAM_ROWS = 4


def marks(count: int) -> str:
    """`count` parameter marks, for an IN list or a VALUES row of a template."""
    return ", ".join("?" * count)


def insert_template(table: str, columns: Sequence[str]) -> str:
    """INSERT INTO `table` of one row of `columns`, as a template."""
    names = ", ".join(f"{{{column}}}" for column in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks(len(columns))})"


class _Quoted(dict[str, str]):
    """Every `{name}` of a template, quoted for one dialect."""

    def __init__(self, dialect: SqlDialect) -> None:
        super().__init__()
        self._dialect = dialect

    def __missing__(self, name: str) -> str:
        return self._dialect.quote(name)


@lru_cache(maxsize=1024)
def driver_text(dialect: SqlDialect, template: str) -> str:
    """`template` as the driver of `dialect` takes it."""
    return template.format_map(_Quoted(dialect)).replace("?", dialect.placeholder)


class DriverSql:
    """Templates run by the driver of one connection, inside its current transaction.

    Writes (execute, executemany, insert_rows) go through SQLAlchemy's connection, which
    wraps driver errors as the write transaction maps them; reads of many rows or many small
    statements (rows, stream, first_rows) use DB-API cursors, their errors mapped here.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.dialect = SqlDialect.of(connection)
        self._cursor: Any = None  # for first_rows, opened on first use

    def __enter__(self) -> DriverSql:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the cursor this object opened, if any."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def text(self, template: str) -> str:
        """`template` as this connection's driver takes it."""
        return driver_text(self.dialect, template)

    # --- through SQLAlchemy's connection ------------------------------------------------------

    def execute(self, template: str, params: Sequence[Any] = ()) -> CursorResult[*tuple[Any, ...]]:
        """Run `template` once."""
        return self._connection.exec_driver_sql(self.text(template), tuple(params))

    def executemany(self, template: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run `template` once per row of parameters, by the driver's executemany."""
        if rows:
            self._connection.exec_driver_sql(self.text(template), list(rows))

    def insert_rows(self, table: Table, columns: Sequence[str], rows: Iterable[Row]) -> None:
        """Insert `rows` (tuples in `columns` order) the quickest way for the database: the
        driver's executemany straight from the iterable where it beats SQLAlchemy Core (no
        list of every row is held), else Core's insert."""
        if self.dialect.prefers_driver_sql:
            with mapped_driver_errors(self._connection):
                cursor = self._driver_connection().cursor()
                try:
                    cursor.executemany(self.text(insert_template(table.name, columns)), rows)
                finally:
                    cursor.close()
            return
        values = [dict(zip(columns, row, strict=True)) for row in rows]
        if values:
            self._connection.execute(table.insert(), values)

    # --- on DB-API cursors --------------------------------------------------------------------

    def _driver_connection(self) -> Any:
        return self._connection.connection

    def rows(self, template: str, params: Sequence[Any]) -> list[Row]:
        """Every row of `template`, from a cursor of its own closed at once: a server driver's
        copy of the result is then freed before the rows are read."""
        with mapped_driver_errors(self._connection):
            cursor = self._driver_connection().cursor()
            try:
                cursor.execute(self.text(template), tuple(params))
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def stream(self, template: str, params: Sequence[Any]) -> Iterator[Row]:
        """The rows of `template` as they are fetched (SQLite reads them one by one, so a
        large result is never all held at once)."""
        with mapped_driver_errors(self._connection):
            cursor = self._driver_connection().cursor()
            try:
                cursor.execute(self.text(template), tuple(params))
                while rows := cursor.fetchmany(STREAM_ROWS):
                    yield from rows
            finally:
                cursor.close()

    def first_rows(self, template: str, param_rows: Sequence[Sequence[Any]]) -> list[Row | None]:
        """The first row (or None) of `template`, a `SELECT ...`, run once per parameter row,
        in order: one by one on SQLite (its statement cache makes that the cheapest), in
        UNION ALL batches on database servers (one round trip per batch)."""
        if self._cursor is None:
            self._cursor = self._driver_connection().cursor()
        cursor, text = self._cursor, self.text(template)
        if not self.dialect.batches_small_reads:
            execute, fetchone = cursor.execute, cursor.fetchone
            with mapped_driver_errors(self._connection):
                return [execute(text, params) and fetchone() for params in param_rows]
        found: list[Row | None] = [None] * len(param_rows)
        body = text.removeprefix("SELECT ")
        for start in range(0, len(param_rows), SERVER_BATCH):
            batch = param_rows[start : start + SERVER_BATCH]
            union = " UNION ALL ".join(
                f"(SELECT {start + offset} AS tag, {body})" for offset in range(len(batch))
            )
            flat = tuple(value for params in batch for value in params)
            with mapped_driver_errors(self._connection):
                cursor.execute(union, flat)
                for tag, *row in cursor.fetchall():
                    found[tag] = tuple(row)
        return found
