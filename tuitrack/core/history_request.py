"""What a metric history read asks for, and the contract's downsampling bucket rule.

Every store validates `get_metric_history`'s arguments with HistoryRequest.of and, when it
downsamples, cuts the steps into the buckets bucket_starts() gives, so that every backend
returns the same points (see TrackingStore.get_metric_history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tuitrack.core.validation import INT64_MAX, INT64_MIN
from tuitrack.errors import InvalidValueError

POINTS_PER_BUCKET = 5  # first, last, min, max, first NaN
MIN_MAX_POINTS = POINTS_PER_BUCKET
# A larger budget means every point of any real series; the cap keeps SQL arithmetic in range.
MAX_POINTS_BUDGET = 2**31 - 1
# Long ranges are cut at the edges of blocks of 2**BUCKET_BLOCK_SHIFT (256) steps.
BUCKET_BLOCK_SHIFT = 8


def _step_bound(value: int | None, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{name} must be an integer or None, got {value!r}")
    return min(max(value, INT64_MIN), INT64_MAX)


@dataclass(frozen=True)
class HistoryRequest:
    """A validated step range and points budget (None: every point)."""

    start_step: int
    end_step: int
    max_points: int | None

    @classmethod
    def of(
        cls, start_step: int | None, end_step: int | None, max_points: int | None
    ) -> HistoryRequest:
        """Raises InvalidValueError for a step bound that is not an integer or None, or a
        max_points that is not None or an integer of at least MIN_MAX_POINTS."""
        if max_points is not None and (
            isinstance(max_points, bool)
            or not isinstance(max_points, int)
            or max_points < MIN_MAX_POINTS
        ):
            raise InvalidValueError(
                f"max_points must be None (every point) or an integer of at least "
                f"{MIN_MAX_POINTS} (a bucket's first, last, min, max and NaN), got {max_points!r}"
            )
        return cls(
            _step_bound(start_step, "start_step", INT64_MIN),
            _step_bound(end_step, "end_step", INT64_MAX),
            None if max_points is None else min(max_points, MAX_POINTS_BUDGET),
        )


def unique_names(names: Sequence[str] | str) -> list[str]:
    """Names in first-seen order without repeats; a lone string is one name."""
    return [names] if isinstance(names, str) else list(dict.fromkeys(names))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bucket_starts(lo: int, hi: int, max_points: int) -> list[int]:
    """The first step of each bucket of a downsampled range whose points span lo..hi.

    With `max_points // 5` buckets wanted and the range touching at least that many blocks
    of 256 steps, the blocks are shared out evenly: block k of the range (counted from 0)
    goes to bucket k * buckets // blocks. Otherwise the range is cut into buckets of
    ceil((hi - lo + 1) / buckets) steps from lo.
    """
    buckets = max_points // POINTS_PER_BUCKET
    first_block = lo >> BUCKET_BLOCK_SHIFT
    blocks = (hi >> BUCKET_BLOCK_SHIFT) - first_block + 1
    if blocks >= buckets:
        starts = [
            (first_block + _ceil_div(i * blocks, buckets)) << BUCKET_BLOCK_SHIFT
            for i in range(buckets)
        ]
        starts[0] = lo
        return starts
    return list(range(lo, hi + 1, _ceil_div(hi - lo + 1, buckets)))
