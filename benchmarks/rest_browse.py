"""Browse and log over HTTP: tuitrack's REST backend beside MLflow's own client, both talking
to the same real `mlflow server` (SQLite backend, served artifacts) on 127.0.0.1.

    pip install -e ".[dev]"          # MLflow, for the server and the comparison
    python benchmarks/rest_browse.py [--runs 10000] [--repeat 5] [--calls 100000]

Browsing: the server's database is built with 10,000 runs first (as
benchmarks/mlflow_browse.py builds it: MLflow makes the schema, the rows are bulk-inserted,
because creating them through the server takes many minutes), then each query runs once to
warm up and `--repeat` times, tuitrack and MLflow's `MlflowClient.search_runs` in turns, and
the medians are reported; a filter MLflow's server cannot evaluate (OR) is timed for
tuitrack alone (it reads the runs and evaluates it itself). The TUI's first rows are timed
in a fresh process, from its spawn.

Logging: `--calls` log_metric calls in a fresh process each, through tuitrack's SDK
(TUITRACK_TRACKING_URI=http://...) and through MLflow's fluent API, synchronous and
asynchronous (MLFLOW_TRACKING_URI=http://...), end to end: from the first call until every
point is stored on the server (benchmarks/sdk_logging.py's children do the logging).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.mlflow_browse import build, compare_queries
from benchmarks.sdk_logging import measure_in_child
from tests.rest.mlflow_server import MlflowServer
from tuitrack.core.registry import get_tracking_store
from tuitrack.entities import ViewType

HERE = Path(__file__).resolve().parent
# Evaluated by tuitrack itself over what the server sends (MLflow's server has no OR).
SCAN_QUERY = ("OR (tuitrack evaluates)", "params.optimizer = 'adam' OR tags.team = 'audio'")


def browse(url: str, experiment_id: str, repeat: int) -> None:
    from mlflow.tracking import MlflowClient

    started = time.perf_counter()
    store = get_tracking_store(url, "/unused")
    first = store.search_runs([experiment_id], None, ViewType.ACTIVE_ONLY, 100)
    cold = time.perf_counter() - started
    print(f"tuitrack, new store: first {len(first)} rows in {cold * 1000:.0f} ms (goal < 1 s)")
    compare_queries(store, MlflowClient(tracking_uri=url), experiment_id, repeat)
    label, filter_string = SCAN_QUERY
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        page = store.search_runs([experiment_id], filter_string, ViewType.ACTIVE_ONLY, 100)
        times.append(time.perf_counter() - started)
    print(f"{label:28} {statistics.median(times) * 1000:>8.1f}ms {'(no OR)':>14}")
    print(f"  its note: {page.note}")
    store.close()


def tui_first_rows(url: str) -> None:
    child = [
        sys.executable,
        str(HERE / "mlflow_browse.py"),
        "--tui-child",
        url,
        "--spawned",
        str(time.time()),
    ]
    app_started, listed, first_rows = json.loads(
        subprocess.run(child, capture_output=True, check=True).stdout
    )
    print(
        f"TUI (headless, 120x40, fresh process): experiments listed {listed * 1000:.0f} ms, "
        f"runs table's first rows {first_rows * 1000:.0f} ms after the process was spawned "
        f"({(first_rows - app_started) * 1000:.0f} ms after the app started; goal < 1 s)"
    )


def logging_throughput(
    url: str, calls: int, mlflow_sync_calls: int, mlflow_async_calls: int
) -> None:
    ours = measure_in_child("tuitrack", calls, tracking_uri=url)
    sync = measure_in_child("mlflow-sync", mlflow_sync_calls, tracking_uri=url)
    asynchronous = measure_in_child("mlflow-async", mlflow_async_calls, tracking_uri=url)
    print("\nlogging into the server, end to end (first call until every point is stored)")
    rows = [
        ("tuitrack SDK", ours, calls),
        ("MLflow async", asynchronous, mlflow_async_calls),
        ("MLflow sync", sync, mlflow_sync_calls),
    ]
    for name, result, count in rows:
        assert result["stored"] == count, (name, result["stored"], count)
        print(
            f"{name:14} {result['points_per_s']:>12,.0f} points/s   "
            f"caller median {result['median_us']:>8.1f} us/call   ({count:,} points)"
        )
    print(
        f"tuitrack vs MLflow async: {ours['points_per_s'] / asynchronous['points_per_s']:.1f}x; "
        f"vs MLflow sync: {ours['points_per_s'] / sync['points_per_s']:.1f}x (goal >= 10x async)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--mlflow-sync-calls", type=int, default=2_000)
    # MLflow's async client sends about one request per point to a server: fewer points.
    parser.add_argument("--mlflow-async-calls", type=int, default=5_000)
    parser.add_argument("--skip-logging", action="store_true")
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    server = MlflowServer(filled=True)
    experiment_id = build(server.database_path, args.runs)
    server.start()
    try:
        print(f"mlflow server at {server.url} over {server.database_path} ({args.runs:,} runs)")
        browse(server.url, experiment_id, args.repeat)
        tui_first_rows(server.url)
        if not args.skip_logging:
            logging_throughput(
                server.url, args.calls, args.mlflow_sync_calls, args.mlflow_async_calls
            )
    finally:
        server.stop()
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
