"""Block summaries (schema.metric_blocks): a batch's points summed up per block of 256 steps
of each series, merged with the stored summaries of the same blocks."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from itertools import islice
from operator import attrgetter, lt
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection

from tuitrack_sql import schema
from tuitrack_sql.floats import FINITE, NAN, decode
from tuitrack_sql.points import SeriesPoints
from tuitrack_sql.series import Series
from tuitrack_sqlkit.driver_sql import DriverSql, marks
from tuitrack_sqlkit.run_loading import chunks
from tuitrack_sqlkit.upsert import upsert


class BlockPoint(NamedTuple):
    """A point kept by a block summary; `seq` orders a block's points as logging did."""

    step: int
    timestamp: int
    value: float | None  # stored value (see floats.py)
    kind: int
    seq: int


class BlockSummary(NamedTuple):
    """A metric_blocks row's figures (see schema.metric_blocks). The names of its points are
    schema.BLOCK_POINTS."""

    points: int
    nans: int
    next_seq: int
    first: BlockPoint
    last: BlockPoint
    min: BlockPoint | None
    max: BlockPoint | None
    nan: BlockPoint | None


class SeriesBlocks(NamedTuple):
    """The summaries of one series' blocks, by block number."""

    series: Series
    blocks: dict[int, BlockSummary]


# --- summing up a batch ------------------------------------------------------------------


class _Points(NamedTuple):
    """Points of one series in one block, in logging order: seqs are their positions."""

    steps: Sequence[int]
    times: Sequence[int]
    values: Sequence[float | None]
    kinds: Sequence[int] | None  # None: all FINITE

    def point(self, index: int) -> BlockPoint:
        kind = FINITE if self.kinds is None else self.kinds[index]
        return BlockPoint(self.steps[index], self.times[index], self.values[index], kind, index)

    def earliest(self, column: Sequence[Any], target: Any) -> int:
        """The earliest point (step, timestamp, logging order) whose column == target."""
        if column.count(target) == 1:
            return column.index(target)
        tied = [i for i, item in enumerate(column) if item == target]
        return min(tied, key=lambda i: (self.steps[i], self.times[i]))

    def latest_at(self, step: int) -> int:
        """The latest point (timestamp, logging order) at this step."""
        if self.steps.count(step) == 1:
            return self.steps.index(step)
        tied = [i for i, item in enumerate(self.steps) if item == step]
        return max(tied, key=lambda i: (self.times[i], i))

    def special_extremes(self, kinds: Sequence[int]) -> tuple[int | None, int | None, int | None]:
        """The lowest, highest and first NaN point of points holding NaN or +-inf."""
        numbers = [i for i, kind in enumerate(kinds) if kind != NAN]
        nans = [i for i, kind in enumerate(kinds) if kind == NAN]
        value = list(map(decode, self.values, kinds))

        def position(i: int) -> tuple[int, int]:
            return self.steps[i], self.times[i]

        low = min(numbers, key=lambda i: (value[i], *position(i))) if numbers else None
        high = min(numbers, key=lambda i: (-value[i], *position(i))) if numbers else None
        return low, high, min(nans, key=position) if nans else None

    def summary(self) -> BlockSummary:
        """The summary of these points, in any step order."""
        count = len(self.steps)
        kinds = self.kinds
        low: int | None
        high: int | None
        nan: int | None
        if kinds is not None and any(kinds):  # NaN or +-inf among them
            low, high, nan = self.special_extremes(kinds)
        else:
            values = cast("Sequence[float]", self.values)  # all finite: none is None
            low = self.earliest(values, min(values))
            high = self.earliest(values, max(values))
            nan = None
        return BlockSummary(
            points=count,
            nans=0 if kinds is None else kinds.count(NAN),
            next_seq=count,
            first=self.point(self.earliest(self.steps, min(self.steps))),
            last=self.point(self.latest_at(max(self.steps))),
            min=None if low is None else self.point(low),
            max=None if high is None else self.point(high),
            nan=None if nan is None else self.point(nan),
        )

    def ascending_summary(self) -> BlockSummary:
        """The summary of finite points whose steps rise: the first and last are the ends
        and, of equal values, the first logged is the earliest."""
        count, values = len(self.steps), cast("Sequence[float]", self.values)
        low = values.index(min(values))
        high = values.index(max(values))
        return BlockSummary(
            count, 0, count, self.point(0), self.point(count - 1), self.point(low),
            self.point(high), None,
        )  # fmt: skip


def series_blocks(points: SeriesPoints) -> SeriesBlocks:
    """The summary of a series' batch points in each block they fall in; seqs count from 0
    in logging order."""
    shift = schema.BLOCK_SHIFT
    steps, times, values, kinds = points.steps, points.times, points.values, points.kinds
    blocks: dict[int, BlockSummary] = {}
    if all(map(lt, steps, islice(steps, 1, None))):
        # The usual batch: steps rise, so each block is a slice.
        start, count = 0, len(steps)
        while start < count:
            block = steps[start] >> shift  # >> floors, as blocks need
            end = bisect_right(steps, ((block + 1) << shift) - 1, start)
            part = _Points(
                steps[start:end],
                times[start:end],
                values[start:end],
                None if kinds is None else kinds[start:end],
            )
            blocks[block] = part.ascending_summary() if kinds is None else part.summary()
            start = end
        return SeriesBlocks(points.series, blocks)
    in_block: dict[int, list[int]] = {}
    for index, step in enumerate(steps):
        in_block.setdefault(step >> shift, []).append(index)
    for block, indexes in in_block.items():
        blocks[block] = _Points(
            [steps[i] for i in indexes],
            [times[i] for i in indexes],
            [values[i] for i in indexes],
            None if kinds is None else [kinds[i] for i in indexes],
        ).summary()
    return SeriesBlocks(points.series, blocks)


# --- merging with the stored summaries ----------------------------------------------------

_history_order = attrgetter("step", "timestamp", "seq")


def _lower(point: BlockPoint) -> tuple[float, int, int, int]:
    return decode(point.value, point.kind), point.step, point.timestamp, point.seq


def _higher(point: BlockPoint) -> tuple[float, int, int, int]:
    return -decode(point.value, point.kind), point.step, point.timestamp, point.seq


def _either(old: BlockPoint | None, new: BlockPoint | None, order: Any) -> BlockPoint | None:
    if old is None or new is None:
        return new if old is None else old
    return min(old, new, key=order)


def _after(point: BlockPoint, offset: int) -> BlockPoint:
    return point._replace(seq=point.seq + offset)


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


# --- metric_blocks rows -------------------------------------------------------------------

BLOCK_COLUMNS = tuple(column.name for column in schema.metric_blocks.c)
_BLOCK_KEY = ("run_uuid", "key", "block")
# Per summary point, its fields that have a column (the NaN point has no value or kind).
_POINT_FIELDS = {
    name: [field for field in BlockPoint._fields if f"{name}_{field}" in BLOCK_COLUMNS]
    for name in schema.BLOCK_POINTS
}
_NAN_POINT = {"value": None, "kind": NAN}  # what the NaN point's missing columns hold
_BLOCK_VALUES = tuple(name for name in BLOCK_COLUMNS if name not in _BLOCK_KEY)
# Parameters: a row's _BLOCK_VALUES, then its _BLOCK_KEY.
_BLOCK_UPDATE = (
    "UPDATE metric_blocks SET "
    + ", ".join(f"{{{name}}} = ?" for name in _BLOCK_VALUES)
    + " WHERE "
    + " AND ".join(f"{{{name}}} = ?" for name in _BLOCK_KEY)
)
_UPDATE_ORDER = _BLOCK_VALUES + _BLOCK_KEY
_BLOCK_SELECT = f"SELECT {', '.join(f'{{{name}}}' for name in BLOCK_COLUMNS)} FROM metric_blocks"


def block_row(series: Series, block: int, summary: BlockSummary) -> dict[str, Any]:
    """A metric_blocks row, by column name."""
    row: dict[str, Any] = {
        "run_uuid": series.run_uuid,
        "key": series.key,
        "block": block,
        "points": summary.points,
        "nans": summary.nans,
        "next_seq": summary.next_seq,
    }
    for name, fields in _POINT_FIELDS.items():
        point = getattr(summary, name)
        for field in fields:
            row[f"{name}_{field}"] = None if point is None else getattr(point, field)
    return row


def block_from_row(row: Mapping[str, Any]) -> BlockSummary:
    """A BlockSummary from a metric_blocks row, by column name."""

    def point(name: str) -> BlockPoint | None:
        if row[f"{name}_step"] is None:
            return None
        return BlockPoint(
            *(row.get(f"{name}_{field}", _NAN_POINT.get(field)) for field in BlockPoint._fields)
        )

    first, last = point("first"), point("last")
    assert first is not None  # NOT NULL columns
    assert last is not None
    return BlockSummary(
        row["points"], row["nans"], row["next_seq"], first, last,
        point("min"), point("max"), point("nan"),
    )  # fmt: skip


def locked_blocks(
    connection: Connection, batch: Sequence[SeriesBlocks]
) -> dict[Series, dict[int, BlockSummary]]:
    """The stored summaries of the batch's blocks, locked for update on database servers."""
    sql = DriverSql(connection)
    wanted = {(item.series.run_uuid, item.series.key): item for item in batch}
    found: dict[Series, dict[int, BlockSummary]] = {}
    for run_id in sorted({run_id for run_id, _ in wanted}):
        items = [item for item in batch if item.series.run_uuid == run_id]
        keys = sorted(item.series.key for item in items)
        numbers = sorted({block for item in items for block in item.blocks})
        # key IN (...) AND block IN (...) may match a few blocks of other keys: dropped below.
        # The driver's own SQL: Core costs ~1 ms a statement for these wide rows.
        for key_chunk in chunks(keys):
            for block_chunk in chunks(numbers):
                template = (
                    f"{_BLOCK_SELECT} WHERE run_uuid = ? AND {{key}} IN ({marks(len(key_chunk))}) "
                    f"AND block IN ({marks(len(block_chunk))}){sql.dialect.row_lock}"
                )
                result = sql.execute(template, (run_id, *key_chunk, *block_chunk))
                for values in result:
                    row = dict(zip(BLOCK_COLUMNS, values, strict=True))
                    item = wanted[run_id, row["key"]]
                    if row["block"] in item.blocks:
                        found.setdefault(item.series, {})[row["block"]] = block_from_row(row)
    return found


def write_blocks(
    connection: Connection,
    batch: Sequence[SeriesBlocks],
    stored: Mapping[Series, Mapping[int, BlockSummary]],
) -> None:
    """Store the batch's summaries, each merged with its block's stored one (see
    locked_blocks)."""
    created, changed = [], []
    for series, blocks in batch:
        before = stored.get(series, {})
        for block, summary in blocks.items():
            old = before.get(block)
            if old is None:
                created.append(block_row(series, block, summary))
            else:
                changed.append(block_row(series, block, merge_blocks(old, summary)))
    # New blocks get a plain INSERT: if a concurrent writer created one first, this fails
    # with an IntegrityError and the store retries the batch, merging with its block.
    sql = DriverSql(connection)
    sql.insert_rows(schema.metric_blocks, BLOCK_COLUMNS, [_in_order(row) for row in created])
    if sql.dialect.prefers_driver_sql:
        # The driver's executemany: Core costs ~2 ms a statement for these wide rows.
        sql.executemany(_BLOCK_UPDATE, [_in_order(row, _UPDATE_ORDER) for row in changed])
    else:
        upsert(connection, schema.metric_blocks, changed, _BLOCK_KEY)


def _in_order(row: Mapping[str, Any], names: Sequence[str] = BLOCK_COLUMNS) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)
