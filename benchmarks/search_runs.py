"""search_runs on 100,000 runs (10 params, 5 metrics, 5 tags each) in one SQLite experiment,
beside MLflow's MlflowClient.search_runs on the same data in an MLflow SQLite store.

    python benchmarks/search_runs.py [--runs 100000] [--mlflow-runs 10000] [--repeat 7]

Both stores are bulk-loaded with plain SQL inserts (loading through either API would take
minutes and is not what is measured); each query's median over --repeat runs is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tuitrack.core.registry import get_tracking_store
from tuitrack.core.store import TrackingStore

QUERIES: list[tuple[str, str, list[str]]] = [
    (
        "3 clauses, top 1000 by a metric",
        "metrics.acc > 0.5 and params.optimizer = 'adam' and tags.env != 'prod'",
        ["metrics.loss ASC"],
    ),
    ("tag equality", "tags.team = 'vision'", []),
    ("OR filter", "params.optimizer = 'sgd' OR metrics.acc > 0.95", []),
]
OPTIMIZERS = ["adam", "sgd", "adamw", "rmsprop"]
TEAMS = ["vision", "nlp", "speech", "rl", "tabular"]
ENVS = ["prod", "dev", "staging"]


@dataclass
class FakeRun:
    run_id: str
    name: str
    start_time: int
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def fake_runs(count: int, seed: int = 7) -> Iterator[FakeRun]:
    rng = random.Random(seed)
    for index in range(count):
        params = {
            "optimizer": rng.choice(OPTIMIZERS),
            "lr": f"{rng.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2]):g}",
            "batch_size": str(rng.choice([16, 32, 64, 128, 256])),
            **{f"p{i}": str(rng.randint(0, 50)) for i in range(7)},
        }
        metrics = {
            "acc": rng.random(),
            "loss": rng.random() * 3,
            "f1": rng.random(),
            "precision": rng.random(),
            "recall": rng.random(),
        }
        tags = {
            "team": rng.choice(TEAMS),
            "env": rng.choice(ENVS),
            "owner": f"user{rng.randint(0, 30)}",
            "dataset": f"ds{rng.randint(0, 9)}",
            "git": uuid.UUID(int=rng.getrandbits(128)).hex[:8],
        }
        yield FakeRun(
            uuid.UUID(int=rng.getrandbits(128)).hex,
            f"run-{index}",
            1_700_000_000_000 + index * 1000,
            params,
            metrics,
            tags,
        )


def load_tuitrack(path: str, runs: list[FakeRun]) -> tuple[TrackingStore, str]:
    store = get_tracking_store(f"sqlite:///{path}", "/tmp/tuitrack-bench-artifacts")
    experiment_id = store.create_experiment("bench")
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
            "artifact_uri, lifecycle_stage) VALUES (?, ?, ?, 'bench', 'FINISHED', ?, '', 'active')",
            [(r.run_id, int(experiment_id), r.name, r.start_time) for r in runs],
        )
        connection.executemany(
            "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)",
            [(r.run_id, k, v) for r in runs for k, v in r.params.items()],
        )
        connection.executemany(
            "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
            [(r.run_id, k, v) for r in runs for k, v in r.tags.items()],
        )
        connection.executemany(
            "INSERT INTO latest_metrics (run_uuid, key, step, timestamp, value, kind, "
            "min_value, max_value, count) VALUES (?, ?, 0, ?, ?, 0, ?, ?, 1)",
            [(r.run_id, k, r.start_time, v, v, v) for r in runs for k, v in r.metrics.items()],
        )
        connection.executemany(
            "INSERT INTO metric_series (run_uuid, key) VALUES (?, ?)",
            [(r.run_id, k) for r in runs for k in r.metrics],
        )
        connection.execute(
            "INSERT INTO metrics (series_id, step, timestamp, value, kind) "
            "SELECT s.series_id, 0, m.timestamp, m.value, 0 FROM metric_series s "
            "JOIN latest_metrics m ON m.run_uuid = s.run_uuid AND m.key = s.key"
        )
    connection.execute("ANALYZE")
    # One bulk transaction leaves a WAL as big as the database, which every read would then
    # consult; a store that is written normally checkpoints every 10,000 pages.
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return store, experiment_id


def load_mlflow(path: str, runs: list[FakeRun]) -> tuple[object, str]:
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    experiment_id = client.create_experiment("bench")
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id, deleted_time) VALUES "
            "(?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', ?, NULL, '', 'active', '', ?, NULL)",
            [(r.run_id, r.name, r.start_time, int(experiment_id)) for r in runs],
        )
        connection.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
            [(k, v, r.run_id) for r in runs for k, v in r.params.items()],
        )
        connection.executemany(
            "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
            [(k, v, r.run_id) for r in runs for k, v in r.tags.items()],
        )
        connection.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "VALUES (?, ?, ?, 0, 0, ?)",
            [(k, v, r.start_time, r.run_id) for r in runs for k, v in r.metrics.items()],
        )
        connection.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES (?, ?, ?, ?, 0, 0)",
            [(k, v, r.start_time, r.run_id) for r in runs for k, v in r.metrics.items()],
        )
    connection.close()
    return client, experiment_id


def median_ms(call: Callable[[], int], repeat: int) -> tuple[float, int]:
    call()  # warm caches and connections
    times, found = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        runs = list(fake_runs(args.runs))
        store, experiment_id = load_tuitrack(f"{folder}/tuitrack.db", runs)
        print(f"tuitrack: {args.runs:,} runs loaded in {time.perf_counter() - started:.1f} s")
        print(f"load average before the queries: {_load_average()}")
        ours: dict[str, float] = {}
        for label, filter_string, order_by in QUERIES:
            ms, found = median_ms(
                lambda f=filter_string, o=order_by: len(
                    store.search_runs([experiment_id], f, max_results=1000, order_by=o)
                ),
                args.repeat,
            )
            ours[label] = ms
            print(f"  {label:34s} {ms:8.1f} ms  ({found} runs returned)")
        print(f"load average after the queries: {_load_average()}")
        if importlib.util.find_spec("mlflow") is None:
            print("mlflow not installed: pip install 'tuitrack[bench]' to compare")
            return
        subset = runs[: args.mlflow_runs]
        small_store, small_id = load_tuitrack(f"{folder}/tuitrack-small.db", subset)
        client, mlflow_id = load_mlflow(f"{folder}/mlflow.db", subset)
        print(f"same queries on {len(subset):,} runs, tuitrack vs MLflow {_mlflow_version()}:")
        for label, filter_string, order_by in QUERIES:
            ms, found = median_ms(
                lambda f=filter_string, o=order_by: len(
                    small_store.search_runs([small_id], f, max_results=1000, order_by=o)
                ),
                args.repeat,
            )
            if " OR " in filter_string:
                print(f"  {label:34s} {ms:8.1f} ms  vs  MLflow: no OR in its filter language")
                continue
            theirs, their_found = median_ms(
                lambda f=filter_string, o=order_by: len(
                    client.search_runs([mlflow_id], f, max_results=1000, order_by=o)  # type: ignore[attr-defined]
                ),
                max(3, args.repeat // 2),
            )
            print(
                f"  {label:34s} {ms:8.1f} ms  vs  {theirs:8.1f} ms  = {theirs / ms:6.1f}x faster "
                f"({found} / {their_found} runs)"
            )


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _mlflow_version() -> str:
    import mlflow

    return str(mlflow.__version__)


if __name__ == "__main__":
    main()
