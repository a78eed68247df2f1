"""Insert-or-update (last write wins) and insert-if-new, for each dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from tuitrack_sqlkit.dialects import SqlDialect


def upsert(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert `rows`, or update the columns other than `keys` of those already stored."""
    if not rows:
        return
    dialect = SqlDialect.of(connection)
    updated = [name for name in rows[0] if name not in keys]
    statement: Any = dialect.insert(table)
    if dialect.is_mysql:
        statement = statement.on_duplicate_key_update(
            {name: statement.inserted[name] for name in updated}
        )
    else:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in updated},
        )
    connection.execute(statement, list(rows))


def insert_new(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert the rows whose `keys` are not in the table yet; leave those already there
    (for instance inserted meanwhile by a concurrent writer)."""
    if not rows:
        return
    dialect = SqlDialect.of(connection)
    statement: Any = dialect.insert(table)
    if dialect.is_mysql:
        # A no-op update: IGNORE would also hide other errors, such as a missing parent row.
        statement = statement.on_duplicate_key_update({keys[0]: statement.inserted[keys[0]]})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))
