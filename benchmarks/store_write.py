"""Persist 1,000,000 metric points through TrackingStore.log_batch on SQLite, beside raw
sqlite3.executemany of the same rows (and MLflow's log_batch when MLflow is installed).

    python benchmarks/store_write.py [--points 1000000] [--batch 10000] [--mlflow-points 20000]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sqlite3
import sys
import tempfile
import time

from tuitrack.core.registry import get_tracking_store
from tuitrack.entities import Metric


def make_points(count: int) -> list[Metric]:
    base = 1_700_000_000_000
    return [
        Metric.model_construct(key=f"m{i % 5}", value=math.sin(i) * 10, timestamp=base + i, step=i)
        for i in range(count)
    ]


def bench_tuitrack(points: list[Metric], batch: int, folder: str) -> float:
    store = get_tracking_store(f"sqlite:///{folder}/tuitrack.db", f"{folder}/artifacts")
    run_id = store.create_run(store.create_experiment("bench")).info.run_id
    started = time.perf_counter()
    for start in range(0, len(points), batch):
        store.log_batch(run_id, metrics=points[start : start + batch])
    elapsed = time.perf_counter() - started
    assert len(store.get_metric_history(run_id, "m0")) == len(points) // 5 + (len(points) % 5 > 0)
    store.close()
    return elapsed


def bench_raw_sqlite(points: list[Metric], batch: int, folder: str) -> float:
    """The same table, index and pragmas as tuitrack's, rows prebuilt as tuples."""
    connection = sqlite3.connect(f"{folder}/raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_uuid VARCHAR(32) NOT NULL, "
        "key VARCHAR(250) NOT NULL, step BIGINT NOT NULL, timestamp BIGINT NOT NULL, "
        "value FLOAT, kind SMALLINT NOT NULL)"
    )
    connection.execute("CREATE INDEX ix ON metrics (run_uuid, key, step)")
    run_id = "0" * 32
    rows = [(run_id, p.key, p.step, p.timestamp, p.value, 0) for p in points]
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO metrics (run_uuid, key, step, timestamp, value, kind) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows[start : start + batch],
        )
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def bench_mlflow(points: list[Metric], batch: int, folder: str) -> float:
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder}/mlflow.db")
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    converted = [MlflowMetric(p.key, p.value, p.timestamp, p.step) for p in points]
    limit = min(batch, 1000)  # MLflow refuses batches of more than 1000 metrics
    started = time.perf_counter()
    for start in range(0, len(converted), limit):
        client.log_batch(run_id, metrics=converted[start : start + limit])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--mlflow-points", type=int, default=20_000)
    args = parser.parse_args()
    points = make_points(args.points)
    python = sys.version.split()[0]
    print(f"{args.points:,} metric points, batches of {args.batch:,}, SQLite WAL, Python {python}")
    with tempfile.TemporaryDirectory() as folder:
        raw = bench_raw_sqlite(points, args.batch, folder)
        ours = bench_tuitrack(points, args.batch, folder)
        raw_rate, our_rate = args.points / raw, args.points / ours
        print(f"raw sqlite3 executemany : {raw_rate:12,.0f} points/s  ({raw:.2f} s)")
        print(f"tuitrack log_batch      : {our_rate:12,.0f} points/s  ({ours:.2f} s)")
        print(f"tuitrack / raw sqlite3  : {our_rate / raw_rate:12.1%}")
        if importlib.util.find_spec("mlflow") is None:
            print("mlflow not installed: pip install 'tuitrack[bench]' to compare")
            return
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        subset = points[: args.mlflow_points]
        theirs = bench_mlflow(subset, args.batch, folder)
        mlflow_rate = len(subset) / theirs
        print(
            f"mlflow log_batch        : {mlflow_rate:12,.0f} points/s  "
            f"({len(subset):,} points, {theirs:.2f} s)"
        )
        print(f"tuitrack / mlflow       : {our_rate / mlflow_rate:12.1f}x")


if __name__ == "__main__":
    main()
