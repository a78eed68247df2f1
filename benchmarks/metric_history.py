"""Reading metric histories from a SQLite store: one run with a 1,000,000-point metric and
ten runs with 100,000 points each, all logged through TrackingStore.log_batch.

Prints the median of
  - get_metric_history(max_points=1000) of the 1M-point metric   (goal: under 150 ms)
  - get_metric_histories(max_points=1000) of the ten runs        (goal: under 300 ms)
  - get_metric_history of one 100k-point metric, every point: the call, the call with every
    point's value read through its Metric, and the call with the values column; beside
    MLflow's MlflowClient().get_metric_history of the same points  (goal: at least 20x faster)
  - the chart view's keypress-to-drawn time                      (goal: under 500 ms)

and then a memory table: the peak RSS of one process that reads a whole series of
--memory-points points (5,000,000 by default) with get_metric_history (its columns), with
iter_metric_history (a stream; goal: under 100 MB above the process's RSS before the
read) and with MLflow's MlflowClient().get_metric_history (goal for the list: well under it).
Each read runs in a fresh process that reports its VmHWM.

    python benchmarks/metric_history.py [--data DIR] [--repeats 15] [--mlflow-repeats 5]
        [--only speed|memory] [--memory-points 5000000,10000000] [--mlflow-python PATH]

--data keeps the stores in DIR and reuses them on the next run (loading takes minutes).
MLflow runs in a process of its own: --mlflow-python names a Python that has it
(`python -m venv V && V/bin/pip install mlflow-skinny sqlalchemy alembic`); by default this
one, if it can import mlflow.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tuitrack.core.registry import get_tracking_store
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric

LONG_POINTS = 1_000_000
SHORT_RUNS = 10
SHORT_POINTS = 100_000
MAX_POINTS = 1_000
BATCH = 10_000
MEMORY_BATCH = 100_000
KEY = "loss"
BASE_TIME = 1_700_000_000_000


def loss_value(step: int, seed: int) -> float:
    """A decaying, noisy loss with the odd spike and NaN, deterministic per seed."""
    noise = ((step * 7_919 + seed * 104_729) % 1_000) / 4_000
    value = 2.0 / math.sqrt(1 + step / 500) + noise
    if step % 99_991 == 5_000:
        return math.nan
    if step % 49_999 == 777:
        return value * 40
    return value


def loss_curve(count: int, seed: int) -> Iterator[Metric]:
    for step in range(count):
        yield Metric.model_construct(
            key=KEY, value=loss_value(step, seed), timestamp=BASE_TIME + step * 25, step=step
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


# MLflow, in a process of its own (its Python may be another environment's): the `load`
# command logs points read from a file into a run (named, so a later run finds it) of
# MLflow's own SQLite store; `time` reports the median of MlflowClient.get_metric_history;
# `memory` one such read's peak RSS.
MLFLOW_CHILD = r"""
import array, json, math, os, sqlite3, statistics, sys, time
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
import logging; logging.disable(logging.WARNING)
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

command, database, *rest = sys.argv[1:]
client = MlflowClient(tracking_uri="sqlite:///" + database)
if command == "load":  # prints the run's id, or "missing" without a points file
    name, points_file, batched = rest
    experiment = client.get_experiment_by_name("metric-history")
    if experiment is None:
        experiment_id = client.create_experiment("metric-history")
    else:
        experiment_id = experiment.experiment_id
    found = client.search_runs([experiment_id], f"attributes.run_name = '{name}'")
    if found or not os.path.exists(points_file):
        print(found[0].info.run_id if found else "missing")
        sys.exit()
    columns = [array.array("q"), array.array("q"), array.array("d")]
    with open(points_file, "rb") as source:
        count = int.from_bytes(source.read(8), "little")
        for column in columns:
            column.fromfile(source, count)
    steps, times, values = columns
    run_id = client.create_run(experiment_id, run_name=name).info.run_id
    if batched == "1":  # through MLflow's API, as a user logs
        points = [Metric("loss", v, t, s) for s, t, v in zip(steps, times, values)]
        for start in range(0, count, 1000):
            client.log_batch(run_id, metrics=points[start : start + 1000])
    else:  # millions of points: straight into its tables, as log_batch would store them
        rows = (
            ("loss", 0.0 if math.isnan(v) else v, t, run_id, s, math.isnan(v))
            for s, t, v in zip(steps, times, values)
        )
        with sqlite3.connect(database) as db:
            db.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)
            last = max(range(count), key=lambda i: (steps[i], times[i]))
            db.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                ("loss", values[last], times[last], steps[last], math.isnan(values[last]), run_id))
    print(run_id)
elif command == "time":
    run_id, repeats = rest
    client.get_metric_history(run_id, "loss")
    walls, cpus = [], []
    for _ in range(int(repeats)):
        wall, cpu = time.perf_counter(), time.process_time()
        points = len(client.get_metric_history(run_id, "loss"))
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    print(json.dumps({"wall": statistics.median(walls) * 1000,
                      "cpu": statistics.median(cpus) * 1000, "points": points}))
else:
    (run_id,) = rest
    client.get_run(run_id)
    before = kib("VmRSS:")
    points = len(client.get_metric_history(run_id, "loss"))
    print(json.dumps({"points": points, "before": before, "peak": kib("VmHWM:")}))
"""

# One read of a whole series by tuitrack, in a fresh process: `list` or `iter`.
TUITRACK_CHILD = r"""
import json, sys
from tuitrack.core.registry import get_tracking_store

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

uri, artifacts, run_id, mode = sys.argv[1:]
store = get_tracking_store(uri, artifacts)
store.get_metric_history(run_id, "loss", max_points=5)  # schemas built, connection open
before = kib("VmRSS:")
if mode == "list":
    points = len(store.get_metric_history(run_id, "loss"))
else:
    points = sum(1 for _ in store.iter_metric_history(run_id, "loss"))
print(json.dumps({"points": points, "before": before, "peak": kib("VmHWM:")}))
"""


def child(python: str, code: str, *args: str) -> str:
    done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{python} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def write_points(path: Path, count: int, seed: int) -> None:
    """The loss curve's columns (int64 steps and times, float64 values) for MLflow's loader."""
    steps, times, values = array("q"), array("q"), array("d")
    for step in range(count):
        steps.append(step)
        times.append(BASE_TIME + step * 25)
        values.append(loss_value(step, seed))
    with path.open("wb") as target:
        target.write(count.to_bytes(8, "little"))
        for column in (steps, times, values):
            column.tofile(target)


def mlflow_run(python: str, folder: Path, name: str, count: int, seed: int) -> str:
    """The id of MLflow's run `name` holding the loss curve, loaded on first use."""
    points_file = folder / f"{name}.points"
    load = [MLFLOW_CHILD, "load", str(folder / "mlflow.db"), name, str(points_file)]
    batched = "1" if count <= SHORT_POINTS else "0"
    run_id = child(python, *load, batched)
    if run_id != "missing":
        return run_id
    print(f"loading {count:,} points into MLflow ...")
    write_points(points_file, count, seed)
    try:
        return child(python, *load, batched)
    finally:
        points_file.unlink()


def mlflow_timing(python: str, folder: Path, run_id: str, repeats: int) -> Timing:
    found = json.loads(
        child(python, MLFLOW_CHILD, "time", str(folder / "mlflow.db"), run_id, str(repeats))
    )
    return Timing(found["wall"], found["cpu"])


def find_mlflow_python(given: str | None) -> str | None:
    if given:
        return given
    return sys.executable if importlib.util.find_spec("mlflow") else None


def chart_keypress_to_drawn() -> str:
    """The chart view's keypress-to-drawn time needs the app headless: chart_view.py."""
    return "measured by python benchmarks/chart_view.py (same data, through the app)"


def report(label: str, timing: Timing, goal: str = "") -> None:
    print(f"{label:<56} {timing.wall:8.1f} ms  (CPU {timing.cpu:7.1f} ms)  {goal}")


@dataclass(frozen=True)
class Peak:
    """One read's process: its RSS before the read and its peak RSS (VmHWM), in KiB."""

    points: int
    before: int
    peak: int

    def cells(self) -> str:
        return f"{self.peak / 1024:9,.0f} MB  {(self.peak - self.before) / 1024:9,.0f} MB"


def memory_runs(folder: Path, counts: Sequence[int]) -> tuple[str, dict[int, str]]:
    """A store with one run of `count` points per count (run `points-<count>`), loaded on first
    use through log_metric_columns."""
    uri = f"sqlite:///{folder / 'memory.db'}"
    store = get_tracking_store(uri, str(folder / "artifacts"))
    experiment = store.get_experiment_by_name("metric-history-memory")
    experiment_id = (
        experiment.experiment_id if experiment else store.create_experiment("metric-history-memory")
    )
    runs = {run.info.run_name: run.info.run_id for run in store.search_runs([experiment_id])}
    found = {}
    for count in counts:
        name = f"points-{count}"
        if name not in runs:
            print(f"loading {count:,} points into {folder / 'memory.db'} ...")
            run_id = store.create_run(experiment_id, run_name=name).info.run_id
            for start in range(0, count, MEMORY_BATCH):
                steps = range(start, min(start + MEMORY_BATCH, count))
                store.log_metric_columns(
                    run_id,
                    [KEY] * len(steps),
                    [loss_value(step, 0) for step in steps],
                    [BASE_TIME + step * 25 for step in steps],
                    list(steps),
                )
            runs[name] = run_id
        found[count] = runs[name]
    store.close()
    return uri, found


def memory_table(folder: Path, counts: Sequence[int], mlflow_python: str | None) -> None:
    uri, runs = memory_runs(folder, counts)
    artifacts = str(folder / "artifacts")
    print(
        f"{'peak RSS of one whole read, each in a fresh process':<56} {'peak':>12}  "
        f"{'growth':>12}  (growth: over the process's RSS before the read)"
    )
    for count in counts:
        ours = {
            mode: Peak(
                **json.loads(
                    child(sys.executable, TUITRACK_CHILD, uri, artifacts, runs[count], mode)
                )
            )
            for mode in ("list", "iter")
        }
        report_peak(f"{count:,} points, get_metric_history", ours["list"])
        report_peak(
            f"{count:,} points, iter_metric_history (stream)", ours["iter"], "goal growth < 100 MB"
        )
        if mlflow_python is None:
            print("  mlflow not importable (--mlflow-python): no comparison")
            continue
        run_id = mlflow_run(mlflow_python, folder, f"points-{count}", count, 0)
        database = str(folder / "mlflow.db")
        theirs = Peak(**json.loads(child(mlflow_python, MLFLOW_CHILD, "memory", database, run_id)))
        report_peak("  MLflow MlflowClient().get_metric_history, same points", theirs)
        ratio = (ours["list"].peak - ours["list"].before) / (theirs.peak - theirs.before)
        print(f"{'  tuitrack list growth / MLflow growth':<56} {ratio:8.2f} x")


def report_peak(label: str, peak: Peak, goal: str = "") -> None:
    print(f"{label:<56} {peak.cells()}  {goal}")


def whole_reads(store: TrackingStore, run_id: str) -> list[Callable[[], object]]:
    """A whole 100k-point read: the call alone; the call and every point's value read
    through its Metric, as an MLflow user does (a lazy result cannot hide its cost); and,
    where the result has columns (since issue 15), the call and the values column."""

    def call() -> int:
        return len(store.get_metric_history(run_id, KEY))

    def every_value() -> int:
        return len([point.value for point in store.get_metric_history(run_id, KEY)])

    def values_column() -> int:
        history = store.get_metric_history(run_id, KEY)
        return len(history.values.tolist())  # type: ignore[attr-defined]

    has_columns = hasattr(store.get_metric_history(run_id, KEY, max_points=5), "values")
    return [call, every_value, values_column] if has_columns else [call, every_value]


def report_whole(timings: Sequence[Timing]) -> None:
    """whole_reads' timings, taken in the user's program: the collector as the program left
    it (tuitrack touches it only in its own processes)."""
    report(f"1 x {SHORT_POINTS:,} points, every point: the call", timings[0])
    report("  the call + every point's value ([m.value for m in h])", timings[1])
    if len(timings) > 2:
        report("  the call + the values column (h.values.tolist())", timings[2])


def speed(folder: Path, repeats: int, mlflow_repeats: int, mlflow_python: str | None) -> None:
    store, long_id, short_ids = open_store(folder)
    load = os.getloadavg()[0]
    print(
        f"SQLite, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}, median of {repeats}"
    )
    sampled = store.get_metric_history(long_id, KEY, max_points=MAX_POINTS)
    long_timing, bulk_timing = timed(
        [
            lambda: store.get_metric_history(long_id, KEY, max_points=MAX_POINTS),
            lambda: store.get_metric_histories(short_ids, [KEY], max_points=MAX_POINTS),
        ],
        repeats,
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

    whole_timings = timed(whole_reads(store, short_ids[0]), repeats)
    report_whole(whole_timings)
    if mlflow_python is None:
        print("mlflow not importable (pip install mlflow, or --mlflow-python): no comparison")
    else:
        # MLflow runs in its own process: its median comes after ours, not interleaved.
        run_id = mlflow_run(mlflow_python, folder, "short-0", SHORT_POINTS, 1)
        ours = timed(whole_reads(store, short_ids[0])[1:2], mlflow_repeats)[0]
        theirs = mlflow_timing(mlflow_python, folder, run_id, mlflow_repeats)
        report("  MLflow MlflowClient().get_metric_history, same points", theirs)
        print(
            f"{'  speed-up over MLflow (ours: call + every value)':<56} "
            f"{theirs.wall / ours.wall:8.1f} x   (CPU {theirs.cpu / ours.cpu:7.1f} x)     "
            "goal >= 20 x"
        )
    print(f"{'chart view, keypress to drawn':<58} {chart_keypress_to_drawn()}")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="keep and reuse the stores in this folder")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mlflow-repeats", type=int, default=5)
    parser.add_argument("--only", choices=("speed", "memory"), help="run one part only")
    parser.add_argument(
        "--memory-points",
        default="5000000",
        help="comma-separated series sizes for the memory table (default 5000000)",
    )
    parser.add_argument("--mlflow-python", help="a Python that can import mlflow")
    args = parser.parse_args()
    mlflow_python = find_mlflow_python(args.mlflow_python)
    counts = [int(count) for count in args.memory_points.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if args.only != "memory":
            speed(folder, args.repeats, args.mlflow_repeats, mlflow_python)
        if args.only != "speed":
            memory_table(folder, counts, mlflow_python)


if __name__ == "__main__":
    main()
