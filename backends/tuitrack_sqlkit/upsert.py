"""Insert-or-update (last write wins) and insert-if-new, for each dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def upsert(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    dialect = connection.dialect.name
    updated = [name for name in rows[0] if name not in keys]
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in updated},
        )
        connection.execute(statement, list(rows))
    else:
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        mysql_statement = mysql_insert(table)
        mysql_statement = mysql_statement.on_duplicate_key_update(
            {name: mysql_statement.inserted[name] for name in updated}
        )
        connection.execute(mysql_statement, list(rows))


def insert_new(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert the rows whose `keys` are not in the table yet; leave those already there
    (for instance inserted meanwhile by a concurrent writer)."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        connection.execute(
            insert(table).on_conflict_do_nothing(index_elements=list(keys)), list(rows)
        )
    else:
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        statement = mysql_insert(table)
        # A no-op update: IGNORE would also hide other errors, such as a missing parent row.
        statement = statement.on_duplicate_key_update({keys[0]: statement.inserted[keys[0]]})
        connection.execute(statement, list(rows))
