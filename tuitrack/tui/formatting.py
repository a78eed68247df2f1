"""Short, stable text for times, durations and metric values (no Textual here)."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime

from tuitrack.core.orphans import Orphan
from tuitrack.entities import RunInfo

CRUMB = "\u203a"
"""Separates the levels of the title line: tuitrack > experiment > run."""


def format_timestamp(ms: int | None) -> str:
    """`2024-05-01 14:03` in UTC, so the same store reads the same on every machine."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def format_timestamp_short(ms: int | None) -> str:
    """`05-01 14:03` (UTC): the runs table's start column, where the year rarely matters."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%m-%d %H:%M")


def format_timestamp_long(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(ms: int | None) -> str:
    """`45s`, `3m12s`, `2h05m`, `3d04h`; `-` when unknown."""
    if ms is None or ms < 0:
        return "-"
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_ago(ms: int | None, now_ms: int) -> str:
    if ms is None:
        return "-"
    return f"{format_duration(max(now_ms - ms, 0))} ago"


def run_duration_ms(info: RunInfo, now_ms: int, orphan: Orphan | None = None) -> int | None:
    """End minus start. A run still going counts up to `now_ms`; an orphaned one (its
    process is gone) only up to its last sign of life, so its duration stops growing."""
    if info.start_time is None:
        return None
    if info.end_time is not None:
        end = info.end_time
    elif orphan is not None and orphan.last_sign_of_life is not None:
        end = orphan.last_sign_of_life
    else:
        end = now_ms
    return end - info.start_time


def format_metric(value: float | None) -> str:
    """Up to 5 significant digits; NaN and infinities spelled out."""
    if value is None:
        return ""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-4):
        return f"{value:.4e}"
    return f"{value:.5g}"


_SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 20) -> str:
    """A one-line chart of `values`, resampled to at most `width` cells; NaN/inf skipped."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(finite) > width:
        # Average the points falling into each cell.
        cells = []
        for i in range(width):
            chunk = finite[i * len(finite) // width : (i + 1) * len(finite) // width]
            cells.append(sum(chunk) / len(chunk))
        finite = cells
    low, high = min(finite), max(finite)
    span = high - low
    if span == 0:
        return _SPARK_BLOCKS[3] * len(finite)
    top = len(_SPARK_BLOCKS) - 1
    return "".join(_SPARK_BLOCKS[round((v - low) / span * top)] for v in finite)


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def short_uri(uri: str) -> str:
    """A store URI for a title line: the home folder written as ~."""
    home = os.path.expanduser("~")
    if home in ("", "/", "~"):
        return uri
    return uri.replace(home + "/", "~/")
