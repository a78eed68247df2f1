"""What a metric chart shows, as plain data: no Textual, no plotext, no store.

Series held in memory, smoothing, x-axis modes, log y, gaps, zoom windows, axis ticks and
colours. `build_chart` turns series and options into lines a plotting backend only has to
draw, so the interactive chart and `tuitrack plot` draw exactly the same thing.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from tuitrack.core.metric_history import MetricHistory
from tuitrack.entities import Metric
from tuitrack.tui.chart_axis import XMode, axis_ticks

Rgb = tuple[int, int, int]
X_MODES: tuple[XMode, ...] = ("step", "time", "relative")
X_MODE_LABELS: dict[XMode, str] = {"step": "step", "time": "wall time", "relative": "relative time"}

# Distinct hues that read on dark and light terminals; runs beyond them reuse them.
PALETTE: tuple[Rgb, ...] = (
    (77, 158, 255),  # blue
    (255, 158, 61),  # orange
    (84, 204, 120),  # green
    (240, 86, 86),  # red
    (184, 125, 255),  # violet
    (232, 208, 72),  # yellow
    (64, 212, 212),  # cyan
    (255, 122, 196),  # pink
    (196, 146, 96),  # brown
    (170, 170, 170),  # grey
)
# How far the raw curve behind a smoothed one is blended into the background.
FAINT_AMOUNT = 0.62
DEFAULT_SMOOTHING = 0.6
SMOOTHING_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
MIN_ZOOM_STEPS = 10
ZOOM_FACTOR = 0.5
PAN_FRACTION = 0.25


# --- colours ----------------------------------------------------------------------------


def series_color(index: int) -> Rgb:
    return PALETTE[index % len(PALETTE)]


def blend(color: Rgb, toward: Rgb, amount: float) -> Rgb:
    """`color` moved `amount` (0..1) of the way to `toward`."""
    r, g, b = (round(c + (t - c) * amount) for c, t in zip(color, toward, strict=True))
    return (r, g, b)


def hex_color(color: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


# --- series held in memory ----------------------------------------------------------------


@dataclass
class SeriesPoints:
    """One metric series of one run, by step: parallel lists (cheap to append and slice)."""

    steps: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    @classmethod
    def from_metrics(cls, metrics: Iterable[Metric]) -> SeriesPoints:
        points = cls()
        points.extend_metrics(metrics)
        return points

    @classmethod
    def from_history(cls, history: MetricHistory) -> SeriesPoints:
        """The history's columns as they are, without building its Metric objects."""
        return cls(history.steps.tolist(), history.timestamps.tolist(), history.values.tolist())

    def extend_metrics(self, metrics: Iterable[Metric]) -> None:
        for metric in metrics:
            self.steps.append(metric.step)
            self.timestamps.append(metric.timestamp)
            self.values.append(metric.value)

    def extend(self, other: SeriesPoints) -> None:
        self.steps.extend(other.steps)
        self.timestamps.extend(other.timestamps)
        self.values.extend(other.values)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def first_step(self) -> int | None:
        return self.steps[0] if self.steps else None

    @property
    def last_step(self) -> int | None:
        return self.steps[-1] if self.steps else None

    @property
    def last_value(self) -> float | None:
        return self.values[-1] if self.values else None

    def within(self, window: StepWindow | None) -> SeriesPoints:
        """The points with window.lo <= step <= window.hi (steps are sorted)."""
        if window is None:
            return self
        start = bisect_left(self.steps, window.lo)
        end = bisect_right(self.steps, window.hi)
        return SeriesPoints(
            self.steps[start:end], self.timestamps[start:end], self.values[start:end]
        )


# --- smoothing ------------------------------------------------------------------------------


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with the start-up bias removed (as TensorBoard draws it).

    The running average starts at 0 and is divided by 1 - weight**n after n finite values,
    so the first points are not pulled towards zero. NaN and +-inf pass through unchanged
    and leave the average alone, so gaps stay gaps. `weight` is in [0, 1); 0 returns the
    values as they are.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
    if weight == 0:
        return list(values)
    smoothed: list[float] = []
    average = 0.0
    decay = 1.0  # weight ** (finite values seen)
    for value in values:
        if not math.isfinite(value):
            smoothed.append(value)
            continue
        average = average * weight + (1 - weight) * value
        decay *= weight
        smoothed.append(average / (1 - decay))
    return smoothed


def next_smoothing(current: float, direction: int) -> float:
    """The next stronger (+1) or weaker (-1) smoothing level, staying within the levels."""
    levels = SMOOTHING_LEVELS
    if direction > 0:
        return next((level for level in levels if level > current + 1e-9), levels[-1])
    return next((level for level in reversed(levels) if level < current - 1e-9), levels[0])


# --- axes, gaps and log y --------------------------------------------------------------------


def x_values(points: SeriesPoints, mode: XMode, origin_ms: int | None = None) -> list[float]:
    """Steps; seconds since the epoch; or seconds since `origin_ms` (the run's start)."""
    if mode == "step":
        return [float(step) for step in points.steps]
    if mode == "time":
        return [stamp / 1000 for stamp in points.timestamps]
    origin = origin_ms if origin_ms is not None else min(points.timestamps, default=0)
    return [(stamp - origin) / 1000 for stamp in points.timestamps]


def mask_non_positive(values: Sequence[float]) -> tuple[list[float], int]:
    """For a log axis: values <= 0 become NaN (gaps); also returns how many there were."""
    masked = [value if value > 0 else math.nan for value in values]
    hidden = sum(1 for value in values if value <= 0)
    return masked, hidden


def segments(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[list[float], list[float]]]:
    """The runs of finite y between NaN/inf: each is drawn as its own line, so the
    non-finite points show as gaps."""
    pieces: list[tuple[list[float], list[float]]] = []
    current_x: list[float] = []
    current_y: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(y):
            current_x.append(x)
            current_y.append(y)
        elif current_x:
            pieces.append((current_x, current_y))
            current_x, current_y = [], []
    if current_x:
        pieces.append((current_x, current_y))
    return pieces


def reduce_to_columns(
    xs: Sequence[float], ys: Sequence[float], lo: float, hi: float, columns: int
) -> tuple[list[float], list[float]]:
    """At most four points per drawing column (its first, lowest, highest and last), in x
    order: a line through them covers the same pixels as one through every point.

    Drawing cost grows with points, so lines are cut to what the canvas can show.
    """
    if len(xs) <= 4 * columns or hi <= lo or columns < 1:
        return list(xs), list(ys)
    scale = columns / (hi - lo)
    out_x: list[float] = []
    out_y: list[float] = []
    start = 0
    count = len(xs)
    while start < count:
        column = math.floor((xs[start] - lo) * scale)
        end = start + 1
        while end < count and math.floor((xs[end] - lo) * scale) == column:
            end += 1
        chosen = {start, end - 1}
        bucket = range(start, end)
        chosen.add(min(bucket, key=ys.__getitem__))
        chosen.add(max(bucket, key=ys.__getitem__))
        for index in sorted(chosen):
            out_x.append(xs[index])
            out_y.append(ys[index])
        start = end
    return out_x, out_y


# --- zoom -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepWindow:
    """An inclusive step range."""

    lo: int
    hi: int

    @property
    def width(self) -> int:
        return self.hi - self.lo


def extent_of(series: Iterable[SeriesPoints]) -> StepWindow | None:
    """The step range all the series span together, or None when none has a point."""
    firsts = [s.first_step for s in series if s.first_step is not None]
    lasts = [s.last_step for s in series if s.last_step is not None]
    if not firsts or not lasts:
        return None
    return StepWindow(min(firsts), max(lasts))


def _placed(lo: float, width: float, extent: StepWindow) -> StepWindow | None:
    """A window of `width` starting at `lo`, shifted inside `extent`; None if it covers it."""
    if width >= extent.width:
        return None
    lo = min(max(lo, extent.lo), extent.hi - width)
    start = round(lo)
    return StepWindow(start, start + round(width))


def zoom_window(
    window: StepWindow | None,
    extent: StepWindow | None,
    factor: float,
    min_width: int = MIN_ZOOM_STEPS,
) -> StepWindow | None:
    """The window `factor` times as wide around the same centre (<1 zooms in), kept inside
    `extent` and at least `min_width` steps wide; None means the whole extent."""
    if extent is None:
        return window
    current = window or extent
    width = max(current.width * factor, min(min_width, extent.width))
    centre = (current.lo + current.hi) / 2
    return _placed(centre - width / 2, width, extent)


def pan_window(
    window: StepWindow | None, extent: StepWindow | None, fraction: float
) -> StepWindow | None:
    """The window moved by `fraction` of its width (negative: left), kept inside `extent`."""
    if window is None or extent is None:
        return window
    return _placed(window.lo + window.width * fraction, window.width, extent)


# --- the chart ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartOptions:
    x_mode: XMode = "step"
    smoothing: float = DEFAULT_SMOOTHING
    """EMA weight used while `smooth` is on."""
    smooth: bool = True
    log_y: bool = False

    def toggled_smoothing(self) -> ChartOptions:
        return replace(self, smooth=not self.smooth)

    def adjusted_smoothing(self, direction: int) -> ChartOptions:
        return replace(self, smooth=True, smoothing=next_smoothing(self.smoothing, direction))

    def next_x_mode(self) -> ChartOptions:
        index = X_MODES.index(self.x_mode)
        return replace(self, x_mode=X_MODES[(index + 1) % len(X_MODES)])

    def toggled_log_y(self) -> ChartOptions:
        return replace(self, log_y=not self.log_y)

    def describe(self) -> str:
        parts = [X_MODE_LABELS[self.x_mode]]
        parts.append(f"smooth {self.smoothing:g}" if self.smooth else "raw")
        if self.log_y:
            parts.append("log y")
        return " · ".join(parts)


@dataclass(frozen=True)
class SeriesInput:
    """One curve to draw: a run's series of the chart's metric."""

    label: str
    color: Rgb
    points: SeriesPoints
    origin_ms: int | None = None
    """The run's start, for relative time."""


@dataclass(frozen=True)
class ChartLine:
    xs: list[float]
    ys: list[float]
    color: Rgb
    faint: bool = False
    series: int = 0
    """Which input series the line belongs to."""


@dataclass(frozen=True)
class ChartSpec:
    """Everything to draw one chart; a backend draws the lines in order (faint first)."""

    title: str
    lines: tuple[ChartLine, ...]
    x_range: tuple[float, float] | None
    x_ticks: tuple[float, ...]
    x_labels: tuple[str, ...]
    log_y: bool
    hidden_points: int = 0
    """Points a log axis cannot show (values <= 0)."""

    @property
    def empty(self) -> bool:
        return not self.lines


def _widened(lo: float, hi: float) -> tuple[float, float]:
    if hi > lo:
        return lo, hi
    pad = max(abs(lo) * 0.01, 0.5)
    return lo - pad, hi + pad


def build_chart(
    title: str,
    series: Sequence[SeriesInput],
    options: ChartOptions,
    *,
    window: StepWindow | None = None,
    columns: int = 80,
    background: Rgb = (0, 0, 0),
    faint_raw: bool = True,
) -> ChartSpec:
    """The lines of one chart `columns` cells wide (two drawing columns per cell).

    Smoothing runs over every held point before the window clips them, so a zoomed curve
    keeps the context it had; the raw curve is drawn faint behind a smoothed one.
    """
    raw_lines: list[ChartLine] = []
    main_lines: list[ChartLine] = []
    hidden = 0
    x_lo, x_hi = math.inf, -math.inf
    prepared: list[tuple[SeriesInput, list[float], list[float], list[float] | None]] = []
    for item in series:
        smoothed = ema(item.points.values, options.smoothing) if options.smooth else None
        shown = item.points.within(window)
        offset = bisect_left(item.points.steps, window.lo) if window else 0
        xs = x_values(shown, options.x_mode, item.origin_ms)
        raw = shown.values
        smooth = smoothed[offset : offset + len(shown)] if smoothed is not None else None
        if options.log_y:
            raw, count = mask_non_positive(raw)
            hidden += count
            if smooth is not None:
                smooth, _ = mask_non_positive(smooth)
        if xs:
            x_lo, x_hi = min(x_lo, *xs), max(x_hi, *xs)
        prepared.append((item, xs, list(raw), smooth))
    if window is not None and options.x_mode == "step":
        x_lo, x_hi = float(window.lo), float(window.hi)
    if x_lo > x_hi:
        return ChartSpec(title, (), None, (), (), options.log_y, hidden)
    x_lo, x_hi = _widened(x_lo, x_hi)
    drawing_columns = max(columns * 2, 2)
    for index, (item, xs, raw, smooth) in enumerate(prepared):
        span = (x_lo, x_hi, drawing_columns, index)
        if smooth is None:
            main_lines.extend(_lines(xs, raw, item.color, *span))
            continue
        if faint_raw:
            faint = blend(item.color, background, FAINT_AMOUNT)
            raw_lines.extend(_lines(xs, raw, faint, *span, is_faint=True))
        main_lines.extend(_lines(xs, smooth, item.color, *span))
    ticks, labels = axis_ticks(x_lo, x_hi, options.x_mode, columns)
    return ChartSpec(
        title=title,
        lines=tuple(raw_lines + main_lines),
        x_range=(x_lo, x_hi),
        x_ticks=tuple(ticks),
        x_labels=tuple(labels),
        log_y=options.log_y,
        hidden_points=hidden,
    )


def _lines(
    xs: list[float],
    ys: list[float],
    color: Rgb,
    lo: float,
    hi: float,
    columns: int,
    series: int,
    *,
    is_faint: bool = False,
) -> list[ChartLine]:
    lines = []
    for seg_x, seg_y in segments(xs, ys):
        reduced_x, reduced_y = reduce_to_columns(seg_x, seg_y, lo, hi, columns)
        lines.append(ChartLine(reduced_x, reduced_y, color, is_faint, series))
    return lines
