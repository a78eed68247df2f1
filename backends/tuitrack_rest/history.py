"""Metric histories from a plain MLflow server, read once and kept.

MLflow's server cannot thin a series the way tuitrack's contract says (its bulk-interval
endpoint samples steps, which drops spikes and NaNs), so the whole series is read and
thinned here (tuitrack.core.downsampling). Two ways to read it whole:

- `metrics/get-history-bulk-interval` answers up to 100 runs at once and samples only when
  a series has more than MLflow's MAX_RESULTS_PER_RUN (2,500) points: an answer with fewer
  points than that is the whole series. One request then serves a compare overlay of many
  short series.
- `metrics/get-history`, page by page, for the series that were too long for that (and
  on servers without the bulk endpoint).

A series read whole is kept (`HistoryCache`): for good when its run had ended, for a few
seconds while it runs (a chart refreshing a live run reads it again), within a bound on the
points held.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.wire import endpoints as api
from tuitrack.core.wire.mlflow_json import metric_point_from_json
from tuitrack_rest.connection import EndpointMissingError, RestConnection

_DBL_MAX = sys.float_info.max
# A live run's series is read again after this long.
LIVE_SERIES_SECONDS = 2.0
# Points kept in memory across every cached series (~24 bytes each).
CACHE_MAX_POINTS = 4_000_000


@dataclass(frozen=True)
class _Entry:
    history: MetricHistory
    read_at: float
    final: bool


class HistoryCache:
    """Whole series by (run_id, key), least recently used dropped past CACHE_MAX_POINTS.
    Thread-safe: the TUI reads from worker threads."""

    def __init__(
        self, max_points: int = CACHE_MAX_POINTS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._points = 0
        self._max_points = max_points
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, run_id: str, key: str) -> MetricHistory | None:
        """The series if it is kept and still fresh, else None."""
        with self._lock:
            entry = self._entries.get((run_id, key))
            if entry is None:
                return None
            if not entry.final and self._clock() - entry.read_at > LIVE_SERIES_SECONDS:
                self._drop((run_id, key))
                return None
            self._entries.move_to_end((run_id, key))
            return entry.history

    def put(self, run_id: str, key: str, history: MetricHistory, final: bool) -> None:
        """Keep a whole series; `final` when its run had ended before it was read."""
        if len(history) > self._max_points:
            return
        with self._lock:
            self._drop((run_id, key))
            self._entries[(run_id, key)] = _Entry(history, self._clock(), final)
            self._points += len(history)
            while self._points > self._max_points:
                self._drop(next(iter(self._entries)))

    def forget_run(self, run_id: str) -> None:
        """Drop every series of a run (it got new points from this process)."""
        with self._lock:
            for pair in [pair for pair in self._entries if pair[0] == run_id]:
                self._drop(pair)

    def _drop(self, pair: tuple[str, str]) -> None:
        entry = self._entries.pop(pair, None)
        if entry is not None:
            self._points -= len(entry.history)


def as_logged(value: float) -> float:
    """A value as it was logged: MLflow's SQL store keeps +-inf as +-DBL_MAX, and its server
    sends that back (tuitrack's MLflow backend reads those the same way)."""
    if value >= _DBL_MAX:
        return math.inf
    if value <= -_DBL_MAX:
        return -math.inf
    return value


def in_history_order(key: str, points: Sequence[tuple[int, int, float]]) -> MetricHistory:
    """(step, timestamp, value) points from MLflow's server as a MetricHistory ordered by
    step, then time (points of one step and time keep the server's order), +-inf restored."""
    ordered = sorted(points, key=lambda point: (point[0], point[1]))
    return MetricHistory(
        key,
        [point[0] for point in ordered],
        [point[1] for point in ordered],
        [as_logged(point[2]) for point in ordered],
    )


def step_range(
    history: MetricHistory, start_step: int | None, end_step: int | None
) -> MetricHistory:
    """The points of `history` with start_step <= step <= end_step."""
    if start_step is None and end_step is None:
        return history
    steps = history.steps
    low = bisect_left(steps, start_step) if start_step is not None else 0
    high = bisect_right(steps, end_step) if end_step is not None else len(steps)
    return history[low:high]


class MlflowHistories:
    """Whole series read from a plain MLflow server over `connection`, kept in a cache."""

    def __init__(self, connection: RestConnection) -> None:
        self._connection = connection
        self._cache = HistoryCache()
        self._bulk_interval = True  # until the server says it lacks the endpoint

    def forget_run(self, run_id: str) -> None:
        """Drop what is kept of a run (this process has just logged points to it)."""
        self._cache.forget_run(run_id)

    def whole_series(
        self, ids: list[str], names: list[str], has_ended: Callable[[str], bool]
    ) -> dict[tuple[str, str], MetricHistory]:
        """Every point of each (run, key), from the cache or read once from the server.
        `has_ended(run_id)` is asked first for each run with a series to read (it raises
        NotFoundError for an unknown run), and always when `names` is empty."""
        found: dict[tuple[str, str], MetricHistory] = {}
        ended = {
            run_id: has_ended(run_id)
            for run_id in ids
            if not names or any(self._cache.get(run_id, key) is None for key in names)
        }
        for key in names:
            missing = []
            for run_id in ids:
                cached = self._cache.get(run_id, key)
                if cached is None:
                    missing.append(run_id)
                else:
                    found[(run_id, key)] = cached
            read = self._bulk_interval_read(missing, key) if missing else {}
            for run_id in missing:
                history = read.get(run_id)
                if history is None:
                    history = self._paged_read(run_id, key)
                self._cache.put(run_id, key, history, ended.get(run_id, False))
                found[(run_id, key)] = history
        return found

    def _bulk_interval_read(self, run_ids: list[str], key: str) -> dict[str, MetricHistory]:
        """The series of `key` that MLflow's bulk-interval endpoint returns whole: those of
        fewer points than its per-run cap (a capped answer may be sampled: left out)."""
        if not self._bulk_interval:
            return {}
        cap = api.BULK_INTERVAL_MAX_RESULTS
        points: dict[str, list[tuple[int, int, float]]] = {run_id: [] for run_id in run_ids}
        for start in range(0, len(run_ids), api.BULK_INTERVAL_MAX_RUN_IDS):
            params = {
                "run_ids": run_ids[start : start + api.BULK_INTERVAL_MAX_RUN_IDS],
                "metric_key": key,
                "max_results": cap,
            }
            try:
                answer = self._connection.call(
                    "GET", api.METRICS_GET_HISTORY_BULK_INTERVAL, params=params
                )
            except EndpointMissingError:
                self._bulk_interval = False
                return {}
            for item in answer.get("metrics", []):
                points[item["run_id"]].append(metric_point_from_json(item))
        return {
            run_id: in_history_order(key, series)
            for run_id, series in points.items()
            if len(series) < cap
        }

    def _paged_read(self, run_id: str, key: str) -> MetricHistory:
        series: list[tuple[int, int, float]] = []
        token: str | None = None
        while True:
            params: dict[str, str | int] = {
                "run_id": run_id,
                "metric_key": key,
                "max_results": api.GET_HISTORY_MAX_RESULTS,
            }
            if token:
                params["page_token"] = token
            answer = self._connection.call("GET", api.METRICS_GET_HISTORY, params=params)
            series.extend(metric_point_from_json(item) for item in answer.get("metrics", []))
            token = answer.get("next_page_token") or None
            if token is None:
                return in_history_order(key, series)
