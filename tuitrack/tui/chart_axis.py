"""X-axis ticks and labels for steps, wall time and time since a run started."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

XMode = Literal["step", "time", "relative"]


def nice_ticks(lo: float, hi: float, count: int) -> list[float]:
    """About `count` round numbers (1, 2, 2.5 or 5 times a power of ten) within [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or count < 2:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / (count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    index = 0
    while (tick := first + index * step) <= hi + step * 1e-9:
        ticks.append(round(tick, 12))
        index += 1
    return ticks


# Round spans for time axes, in seconds.
_TIME_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800, 2592000,
)  # fmt: skip


def time_ticks(lo: float, hi: float, count: int) -> list[float]:
    """Ticks at round time intervals (5 min, 1 h, 1 day...) within [lo, hi] seconds."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or count < 2:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / (count - 1)
    step = next((s for s in _TIME_STEPS if s >= raw), None)
    if step is None:  # longer than a month a tick: plain round numbers of days
        return [d * 86400 for d in nice_ticks(lo / 86400, hi / 86400, count)]
    first = math.ceil(lo / step) * step
    return [float(t) for t in range(int(first), int(hi) + 1, step)]


def format_step(step: float) -> str:
    """`950`, `12k`, `1.5M`: short enough for an axis."""
    magnitude = abs(step)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{step / size:.4g}{suffix}"
    return f"{step:.4g}"


def format_clock(seconds: float, span: float) -> str:
    """UTC wall time: `14:05`, `14:05:30` for short spans, `06-14 14:05` across days."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    if span >= 86400:
        return moment.strftime("%m-%d %H:%M")
    if span < 300:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%H:%M")


def format_elapsed(seconds: float) -> str:
    """Time since the run started: `45s`, `12m`, `1h30m`, `2d4h`."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    if total < 60:
        return f"{sign}{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{sign}{minutes}m{secs:02d}s" if secs else f"{sign}{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours}h{minutes:02d}m" if minutes else f"{sign}{hours}h"
    days, hours = divmod(hours, 24)
    return f"{sign}{days}d{hours}h" if hours else f"{sign}{days}d"


def axis_ticks(lo: float, hi: float, mode: XMode, width: int) -> tuple[list[float], list[str]]:
    """Tick positions and labels for an x axis `width` cells wide."""
    label_width = {"step": 6, "time": 11 if hi - lo >= 86400 else 8, "relative": 6}[mode]
    count = max(2, min(8, width // (label_width + 4)))
    if mode == "step":
        ticks = nice_ticks(lo, hi, count)
        return ticks, [format_step(t) for t in ticks]
    if mode == "time":
        ticks = time_ticks(lo, hi, count)
        return ticks, [format_clock(t, hi - lo) for t in ticks]
    ticks = time_ticks(lo, hi, count)
    return ticks, [format_elapsed(t) for t in ticks]
