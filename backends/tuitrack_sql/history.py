"""Metric histories read from the database: whole, by step range, or downsampled.

Whole histories and step ranges are unpacked from the series' chunks (schema.metric_chunks,
packed.py). Downsampled ones come from the block summaries and the point rows.

Downsampling cuts the requested step range into at most `max_points // 5` step buckets and
keeps, per bucket, its first and last point, the point with its lowest and highest value
(+-inf being the extremes they are) and its first NaN. Ties go to the earliest point in
history order (step, timestamp, logging order), so every database returns the same points.
Long ranges are cut at block edges (256 steps, see schema.metric_blocks), short ones into
equal-width buckets: the rule is the contract's (tuitrack.core.history_request.bucket_starts).

The block summaries, maintained by log_batch, hold each block's first, last, lowest,
highest and first NaN point: a block whose points all lie in one bucket is read as its
summary row. Only blocks that a bucket edge or the range's ends cut through are read from
metrics, in cells (the part of a block in one bucket) whose min, max and NaN count are
aggregated over the (run_uuid, key, step) index; then short indexed lookups fetch the
chosen points of those cells. (Window functions were measured first: SQLite sorts every
row to partition them; one pass of aggregates over every row still took ~0.5 s per 1M.)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection

from tuitrack.core.history_request import HistoryRequest, bucket_starts
from tuitrack.core.metric_history import MetricHistory
from tuitrack.errors import NotFoundError
from tuitrack_sql.floats import FINITE, NAN, NEG_INF, POS_INF, decode
from tuitrack_sql.schema import BLOCK_POINTS, BLOCK_SHIFT
from tuitrack_sql.statements import SERIES_ID_SQL
from tuitrack_sql.whole_history import read_whole
from tuitrack_sqlkit.driver_sql import DriverSql, Row, marks
from tuitrack_sqlkit.run_loading import chunks

# --- SQL (qmark placeholders, servers get %s; {key} is the quoted key column) --------------

_SERIES = "FROM metrics WHERE series_id = " + SERIES_ID_SQL
_RANGE = _SERIES + " AND step BETWEEN ? AND ?"
_POINT = "SELECT id, step, timestamp, value, kind"
# The range's first and last step and its size up to a cap, via the index only.
BOUNDS_SQL = (
    f"SELECT (SELECT MIN(step) {_RANGE}), (SELECT MAX(step) {_RANGE}), "
    f"(SELECT COUNT(*) FROM (SELECT 1 AS one {_RANGE} LIMIT ?) capped)"
)
# What choosing needs of each block; then BLOCK_POINTS_SQL fetches the chosen points.
BLOCKS_SQL = (
    "SELECT block, first_step, last_step, nans, min_value, min_kind, max_value, max_kind "
    "FROM metric_blocks WHERE run_uuid = ? AND {key} = ? AND block BETWEEN ? AND ? "
    "ORDER BY block"
)
# Each point as (step, timestamp, value, kind, seq); a NaN point's value is NULL.
_POINT_COLUMNS = {
    name: f"nan_step, nan_timestamp, NULL, {NAN}, nan_seq"
    if name == "nan"
    else f"{name}_step, {name}_timestamp, {name}_value, {name}_kind, {name}_seq"
    for name in BLOCK_POINTS
}
_POINT_OFFSETS = {name: 1 + 5 * index for index, name in enumerate(BLOCK_POINTS)}
BLOCK_POINTS_SQL = (
    f"SELECT block, {', '.join(_POINT_COLUMNS.values())} FROM metric_blocks "
    "WHERE run_uuid = ? AND {key} = ? AND block IN ({marks})"
)
# Kinds tell +-inf (stored as +-DBL_MAX) from finite +-DBL_MAX: see _Cell.
CELL_SQL = (
    "SELECT MIN(value), MAX(value), COUNT(*), COUNT(value), MIN(step), MAX(step), "
    f"MIN(kind), MAX(kind), MAX(CASE WHEN kind = {POS_INF} THEN 1 ELSE 0 END) " + _RANGE
)
FIRST_SQL = f"{_POINT} {_SERIES} AND step = ? ORDER BY timestamp, id LIMIT 1"
LAST_SQL = f"{_POINT} {_SERIES} AND step = ? ORDER BY timestamp DESC, id DESC LIMIT 1"
MATCH_SQL = f"{_POINT} {_RANGE} AND value = ? AND kind = ? ORDER BY step, timestamp, id LIMIT 1"
NAN_SQL = f"{_POINT} {_RANGE} AND value IS NULL ORDER BY step, timestamp, id LIMIT 1"


# --- building the history ------------------------------------------------------------------


def build_history(key: str, rows: Sequence[Row]) -> MetricHistory:
    """The history of (step, timestamp, stored value, kind) rows."""
    return MetricHistory(
        key,
        [row[0] for row in rows],
        [row[1] for row in rows],
        [value if kind == FINITE else decode(value, kind) for _, _, value, kind in rows],
    )


# --- reading ----------------------------------------------------------------------------------


_FROM_BLOCK, _FROM_ROW = 0, 1


class _Chosen(NamedTuple):
    """A point picked for the result. `order` breaks ties of step and timestamp in logging
    order (points of one step come all from summaries or all from rows), and `identity`
    tells points apart: (_FROM_BLOCK, block, seq) or (_FROM_ROW, row id, 0)."""

    step: int
    timestamp: int
    value: float | None
    kind: int
    order: int
    identity: tuple[int, int, int]


_history_order = itemgetter(0, 1, 4)


class _Lookup(NamedTuple):
    """A chosen point of a cell, to be found by a short indexed query."""

    sql: str
    params: tuple[Any, ...]


class _FromBlock(NamedTuple):
    """A chosen point of a block read as its summary: `role` is one of BLOCK_POINTS."""

    block: int
    role: str


# A BLOCKS_SQL row: a block whose points all lie in one bucket.
_BLOCK, _FIRST_STEP, _LAST_STEP, _NANS, _LOW, _LOW_KIND, _HIGH, _HIGH_KIND = range(8)


@dataclass(frozen=True)
class _Cell:
    """The points of one block within one bucket, from CELL_SQL's aggregates."""

    first_step: int  # bounds searched (the row's MIN(step), MAX(step) once read)
    last_step: int
    low: float | None  # lowest and highest stored value: None if all are NaN
    high: float | None
    low_kind: int
    high_kind: int
    nans: int


_Part = Row | _Cell


def _cell(row: Row | None) -> _Cell | None:
    if row is None or not row[2]:
        return None
    low, high, points, numbers, first_step, last_step, least_kind, most_kind, has_pos_inf = row
    # +-inf are stored as +-DBL_MAX: the lowest point is -inf if any, else a finite one if
    # any, else +inf; the highest likewise.
    finite = least_kind == FINITE
    return _Cell(
        first_step=first_step,
        last_step=last_step,
        low=low if numbers else None,
        high=high if numbers else None,
        low_kind=NEG_INF if most_kind == NEG_INF else FINITE if finite else POS_INF,
        high_kind=POS_INF if has_pos_inf else FINITE if finite else NEG_INF,
        nans=points - numbers,
    )


class _Series:
    """The downsampling of one series' range lo..hi (its first and last step)."""

    def __init__(self, statements: DriverSql, run_id: str, key: str, lo: int, hi: int) -> None:
        self.statements = statements
        self.run_id, self.key = run_id, key
        self.lo, self.hi = lo, hi

    def parts(self, starts: list[int]) -> list[list[_Part]]:
        """Per bucket, its blocks (BLOCKS_SQL rows) and cells, in step order."""
        lo, hi, count = self.lo, self.hi, len(starts)
        rows = self.statements.rows(
            BLOCKS_SQL, (self.run_id, self.key, lo >> BLOCK_SHIFT, hi >> BLOCK_SHIFT)
        )
        per_bucket: list[list[_Part | int]] = [[] for _ in starts]  # int: index in cells
        cells: list[tuple[int, int]] = []
        for row in rows:
            first_step, last_step = row[_FIRST_STEP], row[_LAST_STEP]
            first, last = max(first_step, lo), min(last_step, hi)
            if first > last:
                continue  # the block's points lie outside the range
            bucket = bisect_right(starts, first) - 1
            ends_inside = bucket + 1 == count or last < starts[bucket + 1]
            if first == first_step and last == last_step and ends_inside:
                per_bucket[bucket].append(row)
                continue
            while bucket < count and starts[bucket] <= last:
                end = starts[bucket + 1] - 1 if bucket + 1 < count else hi
                per_bucket[bucket].append(len(cells))
                cells.append((max(first, starts[bucket]), min(last, end)))
                bucket += 1
        found = self.statements.first_rows(
            CELL_SQL, [(self.run_id, self.key, a, z) for a, z in cells]
        )
        read = [_cell(row) for row in found]
        return [
            [
                part
                for part in (read[item] if isinstance(item, int) else item for item in parts)
                if part is not None
            ]
            for parts in per_bucket
        ]

    def choose(self, parts: list[_Part]) -> list[_Lookup | _FromBlock]:
        """A bucket's first, last, lowest, highest and first NaN point, or where it is."""
        series = (self.run_id, self.key)
        head, tail = parts[0], parts[-1]
        picks: list[_Lookup | _FromBlock | None] = [
            _Lookup(FIRST_SQL, (*series, head.first_step))
            if isinstance(head, _Cell)
            else _FromBlock(head[_BLOCK], "first"),
            _Lookup(LAST_SQL, (*series, tail.last_step))
            if isinstance(tail, _Cell)
            else _FromBlock(tail[_BLOCK], "last"),
            self._extreme(parts, is_low=True),
            self._extreme(parts, is_low=False),
        ]
        for part in parts:
            if isinstance(part, _Cell):
                if part.nans:
                    picks.append(_Lookup(NAN_SQL, (*series, part.first_step, part.last_step)))
                    break
            elif part[_NANS]:
                picks.append(_FromBlock(part[_BLOCK], "nan"))
                break
        return [pick for pick in picks if pick is not None]

    def _extreme(self, parts: list[_Part], is_low: bool) -> _Lookup | _FromBlock | None:
        best_value, best = 0.0, None
        for part in parts:
            if isinstance(part, _Cell):
                stored, kind = (part.low, part.low_kind) if is_low else (part.high, part.high_kind)
            elif is_low:
                stored, kind = part[_LOW], part[_LOW_KIND]
            else:
                stored, kind = part[_HIGH], part[_HIGH_KIND]
            if stored is None:
                continue  # only NaNs there
            value = stored if kind == FINITE else decode(stored, kind)
            # Strictly better only: on ties the earlier part keeps it.
            if best is None or (value < best_value if is_low else value > best_value):
                best_value, best = value, part
        if best is None:
            return None
        if not isinstance(best, _Cell):
            return _FromBlock(best[_BLOCK], "min" if is_low else "max")
        stored, kind = (best.low, best.low_kind) if is_low else (best.high, best.high_kind)
        params = (self.run_id, self.key, best.first_step, best.last_step, stored, kind)
        return _Lookup(MATCH_SQL, params)

    def block_points(self, wanted: set[_FromBlock]) -> list[_Chosen]:
        """The chosen points of blocks read as summaries."""
        roles: dict[int, list[str]] = {}
        for pick in wanted:
            roles.setdefault(pick.block, []).append(pick.role)
        points = []
        for chunk in chunks(sorted(roles)):
            sql = BLOCK_POINTS_SQL.replace("{marks}", marks(len(chunk)))
            for row in self.statements.rows(sql, (self.run_id, self.key, *chunk)):
                block = row[0]
                for role in roles[block]:
                    start = _POINT_OFFSETS[role]
                    step, timestamp, value, kind, seq = row[start : start + 5]
                    if step is not None:
                        identity = (_FROM_BLOCK, block, seq)
                        points.append(_Chosen(step, timestamp, value, kind, seq, identity))
        return points


def _read_downsampled(
    statements: DriverSql, run_id: str, key: str, lo: int, hi: int, max_points: int
) -> MetricHistory:
    series = _Series(statements, run_id, key, lo, hi)
    chosen: dict[tuple[int, int, int], _Chosen] = {}
    from_blocks: set[_FromBlock] = set()
    lookups: dict[str, list[tuple[Any, ...]]] = {}
    for parts in series.parts(bucket_starts(lo, hi, max_points)):
        if not parts:
            continue
        for pick in series.choose(parts):
            if isinstance(pick, _Lookup):
                lookups.setdefault(pick.sql, []).append(pick.params)
            else:
                from_blocks.add(pick)
    for point in series.block_points(from_blocks):
        chosen[point.identity] = point
    for sql, param_rows in lookups.items():
        for row in statements.first_rows(sql, param_rows):
            if row is not None:
                row_id, step, timestamp, value, kind = row
                identity = (_FROM_ROW, row_id, 0)
                chosen[identity] = _Chosen(step, timestamp, value, kind, row_id, identity)
    ordered = sorted(chosen.values(), key=_history_order)
    return build_history(key, [point[:4] for point in ordered])


def read_history(
    connection: Connection, run_id: str, key: str, request: HistoryRequest
) -> MetricHistory:
    """One series, whole or downsampled; the caller has checked that the run exists."""
    statements = DriverSql(connection)
    try:
        start, end = request.start_step, request.end_step
        if start > end:
            return MetricHistory(key)
        if request.max_points is None:
            return read_whole(statements, run_id, key, start, end)
        cap = request.max_points + 1
        lo, hi, capped = statements.rows(BOUNDS_SQL, (run_id, key, start, end) * 3 + (cap,))[0]
        if lo is None:
            return MetricHistory(key)
        if capped <= request.max_points:
            return read_whole(statements, run_id, key, lo, hi)
        return _read_downsampled(statements, run_id, key, lo, hi, request.max_points)
    finally:
        statements.close()


def require_runs(connection: Connection, run_ids: Sequence[str]) -> None:
    """Raises NotFoundError naming the first of `run_ids` that no run has."""
    statements = DriverSql(connection)
    try:
        for chunk in chunks(run_ids):
            ids = [run_id for run_id in chunk if isinstance(run_id, str)]
            sql = f"SELECT run_uuid FROM runs WHERE run_uuid IN ({marks(len(ids))})"
            known = {row[0] for row in statements.rows(sql, ids)} if ids else set()
            for run_id in chunk:
                if run_id not in known:
                    raise NotFoundError(f"no run with id {run_id!r}")
    finally:
        statements.close()
