"""The integer id of each metric series (a run's metric key), created on first use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from tuitrack_sql import schema
from tuitrack_sql.loading import chunks


def series_ids(connection: Connection, run_id: str, keys: Sequence[str]) -> dict[str, int]:
    """The series id of each key of the run, creating the missing series."""
    found = _stored_ids(connection, run_id, keys)
    # Sorted: concurrent writers then lock new series in one order, so they cannot deadlock.
    missing = sorted(key for key in keys if key not in found)
    if missing:
        _insert_missing(connection, run_id, missing)
        found.update(_stored_ids(connection, run_id, missing))
    return found


def _stored_ids(connection: Connection, run_id: str, keys: Sequence[str]) -> dict[str, int]:
    table = schema.metric_series
    found: dict[str, int] = {}
    for chunk in chunks(keys):
        query = select(table.c.key, table.c.series_id).where(
            table.c.run_uuid == run_id, table.c.key.in_(chunk)
        )
        if connection.dialect.name != "sqlite":
            # A locking read sees a series another transaction created meanwhile.
            query = query.with_for_update(read=True)
        found.update((key, series_id) for key, series_id in connection.execute(query))
    return found


def _insert_missing(connection: Connection, run_id: str, keys: Sequence[str]) -> None:
    """Insert the series, leaving any that a concurrent writer created first."""
    table = schema.metric_series
    rows = [{"run_uuid": run_id, "key": key} for key in keys]
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        connection.execute(insert(table).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        statement = mysql_insert(table)
        # A no-op update: IGNORE would also hide other errors, such as a missing run.
        statement = statement.on_duplicate_key_update(run_uuid=statement.inserted.run_uuid)
        connection.execute(statement, rows)
