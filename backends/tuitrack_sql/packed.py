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
from collections.abc import Sequence
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


def chunk_arrays(
    step_bytes: bytes, timestamp_bytes: bytes, value_bytes: bytes
) -> tuple[array[int], array[int], array[float]]:
    """A chunk's packed points, in logging order, as arrays (8 bytes a number)."""
    return _array("q", step_bytes), _array("q", timestamp_bytes), _array("d", value_bytes)


def logged(step_bytes: bytes, timestamp_bytes: bytes, value_bytes: bytes) -> Columns:
    """A chunk's packed points in logging order."""
    steps, times, values = chunk_arrays(step_bytes, timestamp_bytes, value_bytes)
    return Columns(steps.tolist(), times.tolist(), values.tolist())
