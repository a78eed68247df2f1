"""Metric points packed column-wise into chunks (schema.metric_chunks), for whole reads.

A chunk holds up to CHUNK_POINTS points of one series, in logging order (a batch's points,
or several small batches' while the series' last chunk is open, see chunk_write.py): their
steps and timestamps as little-endian int64 and their values as little-endian float64 (NaN
and +-inf included, exactly). Reading a whole history then costs a few rows and
C-level unpacking instead of one driver row per point, the cost that dominated it.
History order is (step, timestamp, logging order); logging order is chunk order, then the
order within a chunk.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import le, lt
from typing import Any, NamedTuple

# 4096 x 8 bytes = 32 KiB per column: within MySQL's BLOB (64 KiB).
CHUNK_POINTS = 4096
# A series' last chunk with fewer points is still open: the next batch rewrites it with its
# own points appended, so that a run logging a point at a time does not leave a chunk per
# point. Small, to bound what each batch rewrites.
OPEN_BELOW = 128
_SWAP = sys.byteorder != "little"


class Chunk(NamedTuple):
    """One metric_chunks row, without its id (the database numbers chunks in insert order)."""

    series_id: int
    first_step: int
    last_step: int
    points: int
    nans: int
    in_order: int  # 1 when the chunk's points are already in history order
    step_bytes: bytes
    timestamp_bytes: bytes
    value_bytes: bytes


CHUNK_COLUMNS = Chunk._fields


def _packed(code: str, items: Sequence[Any]) -> bytes:
    packed = array(code, items)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _order_and_bounds(steps: Sequence[int], times: Sequence[int]) -> tuple[bool, int, int]:
    """Whether the points are in history order already, and their lowest and highest step."""
    if all(map(lt, steps, islice(steps, 1, None))):
        return True, steps[0], steps[-1]
    pairs = list(zip(steps, times, strict=True))
    return all(map(le, pairs, islice(pairs, 1, None))), min(steps), max(steps)


def pack(
    series_id: int,
    steps: Sequence[int],
    times: Sequence[int],
    values: Sequence[float],
    finite: bool = False,
) -> list[Chunk]:
    """Chunks of one series' points, given in logging order (values as floats; `finite`
    promises that none is NaN)."""
    chunks = []
    for start in range(0, len(steps), CHUNK_POINTS):
        end = start + CHUNK_POINTS
        some_steps, some_times = steps[start:end], times[start:end]
        some_values = values[start:end]
        in_order, first, last = _order_and_bounds(some_steps, some_times)
        chunks.append(
            Chunk(
                series_id,
                first,
                last,
                len(some_steps),
                0 if finite else sum(map(math.isnan, some_values)),
                int(in_order),
                _packed("q", some_steps),
                _packed("q", some_times),
                _packed("d", some_values),
            )
        )
    return chunks


class Columns(NamedTuple):
    steps: list[int]
    times: list[int]
    values: list[float]


# (first_step, last_step, nans, in_order, step_bytes, timestamp_bytes, value_bytes)
ChunkRow = tuple[int, int, int, int, bytes, bytes, bytes]


def _array(code: str, packed: bytes) -> array[Any]:
    items = array(code)
    items.frombytes(packed)
    if _SWAP:
        items.byteswap()
    return items


def logged(step_bytes: bytes, timestamp_bytes: bytes, value_bytes: bytes) -> Columns:
    """Packed points (one chunk, or several joined in chunk order) in logging order."""
    return Columns(
        _array("q", step_bytes).tolist(),
        _array("q", timestamp_bytes).tolist(),
        _array("d", value_bytes).tolist(),
    )


def unpack(rows: Iterable[ChunkRow], lo: int, hi: int) -> Columns:
    """The points of chunks (in chunk order) whose step lies in [lo, hi], in history order."""
    step_parts, time_parts, value_parts = [], [], []
    ordered, previous_last, nans = True, None, 0
    for first, last, chunk_nans, in_order, step_bytes, timestamp_bytes, value_bytes in rows:
        nans += chunk_nans
        step_parts.append(step_bytes)
        time_parts.append(timestamp_bytes)
        value_parts.append(value_bytes)
        if not in_order or (previous_last is not None and first <= previous_last):
            ordered = False
        previous_last = last if previous_last is None else max(last, previous_last)
    steps, times, values = logged(b"".join(step_parts), b"".join(time_parts), b"".join(value_parts))
    if nans:  # one NaN object, as the row path returns: equal histories compare equal
        values = [math.nan if math.isnan(value) else value for value in values]
    if ordered:
        start, end = bisect_left(steps, lo), bisect_right(steps, hi)
        if start == 0 and end == len(steps):
            return Columns(steps, times, values)
        return Columns(steps[start:end], times[start:end], values[start:end])
    # Chunks overlap or hold points out of order: a stable sort keeps logging order for ties.
    keys = list(zip(steps, times, strict=True))
    order = [i for i in sorted(range(len(keys)), key=keys.__getitem__) if lo <= keys[i][0] <= hi]
    return Columns(
        list(map(steps.__getitem__, order)),
        list(map(times.__getitem__, order)),
        list(map(values.__getitem__, order)),
    )
