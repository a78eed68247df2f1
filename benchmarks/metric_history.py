"""Reading metric histories from a SQLite store: one run with a 1,000,000-point metric and
ten runs with 100,000 points each, all logged through TrackingStore.log_batch.

Prints the median of
  - get_metric_history(max_points=1000) of the 1M-point metric   (goal: under 150 ms)
  - get_metric_histories(max_points=1000) of the ten runs        (goal: under 300 ms)
  - get_metric_history of one 100k-point metric, every point, beside MLflow's
    MlflowClient().get_metric_history of the same points            (goal: at least 20x faster)
  - the chart view's keypress-to-drawn time                      (goal: under 500 ms)

    python benchmarks/metric_history.py [--data DIR] [--repeats 15] [--mlflow-repeats 5]

--data keeps the stores in DIR and reuses them on the next run (loading takes minutes).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tuitrack.entities import Metric
from tuitrack.registry import get_tracking_store
from tuitrack.store import TrackingStore

LONG_POINTS = 1_000_000
SHORT_RUNS = 10
SHORT_POINTS = 100_000
MAX_POINTS = 1_000
BATCH = 10_000
MLFLOW_BATCH = 1_000  # MLflow refuses batches of more than 1000 metrics
KEY = "loss"
BASE_TIME = 1_700_000_000_000


def loss_curve(count: int, seed: int) -> Iterator[Metric]:
    """A decaying, noisy loss with the odd spike and NaN, deterministic per seed."""
    for step in range(count):
        noise = ((step * 7_919 + seed * 104_729) % 1_000) / 4_000
        value = 2.0 / math.sqrt(1 + step / 500) + noise
        if step % 99_991 == 5_000:
            value = math.nan
        elif step % 49_999 == 777:
            value *= 40
        yield Metric.model_construct(
            key=KEY, value=value, timestamp=BASE_TIME + step * 25, step=step
        )


def log_points(store: TrackingStore, run_id: str, points: Iterator[Metric]) -> None:
    batch: list[Metric] = []
    for point in points:
        batch.append(point)
        if len(batch) == BATCH:
            store.log_batch(run_id, metrics=batch)
            batch = []
    if batch:
        store.log_batch(run_id, metrics=batch)


def open_store(folder: Path) -> tuple[TrackingStore, str, list[str]]:
    """The store with the long run and the ten short runs, loaded on first use."""
    store = get_tracking_store(f"sqlite:///{folder / 'tuitrack.db'}", str(folder / "artifacts"))
    experiment = store.get_experiment_by_name("metric-history")
    if experiment is not None:
        runs = store.search_runs([experiment.experiment_id], order_by=["attributes.run_name"])
        by_name = {run.info.run_name: run.info.run_id for run in runs}
        if "long" in by_name and all(f"short-{i}" in by_name for i in range(SHORT_RUNS)):
            return store, by_name["long"], [by_name[f"short-{i}"] for i in range(SHORT_RUNS)]
        raise SystemExit(f"{folder} holds an incomplete benchmark store: delete it")
    print(f"loading {LONG_POINTS:,} + {SHORT_RUNS} x {SHORT_POINTS:,} points into {folder} ...")
    started = time.perf_counter()
    experiment_id = store.create_experiment("metric-history")
    long_id = store.create_run(experiment_id, run_name="long").info.run_id
    log_points(store, long_id, loss_curve(LONG_POINTS, 0))
    short_ids = []
    for i in range(SHORT_RUNS):
        run_id = store.create_run(experiment_id, run_name=f"short-{i}").info.run_id
        log_points(store, run_id, loss_curve(SHORT_POINTS, i + 1))
        short_ids.append(run_id)
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    return store, long_id, short_ids


@dataclass(frozen=True)
class Timing:
    """Medians in ms: wall clock, and CPU time of this process (steadier on a busy box)."""

    wall: float
    cpu: float


def timed(actions: Sequence[Callable[[], object]], repeats: int) -> list[Timing]:
    """Each action `repeats` times, interleaved so a change of machine load hits all alike;
    one untimed call each first warms the caches the way a second look at a chart finds them."""
    for action in actions:
        action()
    walls: list[list[float]] = [[] for _ in actions]
    cpus: list[list[float]] = [[] for _ in actions]
    for _ in range(repeats):
        for index, action in enumerate(actions):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            cpus[index].append(time.process_time() - cpu)
            walls[index].append(time.perf_counter() - wall)
    return [
        Timing(statistics.median(w) * 1000, statistics.median(c) * 1000)
        for w, c in zip(walls, cpus, strict=True)
    ]


def mlflow_history(folder: Path, points: list[Metric]) -> Callable[[], int]:
    """MLflow's client over its own SQLite store holding the same points."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("metric-history")
    if experiment is None:
        print(f"loading {len(points):,} points into MLflow ...")
        run_id = client.create_run(client.create_experiment("metric-history")).info.run_id
        converted = [MlflowMetric(p.key, p.value, p.timestamp, p.step) for p in points]
        for start in range(0, len(converted), MLFLOW_BATCH):
            client.log_batch(run_id, metrics=converted[start : start + MLFLOW_BATCH])
    else:
        run_id = client.search_runs([experiment.experiment_id])[0].info.run_id
    return lambda: len(client.get_metric_history(run_id, KEY))


def chart_keypress_to_drawn() -> str:
    """The chart view's keypress-to-drawn time needs the app headless: chart_view.py."""
    return "measured by python benchmarks/chart_view.py (same data, through the app)"


def report(label: str, timing: Timing, goal: str = "") -> None:
    print(f"{label:<56} {timing.wall:8.1f} ms  (CPU {timing.cpu:7.1f} ms)  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="keep and reuse the stores in this folder")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mlflow-repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        store, long_id, short_ids = open_store(folder)
        load = os.getloadavg()[0]
        print(
            f"SQLite, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"load average {load:.1f}, median of {args.repeats}"
        )
        sampled = store.get_metric_history(long_id, KEY, max_points=MAX_POINTS)
        long_timing, bulk_timing = timed(
            [
                lambda: store.get_metric_history(long_id, KEY, max_points=MAX_POINTS),
                lambda: store.get_metric_histories(short_ids, [KEY], max_points=MAX_POINTS),
            ],
            args.repeats,
        )
        report(
            f"1 x {LONG_POINTS:,} points, max_points={MAX_POINTS} ({len(sampled)} kept)",
            long_timing,
            "goal < 150 ms",
        )
        report(
            f"{SHORT_RUNS} x {SHORT_POINTS:,} points, bulk form, max_points={MAX_POINTS}",
            bulk_timing,
            "goal < 300 ms",
        )

        def whole() -> int:
            return len(store.get_metric_history(short_ids[0], KEY))

        if importlib.util.find_spec("mlflow") is None:
            report(f"1 x {SHORT_POINTS:,} points, every point", timed([whole], args.repeats)[0])
            print("mlflow not installed (pip install mlflow): no comparison")
        else:
            theirs_action = mlflow_history(folder, list(loss_curve(SHORT_POINTS, 1)))
            ours, theirs = timed([whole, theirs_action], args.mlflow_repeats)
            report(f"1 x {SHORT_POINTS:,} points, every point", ours)
            report("  MLflow MlflowClient().get_metric_history, same points", theirs)
            print(
                f"{'  tuitrack speed-up over MLflow':<56} {theirs.wall / ours.wall:8.1f} x   "
                f"(CPU {theirs.cpu / ours.cpu:7.1f} x)     goal >= 20 x"
            )
        print(f"{'chart view, keypress to drawn':<58} {chart_keypress_to_drawn()}")
        store.close()


if __name__ == "__main__":
    main()
