"""Many small SQL statements on the raw DBAPI cursor, for the history reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from tuitrack.errors import InvalidValueError, StoreUnavailableError
from tuitrack_sqlkit.db_errors import refuses_value
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.urls import describe

# Terms per UNION ALL statement on database servers (one round trip each).
SERVER_BATCH = 100
# A series' id, in statements written with qmark placeholders ({key}: the quoted key column).
SERIES_ID_SQL = "(SELECT series_id FROM metric_series WHERE run_uuid = ? AND {key} = ?)"

# Rows per fetch of a streamed read: a few chunks.
STREAM_ROWS = 4

Row = tuple[Any, ...]


class Statements:
    """Many small statements without SQLAlchemy's per-row and per-call overhead.

    SQLite runs them one by one (its prepared-statement cache makes that the cheapest);
    database servers get them in UNION ALL batches, one round trip per batch.
    """

    def __init__(self, connection: Connection) -> None:
        dialect = SqlDialect.of(connection)
        self._one_by_one = not dialect.batches_small_reads
        self._mark = dialect.placeholder
        self._errors: type[Exception] = connection.dialect.loaded_dbapi.Error
        self._database = describe(connection.engine)
        self._dbapi = connection.connection
        self._cursor = self._dbapi.cursor()
        self._names = {"key": dialect.quote("key"), "count": dialect.quote("count")}
        self._texts: dict[str, str] = {}

    def close(self) -> None:
        self._cursor.close()

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except self._errors as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            if refuses_value(error):
                raise InvalidValueError(
                    f"database {self._database} refused a value: {detail}"
                ) from error
            raise StoreUnavailableError(f"database {self._database} failed: {detail}") from error

    def _sql(self, template: str) -> str:
        text = self._texts.get(template)
        if text is None:
            text = template.format(**self._names)
            text = text.replace("?", self._mark)
            self._texts[template] = text
        return text

    def rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        """Every row of `sql`, from a cursor of its own closed at once: a server driver's
        copy of the result (all of a history's chunks) is then freed before they are read."""
        with self._mapped_errors():
            cursor = self._dbapi.cursor()
            try:
                cursor.execute(self._sql(sql), tuple(params))
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def stream(self, sql: str, params: Sequence[Any]) -> Iterator[Row]:
        """The rows of `sql` as they are fetched (SQLite reads them one by one, so a whole
        history's chunks are never all held at once)."""
        with self._mapped_errors():
            cursor = self._dbapi.cursor()
            try:
                cursor.execute(self._sql(sql), tuple(params))
                while rows := cursor.fetchmany(STREAM_ROWS):
                    yield from rows
            finally:
                cursor.close()

    def first_rows(self, sql: str, param_rows: Sequence[Sequence[Any]]) -> list[Row | None]:
        """The first row (or None) of `sql` run once per parameter row, in order."""
        if self._one_by_one:
            execute, fetchone, text = self._cursor.execute, self._cursor.fetchone, self._sql(sql)
            with self._mapped_errors():
                return [execute(text, params) and fetchone() for params in param_rows]
        found: list[Row | None] = [None] * len(param_rows)
        body = self._sql(sql).removeprefix("SELECT ")
        for start in range(0, len(param_rows), SERVER_BATCH):
            batch = param_rows[start : start + SERVER_BATCH]
            union = " UNION ALL ".join(
                f"(SELECT {start + offset} AS tag, {body})" for offset in range(len(batch))
            )
            flat = tuple(value for params in batch for value in params)
            with self._mapped_errors():
                self._cursor.execute(union, flat)
                for tag, *row in self._cursor.fetchall():
                    found[tag] = tuple(row)
        return found
