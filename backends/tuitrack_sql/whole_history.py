"""Every point of a metric's step range, read from its packed chunks (packed.py).

A whole read sizes the range's chunks first. Chunks in history order (the usual case:
steps logged rising) are then read one by one and their unpacked columns appended to the
MetricHistory's (24 bytes a point; each chunk's bytes dropped once appended), with no
Metric built until the caller asks for one. Other chunks are read into the same columns
(only the range's points) and sorted. SQLite hands the chunks over as they are read;
PostgreSQL's and MySQL's drivers receive the whole result first (24 bytes a point more).

A streamed read cuts the range into windows of steps holding about WINDOW_POINTS points
each, planned from the chunks' step bounds and point counts (plan_windows), and reads each
window as a list read in a transaction of its own: its memory is one window's, whatever the
series' length. A window is at least one step, so a step holding more points than that is
read whole.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from tuitrack.core.metric_history import MetricHistory
from tuitrack.entities import Metric
from tuitrack_sql.packed import CHUNK_POINTS, ChunkRow, chunk_arrays
from tuitrack_sql.statements import SERIES_ID_SQL
from tuitrack_sqlkit.driver_sql import DriverSql

# Points per window of a streamed read: 16 full chunks, 1.5 MB of columns.
WINDOW_POINTS = 16 * CHUNK_POINTS

_IN_RANGE = (
    f"FROM metric_chunks WHERE series_id = {SERIES_ID_SQL} AND last_step >= ? AND first_step <= ?"
)
# The chunks that may hold points of a step range, in logging order (see packed.py).
CHUNKS_SQL = (
    "SELECT first_step, last_step, nans, in_order, step_bytes, timestamp_bytes, value_bytes "
    f"{_IN_RANGE} ORDER BY chunk_id"
)
# The same chunks' step bounds, order and sizes, without their points.
CHUNK_SIZES_SQL = f"SELECT first_step, last_step, in_order, points {_IN_RANGE} ORDER BY chunk_id"

ChunkSize = tuple[int, int, int, int]  # first_step, last_step, in_order, points


def _in_order(previous_last: int | None, first: int, in_order: int) -> bool:
    """Whether a chunk's points, after those of chunks ending at previous_last, keep history
    order."""
    return bool(in_order) and (previous_last is None or first > previous_last)


def _ordered(sizes: Sequence[ChunkSize]) -> bool:
    """Whether the chunks' points, in chunk order, are in history order already."""
    previous_last = None
    for first, last, in_order, _points in sizes:
        if not _in_order(previous_last, first, in_order):
            return False
        previous_last = last
    return True


def _read_ordered(key: str, rows: Iterable[ChunkRow], lo: int, hi: int) -> MetricHistory | None:
    """The points of chunks in history order, appended to the columns as each chunk is
    read; None if a chunk breaks the order (another writer changed them since they were
    sized)."""
    steps, times, values = array("q"), array("q"), array("d")
    previous_last = None
    for first, last, _nans, in_order, *packed in rows:
        if not _in_order(previous_last, first, in_order):
            return None
        previous_last = last
        chunk_steps, chunk_times, chunk_values = chunk_arrays(*packed)
        if first < lo or last > hi:
            start, end = bisect_left(chunk_steps, lo), bisect_right(chunk_steps, hi)
            chunk_steps, chunk_times = chunk_steps[start:end], chunk_times[start:end]
            chunk_values = chunk_values[start:end]
        steps += chunk_steps
        times += chunk_times
        values += chunk_values
    return MetricHistory(key, steps, times, values)


def _read_sorted(key: str, rows: Iterable[ChunkRow], lo: int, hi: int) -> MetricHistory:
    """Chunks that overlap or hold points out of order: a stable sort by (step, time) of the
    points in logging order keeps logging order for ties. Only the points in lo..hi are
    kept of each chunk as it is read."""
    step_column, time_column, value_column = array("q"), array("q"), array("d")
    for first, last, _nans, _in_order, *packed in rows:
        steps, times, values = chunk_arrays(*packed)
        if first < lo or last > hi:
            keep = [i for i, step in enumerate(steps) if lo <= step <= hi]
            steps = array("q", map(steps.__getitem__, keep))
            times = array("q", map(times.__getitem__, keep))
            values = array("d", map(values.__getitem__, keep))
        step_column += steps
        time_column += times
        value_column += values
    steps_list, times_list = step_column.tolist(), time_column.tolist()
    order = list(range(len(steps_list)))
    order.sort(key=times_list.__getitem__)
    order.sort(key=steps_list.__getitem__)
    del steps_list, times_list
    return MetricHistory(key, step_column, time_column, value_column).pick(order)


def read_whole(statements: DriverSql, run_id: str, key: str, lo: int, hi: int) -> MetricHistory:
    """Every point with lo <= step <= hi, in history order (step, timestamp, logging order)."""
    params = (run_id, key, lo, hi)
    sizes: list[ChunkSize] = [tuple(row) for row in statements.rows(CHUNK_SIZES_SQL, params)]
    if _ordered(sizes):
        read = _read_ordered(key, statements.stream(CHUNKS_SQL, params), lo, hi)
        if read is not None:
            return read
    return _read_sorted(key, statements.stream(CHUNKS_SQL, params), lo, hi)


def plan_windows(
    chunks: Sequence[tuple[int, int, int]], lo: int, hi: int, points: int = WINDOW_POINTS
) -> list[tuple[int, int]]:
    """Step windows covering every point of the chunks (first_step, last_step, points) in
    lo..hi, each holding about `points` points if a chunk's points are spread evenly over its
    steps (exact for chunks logged in step order)."""
    # step -> (change of points per step, change of chunks) from that step on
    changes: dict[int, tuple[float, int]] = {}
    for first, last, size in chunks:
        start, end = max(first, lo), min(last, hi)
        if start > end:
            continue
        density = size / (last - first + 1)
        more, opened = changes.get(start, (0.0, 0))
        changes[start] = (more + density, opened + 1)
        less, closed = changes.get(end + 1, (0.0, 0))
        changes[end + 1] = (less - density, closed - 1)
    if not changes:
        return []
    steps = sorted(changes)
    windows: list[tuple[int, int]] = []
    window_start, step, density, filled, active = steps[0], steps[0], 0.0, 0.0, 0
    for next_step in steps:
        while density > 0 and filled + density * (next_step - step) >= points:
            # The window ends where it reaches `points`, after at least one step.
            end = max(step + math.ceil((points - filled) / density), window_start + 1)
            windows.append((window_start, end - 1))
            window_start, step, filled = end, end, 0.0
        filled += density * (next_step - step)
        step = next_step
        change, count = changes[next_step]
        active += count
        density = density + change if active else 0.0  # no rounding left over in gaps
    if window_start < steps[-1]:
        windows.append((window_start, steps[-1] - 1))
    return windows


def chunk_sizes(
    statements: DriverSql, run_id: str, key: str, lo: int, hi: int
) -> list[tuple[int, int, int]]:
    """(first_step, last_step, points) of each chunk that may hold points of lo..hi."""
    return [
        (first, last, size)
        for first, last, _in_order, size in statements.rows(CHUNK_SIZES_SQL, (run_id, key, lo, hi))
    ]


def history_windows(
    connection: Connection, run_id: str, key: str, lo: int, hi: int
) -> list[tuple[int, int]]:
    """The windows of a streamed read of lo..hi (none when the range holds no chunk)."""
    if lo > hi:
        return []
    statements = DriverSql(connection)
    try:
        return plan_windows(chunk_sizes(statements, run_id, key, lo, hi), lo, hi)
    finally:
        statements.close()


def stream_windows(
    read: Callable[[], AbstractContextManager[Connection]],
    run_id: str,
    key: str,
    windows: Sequence[tuple[int, int]],
) -> Iterator[Metric]:
    """The points of each window in turn, each window read by a transaction of its own."""
    for window_start, window_end in windows:
        with read() as connection:
            statements = DriverSql(connection)
            try:
                points = read_whole(statements, run_id, key, window_start, window_end)
            finally:
                statements.close()
        yield from points
        del points
