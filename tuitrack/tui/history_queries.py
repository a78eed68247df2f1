"""What the chart and compare views ask the store, as blocking calls for thread workers.

No Textual here. Histories are always read downsampled by the store (`max_points`), sized
to the chart's width, so a 1M-point metric costs the same to draw as a 1k-point one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from tuitrack.entities import Run, RunStatus
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.charting import SeriesPoints, StepWindow
from tuitrack.tui.compare_model import MetricStats, extreme_steps

SeriesKey = tuple[str, str]
"""(run_id, metric key)"""

# Points asked of the store per cell of chart width: the store keeps five per step bucket
# (first, last, min, max, NaN), so four is about one bucket per cell. Overlaid curves get
# fewer each: one curve among many shows less of its detail, and drawing costs per point.
POINTS_PER_CELL = 4
MIN_POINTS_PER_CELL = 2
MIN_POINTS = 100
MAX_POINTS = 4000
# A single bucket holds a series' first, last, lowest and highest point: exact min/max.
STATS_POINTS = 5
MAX_COMPARE_RUNS = 50


def points_budget(width_cells: int, curves: int = 1) -> int:
    """max_points per series for a chart `width_cells` wide overlaying `curves` series:
    4 per cell for one or two curves, 3 for up to four, 2 beyond."""
    per_cell = max(MIN_POINTS_PER_CELL, POINTS_PER_CELL - max(curves - 1, 0) // 2)
    return max(MIN_POINTS, min(MAX_POINTS, per_cell * width_cells))


@dataclass(frozen=True)
class ChartRun:
    run_id: str
    name: str
    experiment_id: str
    status: RunStatus
    start_time: int | None
    metric_keys: tuple[str, ...]

    @property
    def live(self) -> bool:
        return self.status is RunStatus.RUNNING

    @classmethod
    def of(cls, run: Run) -> ChartRun:
        info = run.info
        return cls(
            run_id=info.run_id,
            name=info.run_name or info.run_id[:8],
            experiment_id=info.experiment_id,
            status=info.status,
            start_time=info.start_time,
            metric_keys=tuple(sorted(run.data.metrics)),
        )


def load_chart_runs(client: TrackingClient, run_ids: Sequence[str]) -> list[ChartRun]:
    """The runs, in the order given, once each. Raises NotFoundError for an unknown id."""
    return [ChartRun.of(client.get_run(run_id)) for run_id in dict.fromkeys(run_ids)]


def default_metric_keys(runs: Sequence[ChartRun], limit: int = 1) -> tuple[str, ...]:
    """The metrics most of the runs have (alphabetical among equals)."""
    counts = Counter(key for run in runs for key in run.metric_keys)
    return tuple(sorted(counts, key=lambda key: (-counts[key], key))[:limit])


def chartable_keys(requested: Sequence[str], runs: Sequence[ChartRun]) -> tuple[str, ...]:
    """The requested metrics that at least one of the runs has logged; when none of them
    is, the metric most of the runs have (none when they have logged no metrics)."""
    logged = {key for run in runs for key in run.metric_keys}
    found = tuple(key for key in requested if key in logged)
    return found or default_metric_keys(runs)


def fetch_series(
    client: TrackingClient,
    run_ids: Sequence[str],
    keys: Sequence[str],
    max_points: int,
    window: StepWindow | None = None,
) -> dict[SeriesKey, SeriesPoints]:
    """Every (run, key) series within `window` (whole when None), downsampled in the store."""
    histories = client.get_metric_histories(
        list(run_ids),
        list(keys),
        max_points=max_points,
        start_step=window.lo if window else None,
        end_step=window.hi if window else None,
    )
    return {pair: SeriesPoints.from_history(points) for pair, points in histories.items()}


def fetch_new_points(
    client: TrackingClient, last_steps: Mapping[SeriesKey, int | None], max_points: int
) -> dict[SeriesKey, SeriesPoints]:
    """Only the points logged after each series' last step held (all of a new series)."""
    fresh: dict[SeriesKey, SeriesPoints] = {}
    for (run_id, key), last in last_steps.items():
        start = None if last is None else last + 1
        points = client.get_metric_history(run_id, key, start_step=start, max_points=max_points)
        if points:
            fresh[run_id, key] = SeriesPoints.from_history(points)
    return fresh


@dataclass(frozen=True)
class CompareData:
    runs: tuple[Run, ...]
    experiment_names: dict[str, str]
    stats: dict[SeriesKey, MetricStats]
    """Latest, min and max of every metric, as the store keeps them; no steps yet."""
    last_activity: dict[str, int] = field(default_factory=dict)
    """The RUNNING runs' latest metric times, which orphan verdicts are judged by."""


def load_compare_runs(client: TrackingClient, run_ids: Sequence[str]) -> CompareData:
    """The runs (at most 50, in the order given, once each), their experiments' names and
    their metric summaries. Raises InvalidValueError for no runs or too many,
    NotFoundError for an unknown id."""
    ids = list(dict.fromkeys(run_ids))
    if not 1 <= len(ids) <= MAX_COMPARE_RUNS:
        raise InvalidValueError(f"compare takes 1 to {MAX_COMPARE_RUNS} runs, got {len(ids)}")
    runs = tuple(client.get_run(run_id) for run_id in ids)
    names = {
        experiment_id: client.get_experiment(experiment_id).name
        for experiment_id in dict.fromkeys(run.info.experiment_id for run in runs)
    }
    stats = {
        (run_id, summary.key): MetricStats(summary.latest, summary.min_value, summary.max_value)
        for run_id in ids
        for summary in client.store.get_metric_summaries(run_id)
    }
    running = [run.info.run_id for run in runs if run.info.status is RunStatus.RUNNING]
    activity = client.store.last_activity_times(running) if running else {}
    return CompareData(runs, names, stats, activity)


def with_best_steps(client: TrackingClient, data: CompareData) -> dict[SeriesKey, MetricStats]:
    """`data.stats` with the first steps of each min and max, read from the store's
    one-bucket downsample (a series' first, last, lowest and highest point)."""
    keys = sorted({key for _, key in data.stats})
    if not keys:
        return {}
    histories = client.get_metric_histories(
        [run.info.run_id for run in data.runs], keys, max_points=STATS_POINTS
    )
    stats = {}
    for pair, found in data.stats.items():
        min_step, max_step = extreme_steps(histories.get(pair, []))
        stats[pair] = replace(found, min_step=min_step, max_step=max_step)
    return stats
