"""Metric series: a run's metric key, and the integer id it gets on first use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, select

from tuitrack_sql import schema
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.run_loading import chunks
from tuitrack_sqlkit.upsert import insert_new


class Series(NamedTuple):
    """One metric series, the identity the write path passes around. The tables of points
    (metrics, metric_chunks) refer to it by `series_id`, which keeps their rows and indexes
    small; the tables of one row per series or block (metric_series, latest_metrics,
    metric_blocks) by `run_uuid` and `key`, which filters and orderings join on."""

    series_id: int
    run_uuid: str
    key: str


def series_of(connection: Connection, run_id: str, keys: Sequence[str]) -> dict[str, Series]:
    """The series of each key of the run, creating the missing ones."""
    found = _stored_ids(connection, run_id, keys)
    # Sorted: concurrent writers then lock new series in one order, so they cannot deadlock.
    missing = sorted(key for key in keys if key not in found)
    if missing:
        rows = [{"run_uuid": run_id, "key": key} for key in missing]
        insert_new(connection, schema.metric_series, rows, ("run_uuid", "key"))
        found.update(_stored_ids(connection, run_id, missing))
    return {key: Series(found[key], run_id, key) for key in keys}


def _stored_ids(connection: Connection, run_id: str, keys: Sequence[str]) -> dict[str, int]:
    table = schema.metric_series
    found: dict[str, int] = {}
    dialect = SqlDialect.of(connection)
    for chunk in chunks(keys):
        query = select(table.c.key, table.c.series_id).where(
            table.c.run_uuid == run_id, table.c.key.in_(chunk)
        )
        # A locking read sees a series another transaction created meanwhile.
        query = dialect.for_update(query, read=True)
        found.update((key, series_id) for key, series_id in connection.execute(query))
    return found
