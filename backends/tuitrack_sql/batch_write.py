"""The one write path: metrics, params and tags of a run in one transaction.

A batch's metric points (points.py) go through these stages, each a module of its own (see
README.md for the tables): series (series.py) -> rows -> block summaries (blocks.py) ->
chunks (chunk_write.py) -> latest (latest.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import nullcontext
from typing import NamedTuple

from sqlalchemy import Connection, delete, select

from tuitrack.core.gc_pause import gc_paused
from tuitrack.core.store import now_ms
from tuitrack.core.validation import validate_param, validate_tag
from tuitrack.entities import Param, RunTag
from tuitrack.errors import InvalidValueError, ParamConflictError
from tuitrack_sql import schema
from tuitrack_sql.blocks import locked_blocks, series_blocks, write_blocks
from tuitrack_sql.chunk_write import insert_chunks
from tuitrack_sql.field_tags import apply_field_tags, stored_tags
from tuitrack_sql.latest import merge_latest
from tuitrack_sql.points import METRIC_COLUMNS, PointColumns
from tuitrack_sql.series import series_of
from tuitrack_sqlkit.driver_sql import DriverSql
from tuitrack_sqlkit.run_loading import chunks
from tuitrack_sqlkit.upsert import upsert


class RunBatch(NamedTuple):
    """What one log_batch or log_metric_columns call writes to a run, in one transaction."""

    run_id: str
    columns: PointColumns | None  # the metric points; None when there are none
    params: Sequence[Param]
    tags: Sequence[RunTag]
    batch_id: str | None  # see record_batch


def write_batch(connection: Connection, batch: RunBatch) -> None:
    """Write `batch` to its run, which the caller found active in this transaction."""
    run_id = batch.run_id
    if batch.batch_id is not None:
        record_batch(connection, run_id, batch.batch_id)
    insert_params(connection, run_id, batch.params)
    upsert_tags(connection, run_id, batch.tags)
    if batch.columns is not None:
        insert_points(connection, run_id, batch.columns)


def insert_points(connection: Connection, run_id: str, columns: PointColumns) -> None:
    """Store a batch's metric points, stage by stage."""
    series = series_of(connection, run_id, columns.distinct_keys)
    sql = DriverSql(connection)
    sqlite = sql.dialect.is_sqlite
    # The collector is paused while this batch's rows live, so that it never scans them. The
    # pause is process-wide (the training loop shares the process), so only on SQLite, where
    # nothing below waits: the transaction holds the write lock already. A server may keep
    # a statement waiting on a row lock or the network.
    with gc_paused() if sqlite else nullcontext():
        batch = columns.per_series(series)
        # The block summaries are summed up, and the stored ones locked, before the rows get
        # their ids: a concurrent writer's points cannot then come between, and a block's
        # seqs follow the ids of its points.
        blocks = [series_blocks(points) for points in batch]
        stored = locked_blocks(connection, blocks)
        sql.insert_rows(schema.metrics, METRIC_COLUMNS, columns.rows(series))
        insert_chunks(connection, batch)
    write_blocks(connection, blocks, stored)
    merge_latest(connection, blocks)


def insert_params(connection: Connection, run_id: str, params: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for param in params:
        validate_param(param)
        previous = wanted.setdefault(param.key, param.value)
        if previous != param.value:
            raise InvalidValueError(
                f"param {param.key!r} appears twice in one batch with different values "
                f"{previous!r} and {param.value!r}"
            )
    if not wanted:
        return
    table = schema.params
    existing: dict[str, str] = {}
    for chunk in chunks(list(wanted)):
        query = select(table.c.key, table.c.value).where(
            table.c.run_uuid == run_id, table.c.key.in_(chunk)
        )
        existing.update((row.key, row.value) for row in connection.execute(query))
    for key, value in wanted.items():
        old = existing.get(key)
        if old is not None and old != value:
            raise ParamConflictError(run_id, key, old, value)
    new = [
        {"run_uuid": run_id, "key": key, "value": value}
        for key, value in wanted.items()
        if key not in existing
    ]
    if new:
        connection.execute(table.insert(), new)


def upsert_tags(connection: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    """Set the tags (last write wins, inside a batch too); MLflow's tags of the run's name
    and parent set those columns instead (field_tags.py)."""
    for tag in tags:
        validate_tag(tag)
    apply_field_tags(connection, run_id, tags)
    last = {tag.key: tag.value for tag in stored_tags(tags)}
    rows = [{"run_uuid": run_id, "key": key, "value": value} for key, value in last.items()]
    upsert(connection, schema.tags, rows, ("run_uuid", "key"))


# --- batch ids (schema.write_batches) ---------------------------------------------------

MAX_BATCH_ID_LENGTH = 64
BATCH_ID_DAYS = 1
# A batch prunes the ids older than BATCH_ID_DAYS with this chance: about every 256th
# batch, so that none pays for it often and writers seldom prune at the same time.
_PRUNE_CHANCE = 1 / 256


def record_batch(connection: Connection, run_id: str, batch_id: str) -> None:
    """Insert the batch's id: an IntegrityError if it is stored already (see batch_stored);
    a retry still in flight waits here for the attempt before it to end."""
    if not isinstance(batch_id, str) or not 0 < len(batch_id) <= MAX_BATCH_ID_LENGTH:
        raise InvalidValueError(
            f"batch id {batch_id!r} must be a string of 1 to {MAX_BATCH_ID_LENGTH} characters"
        )
    table = schema.write_batches
    now = now_ms()
    if random.random() < _PRUNE_CHANCE:
        connection.execute(delete(table).where(table.c.created < now - BATCH_ID_DAYS * 86_400_000))
    connection.execute(table.insert().values(batch_id=batch_id, run_uuid=run_id, created=now))


def batch_stored(connection: Connection, batch_id: str) -> bool:
    table = schema.write_batches
    found = connection.execute(select(table.c.batch_id).where(table.c.batch_id == batch_id))
    return found.first() is not None
