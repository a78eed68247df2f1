"""Downsampled histories on MLflow data: the same points as tuitrack's own SQL store gives
for the same series, and as the contract's reference rule."""

from __future__ import annotations

import math
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.contract.history_reference import as_points, reference_downsample
from tests.mlflow.fixtures import MlflowFixture
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric

DBL_MAX = sys.float_info.max
KEY = "shape"


def _series() -> list[Metric]:
    """Negative steps, a gap of a few 256-step blocks, ties of value (rounded), a spike, a
    dip, NaNs, +-inf and a step logged twice; logged in this order (step, time unique but
    for one pair whose values rise in logging order, as MLflow's SQL store sorts them)."""
    points = []
    for i in range(3_000):
        step = i - 300 if i < 1_500 else i + 2_000
        value = round(10.0 / (1 + i / 50) + ((i * 7919) % 13) / 40, 1)
        points.append(Metric(key=KEY, value=value, step=step, timestamp=1_000 + i))
    for index, value in ((200, 1e6), (900, -50.0), (1_700, math.inf), (2_100, -math.inf)):
        points[index] = points[index].model_copy(update={"value": value})
    for index in (11, 12, 1_503, 2_998):
        points[index] = points[index].model_copy(update={"value": math.nan})
    points.append(Metric(key=KEY, value=3.25, step=40, timestamp=1))
    points.append(Metric(key=KEY, value=3.5, step=40, timestamp=1))
    return points


def _write_mlflow_series(fixture: MlflowFixture, run_id: str, points: list[Metric]) -> None:
    """The series as MLflow stores it: SQL rows (NaN as 0 + is_nan, +-inf as +-DBL_MAX) or
    lines `timestamp value step` of mlruns/<experiment>/<run>/metrics/<key>."""
    if fixture.is_sqlite:
        rows = [
            (
                KEY,
                0.0 if math.isnan(m.value) else max(-DBL_MAX, min(DBL_MAX, m.value)),
                m.timestamp,
                m.step,
                math.isnan(m.value),
                run_id,
            )
            for m in points
        ]
        connection = sqlite3.connect(fixture.uri)
        with connection:
            connection.executemany(
                "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        connection.close()
        return
    run_dir = next(Path(fixture.uri).glob(f"*/{run_id}"))
    lines = "".join(f"{m.timestamp} {m.value!r} {m.step}\n" for m in points)
    (run_dir / "metrics" / KEY).write_text(lines, encoding="utf-8")


@pytest.fixture
def tuitrack_store(tmp_path: Path) -> TrackingStore:
    return registry.get_tracking_store(f"sqlite:///{tmp_path / 'ours.db'}", str(tmp_path))


# Long ranges get block-aligned buckets (25, 50, 100 points here), short ones equal-width.
REQUESTS = [
    (None, None, 5),
    (None, None, 25),
    (None, None, 50),
    (None, None, 100),
    (None, None, 1_000),
    (None, None, 3_002),
    (-300, 1_000, 50),
    (-250, 3_000, 20),
    (3_500, 5_000, 30),
    (40, 40, 5),
]


def test_downsampling_equals_tuitrack_sql_store(
    writable_mlflow: MlflowFixture, tuitrack_store: TrackingStore
) -> None:
    points = _series()
    run_id = writable_mlflow.run("long")["run_id"]
    _write_mlflow_series(writable_mlflow, run_id, points)
    ours = tuitrack_store.create_run(tuitrack_store.create_experiment("same")).info.run_id
    tuitrack_store.log_batch(ours, metrics=points)
    mlflow_store = registry.get_tracking_store(writable_mlflow.uri, str(writable_mlflow.root))
    try:
        whole = mlflow_store.get_metric_history(run_id, KEY)
        assert as_points(whole) == as_points(tuitrack_store.get_metric_history(ours, KEY))
        for start, end, max_points in REQUESTS:
            expected = tuitrack_store.get_metric_history(ours, KEY, start, end, max_points)
            found = mlflow_store.get_metric_history(run_id, KEY, start, end, max_points)
            assert as_points(found) == as_points(expected), (start, end, max_points)
            window = [
                m
                for m in whole
                if (start is None or m.step >= start) and (end is None or m.step <= end)
            ]
            assert as_points(found) == as_points(reference_downsample(window, max_points))
            assert len(found) <= max_points
    finally:
        mlflow_store.close()
        tuitrack_store.close()
