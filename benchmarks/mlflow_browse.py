"""Browse an MLflow SQLite store of 10,000 runs: tuitrack's MLflow backend beside MLflow's own
`MlflowClient().search_runs` on the same file.

    pip install -e ".[bench]"        # MLflow, only for building the store and comparing
    python benchmarks/mlflow_browse.py [--runs 10000] [--repeat 5] [--rebuild]

MLflow creates the database (its schema, its experiment); the runs are then bulk-inserted
into MLflow's own tables with sqlite3, as MLflow lays them out (runs, params, tags, metrics,
latest_metrics), because creating 10,000 runs through MLflow's client takes many minutes.
Each query is run once to warm up, then `--repeat` times, tuitrack and MLflow in turns;
the medians are reported, with the load average. Both sides return full Run objects
(params, tags, latest metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tuitrack.core.registry import get_tracking_store
from tuitrack.core.store import TrackingStore
from tuitrack.entities import ViewType

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

FOLDER = Path("/tmp/tuitrack-bench-mlflow")
BASE_TIME = 1_700_000_000_000
STEPS = 10
QUERIES: list[tuple[str, str, list[str], int]] = [
    ("first page (newest 100)", "", [], 100),
    ("filtered search", "metrics.loss < 0.2 AND params.optimizer = 'adam'", [], 1000),
    ("filtered + ordered", "tags.team = 'vision'", ["metrics.loss ASC"], 1000),
]


def build(path: Path, runs: int) -> str:
    """An MLflow database with `runs` runs in one experiment; returns the experiment id."""
    import mlflow
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    experiment_id: str = client.create_experiment(
        "bench", artifact_location=str(path.parent / "artifacts")
    )
    print(f"building {runs:,} runs with MLflow {mlflow.__version__}'s schema in {path}")
    rng = random.Random(0)
    connection = sqlite3.connect(path)
    run_rows, param_rows, tag_rows, metric_rows, latest_rows = [], [], [], [], []
    for index in range(runs):
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        start = BASE_TIME + index * 1_000
        artifacts = f"{path.parent}/artifacts/{run_id}/artifacts"
        run_rows.append(
            (run_id, f"run-{index}", "LOCAL", "bench.py", "", "bench", "FINISHED", start,
             start + 60_000, "", "active", artifacts, int(experiment_id))
        )  # fmt: skip
        params = {
            "optimizer": rng.choice(["adam", "sgd", "adamw"]),
            "lr": str(rng.choice([0.1, 0.01, 0.001])),
            "batch_size": str(rng.choice([32, 64, 128])),
            "layers": str(rng.randint(2, 8)),
            "seed": str(index),
        }
        param_rows += [(key, value, run_id) for key, value in params.items()]
        tags = {
            "team": rng.choice(["vision", "audio", "nlp"]),
            "mlflow.runName": f"run-{index}",
            "mlflow.user": "bench",
            "mlflow.source.type": "LOCAL",
            "stage": rng.choice(["tune", "final"]),
        }
        tag_rows += [(key, value, run_id) for key, value in tags.items()]
        for key in ("loss", "acc", "lr_now"):
            value = 0.0
            for step in range(STEPS):
                value = rng.random() / (step + 1) if key == "loss" else rng.random()
                metric_rows.append((key, value, start + step, run_id, step, 0))
            latest_rows.append((key, value, start + STEPS - 1, STEPS - 1, 0, run_id))
    with connection:
        connection.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            run_rows,
        )
        connection.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", param_rows
        )
        connection.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tag_rows)
        connection.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES (?,?,?,?,?,?)",
            metric_rows,
        )
        connection.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "VALUES (?,?,?,?,?,?)",
            latest_rows,
        )
    connection.close()
    return experiment_id


def seconds(call: Callable[[], int]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median_seconds(
    ours: Callable[[], int], theirs: Callable[[], int], repeat: int
) -> tuple[float, float, int, int]:
    """Medians of both sides, timed in turns so that a change of the machine's load falls
    on both alike; each side's result count from its warm-up call."""
    our_count, their_count = ours(), theirs()
    our_times, their_times = [], []
    for _ in range(repeat):
        our_times.append(seconds(ours))
        their_times.append(seconds(theirs))
    return statistics.median(our_times), statistics.median(their_times), our_count, their_count


def compare_queries(
    store: TrackingStore, client: MlflowClient, experiment_id: str, repeat: int
) -> None:
    """Print QUERIES' medians through `store` and through MLflow's `client`, side by side."""
    import mlflow
    from mlflow.entities import ViewType as MlflowViewType

    header = f"{'query':28} {'tuitrack':>10} {'MLflow ' + mlflow.__version__:>14} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for label, filter_string, order_by, limit in QUERIES:

        def ours_call(f: str = filter_string, o: list[str] = order_by, n: int = limit) -> int:
            return len(store.search_runs([experiment_id], f, ViewType.ACTIVE_ONLY, n, o))

        def theirs_call(f: str = filter_string, o: list[str] = order_by, n: int = limit) -> int:
            return len(client.search_runs([experiment_id], f, MlflowViewType.ACTIVE_ONLY, n, o))

        ours, theirs, our_count, their_count = median_seconds(ours_call, theirs_call, repeat)
        assert our_count == their_count, (label, our_count, their_count)
        print(
            f"{label:28} {ours * 1000:>8.1f}ms {theirs * 1000:>12.1f}ms "
            f"{theirs / ours:>8.1f}x   ({our_count} runs)"
        )


async def _tui_first_rows(
    uri: str, experiment_name: str, spawned: float
) -> tuple[float, float, float]:
    """Seconds from `spawned` (the wall-clock time this process was started, so Python's
    start and every import count) to the app's start, to the experiments listed, and to the
    runs table's first rows after Enter on `experiment_name`, headless at 120x40."""
    from tuitrack.sdk.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.key_table import KeyTable
    from tuitrack.tui.widgets.runs_table import RunsTable

    async def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.perf_counter() + 60
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the TUI did not get there in time")
            await asyncio.sleep(0.002)

    started = time.perf_counter() - (time.time() - spawned)
    client = TrackingClient(uri, artifact_uri=str(FOLDER / "unused"))
    app = TuitrackApp(client, refresh_seconds=0)
    app_started = time.perf_counter() - started
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            lambda: (
                bool(app.screen.query(KeyTable)) and app.screen.query_one(KeyTable).row_count > 0
            )
        )
        listed = time.perf_counter() - started
        table = app.screen.query_one(KeyTable)
        rows = [" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count)]
        row = next(i for i, cells in enumerate(rows) if experiment_name in cells)
        await pilot.press(*(["down"] * row), "enter")
        await wait_for(
            lambda: (
                isinstance(app.screen, RunsScreen) and app.screen.query_one(RunsTable).row_count > 0
            )
        )
        first_rows = time.perf_counter() - started
    client.close()
    return app_started, listed, first_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--tui-child", help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tui_child:
        print(json.dumps(asyncio.run(_tui_first_rows(args.tui_child, "bench", args.spawned))))
        return
    path = FOLDER / f"mlflow-{args.runs}.db"
    if args.rebuild or not path.exists():
        build(path, args.runs)

    started = time.perf_counter()
    store = get_tracking_store(str(path), str(FOLDER / "unused"))
    opened = time.perf_counter() - started
    experiment = store.get_experiment_by_name("bench")
    assert experiment is not None
    experiment_id = experiment.experiment_id
    print(f"tuitrack opened {path.name} as {type(store).__name__} in {opened * 1000:.0f} ms")

    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    compare_queries(store, client, experiment_id, args.repeat)
    store.close()
    child = [sys.executable, __file__, "--tui-child", str(path), "--spawned", str(time.time())]
    app_started, listed, first_rows = json.loads(
        subprocess.run(child, capture_output=True, check=True).stdout
    )
    print(
        f"TUI (headless, 120x40, fresh process): app started {app_started * 1000:.0f} ms, "
        f"experiments listed {listed * 1000:.0f} ms, runs table's first rows "
        f"{first_rows * 1000:.0f} ms after the process was spawned, so "
        f"{(first_rows - app_started) * 1000:.0f} ms after the app started (goal < 1 s)"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
