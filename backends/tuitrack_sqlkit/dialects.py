"""What differs between the databases tuitrack runs on (SQLite, PostgreSQL, MySQL/MariaDB).

Code outside the migrations asks a SqlDialect what it needs (the driver's placeholder, a
row lock, the spelling of GREATEST, how NULLs sort) instead of comparing dialect names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Insert, Table, case, func
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ColumnElement, Select

_MYSQL_FAMILY = frozenset({"mysql", "mariadb"})
_Query = TypeVar("_Query", bound=Select[Any])


@dataclass(frozen=True)
class SqlDialect:
    """The differences between databases that tuitrack's SQL depends on; get one with
    `SqlDialect.of`."""

    name: str

    @staticmethod
    def of(bind: SqlDialect | Connection | Engine | Dialect | URL | str) -> SqlDialect:
        """The dialect of a connection, an engine, a SQLAlchemy dialect, a database URL or
        a dialect name."""
        if isinstance(bind, SqlDialect):
            return bind
        name = bind if isinstance(bind, str) else _dialect_name(bind)
        known = _KNOWN.get(name)
        if known is None:
            known = _KNOWN[name] = SqlDialect(name)
        return known

    @property
    def is_sqlite(self) -> bool:
        """SQLite (in process: no round trips, one writer at a time)."""
        return self.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        """PostgreSQL."""
        return self.name == "postgresql"

    @property
    def is_mysql(self) -> bool:
        """MySQL or MariaDB (one dialect family: same SQL, same driver)."""
        return self.name in _MYSQL_FAMILY

    # --- SQL sent to the driver itself ------------------------------------------------------

    @property
    def placeholder(self) -> str:
        """The driver's positional placeholder: sqlite3's `?`, psycopg's and PyMySQL's `%s`."""
        return "?" if self.is_sqlite else "%s"

    def quote(self, name: str) -> str:
        """`name` as a quoted identifier (for column names that are keywords: key, count)."""
        return f"`{name}`" if self.is_mysql else f'"{name}"'

    @property
    def prefers_driver_sql(self) -> bool:
        """Whether SQL sent to the driver itself (tuitrack_sqlkit.driver_sql) is worth it for
        many small rows: SQLite's answers come in process, so SQLAlchemy's per-row and
        per-statement cost is most of the time (its executemany of plain tuples is several
        times faster than Core's); a server's round trips outweigh that cost."""
        return self.is_sqlite

    @property
    def batches_small_reads(self) -> bool:
        """Whether many small reads are worth sending as one UNION ALL statement: on a
        server each statement is a round trip; SQLite's statement cache makes one by one
        cheapest."""
        return not self.is_sqlite

    # --- locking ------------------------------------------------------------------------------

    @property
    def locks_rows(self) -> bool:
        """Whether reads in a write transaction lock rows: servers do (FOR UPDATE); SQLite's
        write transaction holds the database's write lock from its start instead."""
        return not self.is_sqlite

    @property
    def row_lock(self) -> str:
        """The suffix of a SELECT that locks its rows for update (empty on SQLite)."""
        return " FOR UPDATE" if self.locks_rows else ""

    def for_update(self, query: _Query, *, read: bool = False) -> _Query:
        """`query` locking its rows (shared when `read`) where the database locks rows."""
        return query.with_for_update(read=read) if self.locks_rows else query

    def begin_statement(self, *, write: bool) -> str:
        """How a SQLite transaction begins: a write takes the write lock up front (IMMEDIATE),
        so concurrent writers queue on it instead of failing to upgrade a read lock."""
        return "BEGIN IMMEDIATE" if write else "BEGIN"

    # --- SQL expressions ----------------------------------------------------------------------

    def greatest(self, *columns: ColumnElement[Any]) -> ColumnElement[Any]:
        """The largest of `columns` (SQLite spells GREATEST as a many-argument max)."""
        return func.max(*columns) if self.is_sqlite else func.greatest(*columns)

    def nulls_last(self, expression: ColumnElement[Any], ascending: bool) -> list[Any]:
        """ORDER BY terms putting NULLs last, in the form each database can serve from an
        index: SQLite and MySQL already sort NULLs last when descending, PostgreSQL when
        ascending."""
        if ascending:
            if self.is_postgresql:
                return [expression.asc()]
            if self.is_sqlite:
                return [expression.asc().nulls_last()]
            return [case((expression.is_(None), 1), else_=0), expression.asc()]
        if self.is_postgresql:
            return [expression.desc().nulls_last()]
        return [expression.desc()]

    def insert(self, table: Table) -> Insert:
        """The dialect's own INSERT construct, which has its upsert clauses (ON CONFLICT, or
        ON DUPLICATE KEY UPDATE on the MySQL family)."""
        if self.is_mysql:
            from sqlalchemy.dialects.mysql import insert as mysql_insert

            return mysql_insert(table)
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)


def _dialect_name(bind: Connection | Engine | Dialect | URL) -> str:
    if isinstance(bind, URL):
        return bind.get_backend_name()
    return bind.name if isinstance(bind, Dialect) else bind.dialect.name


_KNOWN: dict[str, SqlDialect] = {}
