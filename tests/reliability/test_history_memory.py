"""Huge metric histories in bounded memory.

get_metric_history of 10M points took 4.2 GB RSS (5M: 2.0 GB, more than MLflow's 1.8 GB).
iter_metric_history streams a series a window of steps at a time, exactly the points and
order of the whole read; the whole read itself holds the unpacked chunk columns (a
MetricHistory, 24 bytes a point) and builds each Metric only when it is asked for.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tests.mlflow.fixtures import copy_fixture
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.sdk.client import TrackingClient

KEY = "loss"
DBL_MAX = sys.float_info.max
# Two streamed windows of the SQL store (65,536 points) and of the default (50,000).
IN_ORDER_POINTS = 70_000
RANGES = [
    (None, None),
    (1_000, 90_000),
    (65_530, 65_540),
    (69_000, None),
    (None, -1),
    (77_010, 77_010),
    (10, 5),
]


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp(request.param)
    with fresh_database(request.param, folder) as uri:
        opened = registry.get_tracking_store(uri, str(folder / "artifacts"))
        yield opened
        opened.close()


def _key(point: Metric) -> tuple[int, int, str]:
    """A point compared exactly: NaN equals NaN, -0.0 and 0.0 stay apart by their repr."""
    return point.step, point.timestamp, repr(point.value)


def _log_mixed_series(store: TrackingStore, run_id: str) -> list[tuple[int, int, float]]:
    """Several batches: one in step order, one out of order with ties, NaN and +-inf, and
    small ones appended to an open chunk. Returns what was logged, in logging order."""
    rng = random.Random(13)
    logged: list[tuple[int, int, float]] = []

    def log(steps: list[int], times: list[int], values: list[float]) -> None:
        store.log_metric_columns(run_id, [KEY] * len(steps), values, times, steps)
        logged.extend(zip(steps, times, values, strict=True))

    steps = list(range(IN_ORDER_POINTS))
    log(steps, [1_000 + step for step in steps], [step / 7 for step in steps])
    specials = [math.nan, math.inf, -math.inf, 0.0, 1.5]
    steps = [rng.randrange(-500, IN_ORDER_POINTS + 20_000) for _ in range(5_000)]
    log(
        steps,
        [rng.choice((5, 1_000, 7)) for _ in steps],
        [rng.choice(specials) if rng.random() < 0.3 else rng.random() for _ in steps],
    )
    for i in range(40):
        log([77_000 + i] * 3, [9, 9, 9], [1.0, math.nan, 2.0])
    return logged


def _reference(
    logged: list[tuple[int, int, float]], start: int | None, end: int | None
) -> list[tuple[int, int, str]]:
    """History order by definition: step, timestamp, then logging order (a stable sort)."""
    low = -(2**63) if start is None else start
    high = 2**63 - 1 if end is None else end
    chosen = sorted((p for p in logged if low <= p[0] <= high), key=lambda p: (p[0], p[1]))
    return [(step, time, repr(value)) for step, time, value in chosen]


def test_iterator_returns_exactly_the_list(store: TrackingStore) -> None:
    run_id = store.create_run(store.create_experiment("mixed")).info.run_id
    logged = _log_mixed_series(store, run_id)
    for start, end in RANGES:
        whole = store.get_metric_history(run_id, KEY, start, end)
        streamed = list(store.iter_metric_history(run_id, KEY, start, end))
        assert streamed == whole, (start, end)  # one NaN object on both sides
        assert [_key(p) for p in streamed] == _reference(logged, start, end), (start, end)
        assert all(p.key == KEY for p in streamed)


def test_iterator_through_the_client(store: TrackingStore, tmp_path: Path) -> None:
    run_id = store.create_run(store.create_experiment("client")).info.run_id
    store.log_metric_columns(run_id, [KEY] * 3, [0.5, math.nan, 2.0], [1, 2, 3], [2, 1, 2])
    uri = str(store.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    with TrackingClient(uri, artifact_uri=str(tmp_path)) as client:
        assert list(client.iter_metric_history(run_id, KEY)) == client.get_metric_history(
            run_id, KEY
        )
        assert list(client.iter_metric_history(run_id, "no such key")) == []
        with pytest.raises(NotFoundError, match="no run"):
            client.iter_metric_history("0" * 32, KEY)  # raises when called, not when iterated
        with pytest.raises(InvalidValueError, match="start_step"):
            client.iter_metric_history(run_id, KEY, start_step="1")  # type: ignore[arg-type]


def test_default_streams_for_mlflow_stores(tmp_path: Path) -> None:
    """MLflow's tables (read by tuitrack_mlflow) get the contract's default: step windows
    found through the paged reads, across gaps, with ties and NaN/inf as MLflow stores them."""
    fixture = copy_fixture("mlflow3_sqlite", tmp_path / "mlflow")
    run_id = fixture.run("long")["run_id"]
    rng = random.Random(5)
    rows = []
    for i in range(60_000):
        step = i if i < 55_000 else i * 1_000  # a long sparse tail: windows grow past gaps
        value = rng.choice((math.nan, math.inf, -math.inf)) if i % 997 == 0 else rng.random()
        rows.append((step, 1_000 + i % 3, value))
    rows += [(500, 1_001, 0.25), (500, 1_001, 0.75)]  # ties of step and time
    connection = sqlite3.connect(fixture.uri)
    with connection:
        connection.executemany(
            "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    KEY,
                    0.0 if math.isnan(v) else max(-DBL_MAX, min(DBL_MAX, v)),
                    t,
                    s,
                    math.isnan(v),
                    run_id,
                )
                for s, t, v in rows
            ],
        )
    connection.close()
    mlflow_store = registry.get_tracking_store(fixture.uri, str(tmp_path))
    try:
        for start, end in [(None, None), (54_990, 58_000_000), (500, 500), (-5, -1)]:
            whole = mlflow_store.get_metric_history(run_id, KEY, start, end)
            streamed = list(mlflow_store.iter_metric_history(run_id, KEY, start, end))
            assert [_key(p) for p in streamed] == [_key(p) for p in whole], (start, end)
    finally:
        mlflow_store.close()


# --- memory, in a process of its own ---------------------------------------------------------

MEMORY_POINTS = 1_000_000
# RSS growth allowed for a streamed read of any length (the goal: under 100 MB).
STREAM_BOUND_MB = 100
# A whole read's growth per point: its columns take 24 bytes a point.
COLUMNS_BOUND_BYTES_PER_POINT = 40
# ... and turned into a list of Metric: MLflow's list costs ~360 bytes a point; the list
# before issue 15 ~290, the one before that ~400.
METRICS_BOUND_BYTES_PER_POINT = 350

_READ = r"""
import json, sys
from tuitrack.core.registry import get_tracking_store

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

uri, artifacts, run_id, mode = sys.argv[1:]
store = get_tracking_store(uri, artifacts)
store.get_metric_history(run_id, "loss", max_points=5)
before = kib("VmRSS:")
if mode == "columns":
    points = len(store.get_metric_history(run_id, "loss"))
elif mode == "metrics":
    points = len(list(store.get_metric_history(run_id, "loss")))
else:
    points = sum(1 for _ in store.iter_metric_history(run_id, "loss"))
print(json.dumps({"points": points, "growth_mb": (kib("VmHWM:") - before) / 1024}))
"""


def _log_big_series(folder: Path, points: int) -> tuple[str, str]:
    uri = f"sqlite:///{folder / 'big.db'}"
    writer = registry.get_tracking_store(uri, str(folder))
    run_id = writer.create_run(writer.create_experiment("big")).info.run_id
    batch = 250_000
    for start in range(0, points, batch):
        steps = list(range(start, min(start + batch, points)))
        values = [1.0 / (1 + step) for step in steps]
        times = [1_700_000_000_000 + step * 25 for step in steps]
        writer.log_metric_columns(run_id, [KEY] * len(steps), values, times, steps)
    writer.close()
    return uri, run_id


def _read_in_process(folder: Path, uri: str, run_id: str, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _READ, uri, str(folder), run_id, mode],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def big_series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    folder = tmp_path_factory.mktemp("big")
    return (folder, *_log_big_series(folder, MEMORY_POINTS))


def test_streamed_read_stays_bounded(big_series: tuple[Path, str, str]) -> None:
    folder, uri, run_id = big_series
    found = _read_in_process(folder, uri, run_id, "iter")
    assert found["points"] == MEMORY_POINTS
    assert found["growth_mb"] < STREAM_BOUND_MB, found


@pytest.mark.parametrize(
    ("mode", "bound"),
    [("columns", COLUMNS_BOUND_BYTES_PER_POINT), ("metrics", METRICS_BOUND_BYTES_PER_POINT)],
)
def test_whole_read_costs_less_than_mlflow_per_point(
    big_series: tuple[Path, str, str], mode: str, bound: int
) -> None:
    folder, uri, run_id = big_series
    found = _read_in_process(folder, uri, run_id, mode)
    assert found["points"] == MEMORY_POINTS
    per_point = found["growth_mb"] * 1024 * 1024 / MEMORY_POINTS
    assert per_point < bound, found


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TUITRACK_SOAK"), reason="soak: set TUITRACK_SOAK=1")
def test_streamed_read_of_ten_million_points_stays_bounded(tmp_path: Path) -> None:
    uri, run_id = _log_big_series(tmp_path, 10_000_000)
    found = _read_in_process(tmp_path, uri, run_id, "iter")
    assert found["points"] == 10_000_000
    assert found["growth_mb"] < STREAM_BOUND_MB, found
