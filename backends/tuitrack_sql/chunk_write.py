"""Writing a batch's points into schema.metric_chunks (see packed.py), after its rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection

from tuitrack_sql.packed import CHUNK_COLUMNS, OPEN_BELOW, Chunk, logged, pack
from tuitrack_sql.points import SeriesPoints
from tuitrack_sqlkit.driver_sql import DriverSql, insert_template, marks
from tuitrack_sqlkit.run_loading import chunks

_CHUNK_INSERT = insert_template("metric_chunks", CHUNK_COLUMNS)


class _OpenChunk(NamedTuple):
    chunk_id: int
    nans: int
    step_bytes: bytes
    timestamp_bytes: bytes
    value_bytes: bytes


def _open_chunks(connection: Connection, series_ids: Sequence[int]) -> dict[int, _OpenChunk]:
    """Each series' last chunk when it is still open, locked for update on database servers
    (a concurrent writer then waits, and finds it gone or still open)."""
    found: dict[int, _OpenChunk] = {}
    sql = DriverSql(connection)
    for part in chunks(sorted(series_ids)):
        template = (
            "SELECT series_id, chunk_id, nans, step_bytes, timestamp_bytes, value_bytes "
            "FROM metric_chunks WHERE chunk_id IN (SELECT MAX(chunk_id) FROM metric_chunks "
            f"WHERE series_id IN ({marks(len(part))}) GROUP BY series_id) "
            f"AND points < {OPEN_BELOW}{sql.dialect.row_lock}"
        )
        for series_id, chunk_id, nans, steps, times, values in sql.execute(template, part):
            found[series_id] = _OpenChunk(chunk_id, nans, steps, times, values)
    return found


def insert_chunks(connection: Connection, batch: Sequence[SeriesPoints]) -> None:
    """Pack the batch's points per series; a series' open last chunk is replaced by one
    holding its points and then the batch's."""
    open_chunks = _open_chunks(connection, [points.series.series_id for points in batch])
    packed: list[Chunk] = []
    for points in batch:
        series_id = points.series.series_id
        finite = points.kinds is None
        values = points.floats()
        old = open_chunks.get(series_id)
        if old is None:
            packed.extend(pack(series_id, points.steps, points.times, values, finite))
            continue
        before = logged(old.step_bytes, old.timestamp_bytes, old.value_bytes)
        packed.extend(
            pack(
                series_id,
                [*before.steps, *points.steps],
                [*before.times, *points.times],
                [*before.values, *values],
                finite and not old.nans,
            )
        )
    sql = DriverSql(connection)
    for part in chunks([chunk.chunk_id for chunk in open_chunks.values()]):
        sql.execute(f"DELETE FROM metric_chunks WHERE chunk_id IN ({marks(len(part))})", part)
    sql.executemany(_CHUNK_INSERT, packed)
