"""The one write path: metrics, params and tags of a run in one transaction."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from itertools import islice, repeat
from operator import add, itemgetter, lt
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, delete, select, update

from tuitrack.entities import Metric, Param, RunTag
from tuitrack.errors import InvalidValueError, ParamConflictError
from tuitrack.gc_pause import gc_paused
from tuitrack.store import now_ms
from tuitrack.validation import (
    INT64_MAX,
    INT64_MIN,
    validate_key,
    validate_metric_columns,
    validate_param,
    validate_tag,
)
from tuitrack_sql import schema
from tuitrack_sql.chunk_write import insert_chunks
from tuitrack_sql.engine import driver_mark
from tuitrack_sql.floats import FINITE, NAN, decode, encode
from tuitrack_sql.loading import chunks
from tuitrack_sql.series import series_ids
from tuitrack_sqlkit.upsert import upsert

T = TypeVar("T")
# (series_id, step, timestamp, stored value, kind)
MetricRow = tuple[int, int, int, float | None, int]
_METRIC_INSERT = (
    "INSERT INTO metrics (series_id, step, timestamp, value, kind) VALUES (?, ?, ?, ?, ?)"
)
# (run_uuid, key, step, timestamp, stored value, kind): a series' latest point.
LatestRow = tuple[str, str, int, int, float | None, int]


class PointColumns(NamedTuple):
    """Validated metric points of one batch, column by column."""

    keys: Sequence[str]
    distinct_keys: list[str]
    steps: Sequence[int]
    times: Sequence[int]
    values: Sequence[float | None]  # stored values (see floats.py)
    kinds: Sequence[int] | None  # None: all FINITE

    def rows(self, series_of: Mapping[str, int]) -> list[MetricRow]:
        """One row per point; built column-wise (zip, map run in C): this runs for every
        logged point."""
        count = len(self.keys)
        if len(self.distinct_keys) == 1:
            series: Iterable[int] = repeat(series_of[self.distinct_keys[0]], count)
        else:
            series = map(series_of.__getitem__, self.keys)
        kinds = repeat(FINITE, count) if self.kinds is None else self.kinds
        return list(zip(series, self.steps, self.times, self.values, kinds, strict=True))


def metric_columns(metrics: Sequence[Metric]) -> PointColumns | None:
    """Validate and encode metrics; cheap per point because keys are checked once each."""
    return point_columns([(m.key, m.value, m.timestamp, m.step) for m in metrics])


def point_columns(points: Sequence[tuple[str, float, int, int]]) -> PointColumns | None:
    """Columns of (key, value, timestamp, step) points, checked as in checked_columns."""
    if not points:
        return None
    keys, values, times, steps = zip(*points, strict=True)
    return checked_columns(keys, values, times, steps)


def checked_columns(
    keys: Sequence[str], values: Sequence[float], times: Sequence[int], steps: Sequence[int]
) -> PointColumns | None:
    """Points given column by column; keys and integer ranges are checked, values encoded.
    None for no points."""
    validate_metric_columns(keys, values, times, steps)
    if not keys:
        return None
    distinct = list(dict.fromkeys(keys))
    for key in distinct:
        validate_key(key, "metric key")
    for name, column in (("step", steps), ("timestamp", times)):
        if min(column) < INT64_MIN or max(column) > INT64_MAX:
            bad = next(v for v in column if not INT64_MIN <= v <= INT64_MAX)
            raise InvalidValueError(f"metric {name} {bad} is outside the 64-bit integer range")
    if 0.0 in values:  # -0.0 is stored as 0.0, as SQLite's REAL columns would anyway
        values = list(map(add, values, repeat(0.0)))
    if all(map(math.isfinite, values)):
        return PointColumns(keys, distinct, steps, times, values, None)
    encoded = list(map(encode, values))
    stored = list(map(itemgetter(0), encoded))
    return PointColumns(keys, distinct, steps, times, stored, list(map(itemgetter(1), encoded)))


def _series_summaries(
    run_id: str, blocks: dict[tuple[str, int], BlockSummary]
) -> dict[str, tuple[LatestRow, float | None, float | None, int]]:
    """Per key of the batch, from its block summaries: the latest row (highest step, then
    latest timestamp, then latest logged), min, max (NaN ignored) and count."""
    result: dict[str, tuple[LatestRow, float | None, float | None, int]] = {}
    for (key, _block), summary in blocks.items():
        last = summary.last
        low = None if summary.min is None else summary.min[2]
        high = None if summary.max is None else summary.max[2]
        known = result.get(key)
        if known is None:
            result[key] = ((run_id, key, *last[:4]), low, high, summary.points)
            continue
        latest, known_low, known_high, count = known
        if (last[0], last[1]) > (latest[2], latest[3]):  # blocks never share a step
            latest = (run_id, key, *last[:4])
        result[key] = (
            latest,
            _bound(min, low, known_low),
            _bound(max, high, known_high),
            count + summary.points,
        )
    return result


def _merge_latest(
    connection: Connection, run_id: str, blocks: dict[tuple[str, int], BlockSummary]
) -> None:
    table = schema.latest_metrics
    summaries = _series_summaries(run_id, blocks)
    existing: dict[str, Any] = {}
    for chunk in chunks(list(summaries)):
        query = select(table).where(table.c.run_uuid == run_id, table.c.key.in_(chunk))
        if connection.dialect.name != "sqlite":
            query = query.with_for_update()
        existing.update({row.key: row for row in connection.execute(query)})
    merged = []
    for key, (new_latest, new_low, new_high, new_count) in summaries.items():
        latest, low, high, count = new_latest, new_low, new_high, new_count
        old = existing.get(key)
        if old is not None:
            if (old.step, old.timestamp) > (latest[2], latest[3]):
                latest = (run_id, key, old.step, old.timestamp, old.value, old.kind)
            low = _bound(min, low, old.min_value)
            high = _bound(max, high, old.max_value)
            count += old.count
        merged.append(
            {
                "run_uuid": run_id,
                "key": key,
                "step": latest[2],
                "timestamp": latest[3],
                "value": latest[4],
                "kind": latest[5],
                "min_value": low,
                "max_value": high,
                "count": count,
            }
        )
    upsert(connection, table, merged, ("run_uuid", "key"))


def _bound(pick: Any, new: float | None, old: float | None) -> float | None:
    if new is None:
        return old
    if old is None:
        return new
    return float(pick(new, old))


def insert_points(connection: Connection, run_id: str, columns: PointColumns) -> None:
    ids = series_ids(connection, run_id, columns.distinct_keys)
    sqlite = connection.dialect.name == "sqlite"
    # The collector is paused while this batch's rows live, so that it never scans them. The
    # pause is process-wide (the training loop shares the process), so only on SQLite, where
    # nothing below waits: the transaction holds the write lock already. A server may keep
    # a statement waiting on a row lock or the network.
    with gc_paused() if sqlite else nullcontext():
        rows = columns.rows(ids)
        split = by_key(columns.keys, columns.distinct_keys)
        blocks = batch_blocks(dict(zip(columns.distinct_keys, split(rows), strict=True)))
        # Lock the blocks before the points get their ids, so that a concurrent writer's
        # points cannot come between: a block's seqs must follow the ids of its points.
        existing = _locked_blocks(connection, run_id, blocks)
        if sqlite:
            # The driver's executemany is several times faster than Core for plain tuples.
            connection.exec_driver_sql(_METRIC_INSERT, rows)
        else:
            names = ("series_id", "step", "timestamp", "value", "kind")
            connection.execute(
                schema.metrics.insert(),
                [dict(zip(names, row, strict=True)) for row in rows],
            )
        insert_chunks(connection, ids, columns, split)
        del rows
    _write_blocks(connection, run_id, blocks, existing)
    _merge_latest(connection, run_id, blocks)


# --- block summaries (schema.metric_blocks) ---------------------------------------------

# A point kept by a block summary: (step, timestamp, stored value, kind, seq).
BlockPoint = tuple[int, int, float | None, int, int]
_history_order = itemgetter(0, 1, 4)
_step, _value, _kind = itemgetter(1), itemgetter(3), itemgetter(4)


class BlockSummary(NamedTuple):
    """A metric_blocks row's figures (see schema.metric_blocks)."""

    points: int
    nans: int
    next_seq: int
    first: BlockPoint
    last: BlockPoint
    min: BlockPoint | None
    max: BlockPoint | None
    nan: BlockPoint | None


def batch_blocks(groups: Mapping[str, Sequence[MetricRow]]) -> dict[tuple[str, int], BlockSummary]:
    """Per (key, block), the summary of the batch's rows in it (given per key, in logging
    order: see by_key); seqs count from 0 in logging order."""
    shift = schema.BLOCK_SHIFT
    blocks: dict[tuple[str, int], BlockSummary] = {}
    for key, group in groups.items():
        steps = list(map(_step, group))
        if all(map(lt, steps, islice(steps, 1, None))):
            _add_ascending(blocks, key, group, steps)
            continue
        by_block: dict[int, list[MetricRow]] = {}
        for row in group:
            by_block.setdefault(row[1] >> shift, []).append(row)  # >> floors, as blocks need
        for block, rows_in_block in by_block.items():
            blocks[key, block] = summarize_block(rows_in_block)
    return blocks


def by_key(keys: Sequence[str], distinct: list[str]) -> Callable[[Sequence[T]], list[Sequence[T]]]:
    """A function that cuts any column of a batch into one part per key of `distinct` (in
    its order), each part in logging order."""
    count = len(distinct)
    if count == 1:
        return lambda column: [column]
    # The usual batch of several keys logs them in turn, step by step: slice it.
    if keys == distinct * (len(keys) // count) + distinct[: len(keys) % count]:
        return lambda column: [column[index::count] for index in range(count)]
    positions: dict[str, list[int]] = {key: [] for key in distinct}
    for index, key in enumerate(keys):
        positions[key].append(index)
    parts = [positions[key] for key in distinct]
    return lambda column: [list(map(column.__getitem__, part)) for part in parts]


def _add_ascending(
    blocks: dict[tuple[str, int], BlockSummary],
    key: str,
    group: Sequence[MetricRow],
    steps: list[int],
) -> None:
    """The usual batch: a key's steps rise, so each block is a slice, its first and last
    rows are the slice's ends and, of equal values, the first in the slice is the earliest."""
    shift = schema.BLOCK_SHIFT
    values = list(map(_value, group))
    finite = not any(map(_kind, group))
    start, count = 0, len(group)
    while start < count:
        block = steps[start] >> shift
        end = bisect_right(steps, ((block + 1) << shift) - 1, start)
        if not finite:
            blocks[key, block] = summarize_block(group[start:end])
        else:
            in_block = values[start:end]
            low = values.index(min(in_block), start, end)
            high = values.index(max(in_block), start, end)
            first, last, lowest, highest = group[start], group[end - 1], group[low], group[high]
            blocks[key, block] = BlockSummary(
                end - start,
                0,
                end - start,
                (*first[1:], 0),
                (*last[1:], end - 1 - start),
                (*lowest[1:], low - start),
                (*highest[1:], high - start),
                None,
            )
        start = end


def _earliest(group: Sequence[MetricRow], column: Sequence[Any], target: Any) -> int:
    """Index of the earliest row (step, timestamp, logging order) whose column == target."""
    if column.count(target) == 1:
        return column.index(target)
    tied = [i for i, item in enumerate(column) if item == target]
    return min(tied, key=lambda i: (group[i][1], group[i][2]))


def _latest_at(group: Sequence[MetricRow], steps: Sequence[int], step: int) -> int:
    if steps.count(step) == 1:
        return steps.index(step)
    tied = [i for i, item in enumerate(steps) if item == step]
    return max(tied, key=lambda i: (group[i][2], i))


def _special_extremes(group: Sequence[MetricRow]) -> tuple[int | None, int | None, int | None]:
    """Indexes of the lowest, highest and first NaN row of a group holding NaN or +-inf."""
    numbers = [i for i, row in enumerate(group) if row[4] != NAN]
    nans = [i for i, row in enumerate(group) if row[4] == NAN]
    value = [decode(row[3], row[4]) for row in group]

    def position(i: int) -> tuple[int, int]:
        return group[i][1], group[i][2]

    low = min(numbers, key=lambda i: (value[i], *position(i))) if numbers else None
    high = min(numbers, key=lambda i: (-value[i], *position(i))) if numbers else None
    return low, high, min(nans, key=position) if nans else None


def summarize_block(group: Sequence[MetricRow]) -> BlockSummary:
    """The summary of rows of one block, in logging order (seqs from 0), in any step order."""
    steps = list(map(_step, group))
    kinds = list(map(_kind, group))
    low: int | None
    high: int | None
    nan: int | None
    if any(kinds):  # NaN or +-inf among them
        low, high, nan = _special_extremes(group)
    else:
        values = list(map(_value, group))
        low = _earliest(group, values, min(values))
        high = _earliest(group, values, max(values))
        nan = None

    def point(i: int) -> BlockPoint:
        return (*group[i][1:], i)

    return BlockSummary(
        points=len(group),
        nans=kinds.count(NAN),
        next_seq=len(group),
        first=point(_earliest(group, steps, min(steps))),
        last=point(_latest_at(group, steps, max(steps))),
        min=None if low is None else point(low),
        max=None if high is None else point(high),
        nan=None if nan is None else point(nan),
    )


def _lower(point: BlockPoint) -> tuple[float, int, int, int]:
    return decode(point[2], point[3]), point[0], point[1], point[4]


def _higher(point: BlockPoint) -> tuple[float, int, int, int]:
    return -decode(point[2], point[3]), point[0], point[1], point[4]


def _either(old: BlockPoint | None, new: BlockPoint | None, order: Any) -> BlockPoint | None:
    if old is None or new is None:
        return new if old is None else old
    return min(old, new, key=order)


def _after(point: BlockPoint, offset: int) -> BlockPoint:
    return point[0], point[1], point[2], point[3], point[4] + offset


def _maybe_after(point: BlockPoint | None, offset: int) -> BlockPoint | None:
    return None if point is None else _after(point, offset)


def merge_blocks(old: BlockSummary, new: BlockSummary) -> BlockSummary:
    """One summary of a block's points in `old` and then `new` (whose seqs count from 0)."""
    offset = old.next_seq
    return BlockSummary(
        points=old.points + new.points,
        nans=old.nans + new.nans,
        next_seq=offset + new.next_seq,
        first=min(old.first, _after(new.first, offset), key=_history_order),
        last=max(old.last, _after(new.last, offset), key=_history_order),
        min=_either(old.min, _maybe_after(new.min, offset), _lower),
        max=_either(old.max, _maybe_after(new.max, offset), _higher),
        nan=_either(old.nan, _maybe_after(new.nan, offset), _history_order),
    )


_BLOCK_COLUMNS = tuple(column.name for column in schema.metric_blocks.c)
_BLOCK_INSERT = (
    f"INSERT INTO metric_blocks ({', '.join(_BLOCK_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_BLOCK_COLUMNS))})"
)
_BLOCK_UPDATE = (  # its parameters: a row's values from the fourth on, then the first three
    f"UPDATE metric_blocks SET {', '.join(f'{name} = ?' for name in _BLOCK_COLUMNS[3:])} "
    "WHERE run_uuid = ? AND key = ? AND block = ?"
)
_NO_POINT = (None, None, None, None, None)


def _block_values(run_id: str, key: str, block: int, summary: BlockSummary) -> tuple[Any, ...]:
    """A metric_blocks row as a tuple, columns in table order."""
    nan = summary.nan or _NO_POINT
    return (
        run_id,
        key,
        block,
        summary.points,
        summary.nans,
        summary.next_seq,
        *summary.first,
        *summary.last,
        *(summary.min or _NO_POINT),
        *(summary.max or _NO_POINT),
        nan[0],
        nan[1],
        nan[4],
    )


def block_from_values(values: Sequence[Any]) -> BlockSummary:
    """A BlockSummary from a metric_blocks row, columns in table order."""
    nan_step, nan_timestamp, nan_seq = values[26:29]
    return BlockSummary(
        points=values[3],
        nans=values[4],
        next_seq=values[5],
        first=tuple(values[6:11]),
        last=tuple(values[11:16]),
        min=None if values[16] is None else tuple(values[16:21]),
        max=None if values[21] is None else tuple(values[21:26]),
        nan=None if nan_step is None else (nan_step, nan_timestamp, None, NAN, nan_seq),
    )


def _locked_blocks(
    connection: Connection, run_id: str, blocks: dict[tuple[str, int], BlockSummary]
) -> dict[tuple[str, int], BlockSummary]:
    """The stored summaries of these blocks, locked for update on database servers."""
    sqlite = connection.dialect.name == "sqlite"
    mark = driver_mark(connection)
    columns = ", ".join(map(connection.dialect.identifier_preparer.quote, _BLOCK_COLUMNS))
    key_column = connection.dialect.identifier_preparer.quote("key")
    keys = sorted({key for key, _ in blocks})
    numbers = sorted({block for _, block in blocks})
    found: dict[tuple[str, int], BlockSummary] = {}
    # key IN (...) AND block IN (...) may match a few blocks of other keys: dropped below.
    # The driver's own SQL: Core costs ~1 ms a statement for these wide rows.
    for key_chunk in chunks(keys):
        for block_chunk in chunks(numbers):
            sql = (
                f"SELECT {columns} FROM metric_blocks WHERE run_uuid = {mark} "
                f"AND {key_column} IN ({', '.join([mark] * len(key_chunk))}) "
                f"AND block IN ({', '.join([mark] * len(block_chunk))})"
                + ("" if sqlite else " FOR UPDATE")
            )
            result = connection.exec_driver_sql(sql, (run_id, *key_chunk, *block_chunk))
            for values in result:
                where = (values[1], values[2])
                if where in blocks:
                    found[where] = block_from_values(values)
    return found


def _write_blocks(
    connection: Connection,
    run_id: str,
    blocks: dict[tuple[str, int], BlockSummary],
    existing: dict[tuple[str, int], BlockSummary],
) -> None:
    created, changed = [], []
    for (key, block), summary in blocks.items():
        old = existing.get((key, block))
        if old is None:
            created.append(_block_values(run_id, key, block, summary))
        else:
            changed.append(_block_values(run_id, key, block, merge_blocks(old, summary)))
    # New blocks get a plain INSERT: if a concurrent writer created one first, this fails
    # with an IntegrityError and the store retries the batch, merging with its block.
    if connection.dialect.name == "sqlite":
        # The driver's executemany: Core costs ~2 ms a statement for these wide rows.
        if created:
            connection.exec_driver_sql(_BLOCK_INSERT, created)
        if changed:
            updates = [(*values[3:], *values[:3]) for values in changed]
            connection.exec_driver_sql(_BLOCK_UPDATE, updates)
        return
    table = schema.metric_blocks
    if created:
        rows = [dict(zip(_BLOCK_COLUMNS, values, strict=True)) for values in created]
        connection.execute(table.insert(), rows)
    rows = [dict(zip(_BLOCK_COLUMNS, values, strict=True)) for values in changed]
    upsert(connection, table, rows, ("run_uuid", "key", "block"))


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
        existing.update((row[0], row[1]) for row in connection.execute(query))
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
    for tag in tags:
        validate_tag(tag)
    last = {tag.key: tag.value for tag in tags}  # last write wins inside a batch too
    rows = [{"run_uuid": run_id, "key": key, "value": value} for key, value in last.items()]
    upsert(connection, schema.tags, rows, ("run_uuid", "key"))


def touch_run_name(connection: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    """MLflow scripts set the run name through the `mlflow.runName` tag; honour it."""
    for tag in tags:
        if tag.key == "mlflow.runName":
            connection.execute(
                update(schema.runs).where(schema.runs.c.run_uuid == run_id).values(name=tag.value)
            )


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
