"""Insert-or-update for each dialect (last write wins)."""

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
