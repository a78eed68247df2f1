"""Many clients logging at once into `tuitrack server --workers 4` beside `mlflow server
--workers 4`, each over its own fresh database on the same PostgreSQL server.

    pip install -e ".[dev]"          # MLflow: its server, and its client for both sides
    python benchmarks/server_load.py [--seconds 30] [--clients 8] [--runs 10000] \
        [--history-points 1000000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python benchmarks/server_load.py --quick     # smoke: 5 s, 2 clients, 500 runs, 100k points

Both servers get the same client code: MLflow's own `MlflowClient`. The servers run one after
the other (never at once), on 127.0.0.1, each over a database made for it and dropped after.

Load: `--clients` processes each loop `log_batch(run_id, metrics=[1000 points])` into a run of
their own for `--seconds`, timing every request. Points accepted are those of the requests the
server answered with success; points stored are counted afterwards (MLflow: its metrics
table; tuitrack: its store opened directly on the same database, per-metric point counts);
lost = accepted - stored, which must be 0.

search_runs: `--runs` runs (3 params, 2 tags, 2 metrics each) are created through the server
itself by 16 threads (create_run + one log_batch per run): slower than a bulk insert into
each schema, but the same honest path for both; the time to build is printed. Then the newest
100 and a filtered search (`params.optimizer = 'adam'`, up to 1000) are timed, medians of
`--repeat`.

History: `--history-points` points of one metric are logged into one run through the server
(1000 per log_batch, one request after another, as a training loop logs them: tuitrack server
refuses concurrent batches into one metric of one run as conflicting writes), then read back
with `MlflowClient.get_metric_history` (which pages through the get-history endpoint) while
the server's memory (VmRSS summed over its process group, from /proc) is sampled every 10 ms:
the peak while reading, its rise over the resting size, and the group's lifetime peak (VmHWM
summed) are reported.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.rest.mlflow_server import MlflowServer
from tests.server.contract_postgres.workers_server import WorkersServer
from tests.server_processes import ServerProcess
from tuitrack.core.registry import get_tracking_store

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKERS = 4
BATCH = 1000
KEYS = 10  # each batch: 100 steps of 10 metrics
BUILD_THREADS = 16
MIB = 1024 * 1024


# --- databases and servers -----------------------------------------------------------------


@contextmanager
def fresh_database(server_uri: str, label: str) -> Iterator[str]:
    """A new empty PostgreSQL database on `server_uri`'s server; dropped afterwards."""
    url = make_url(server_uri)
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class MlflowPostgresServer(MlflowServer):
    """`mlflow server --workers N` over a PostgreSQL database."""

    def __init__(self, store_uri: str, workers: int) -> None:
        super().__init__(filled=True)
        self.store_uri = store_uri
        self.workers = workers

    def command(self) -> list[str]:
        return [
            shutil.which("mlflow") or "mlflow",
            "server",
            *("--backend-store-uri", self.store_uri),
            *("--artifacts-destination", str(self.artifacts_path)),
            "--serve-artifacts",
            *("--host", "127.0.0.1"),
            *("--port", str(self.port)),
            *("--workers", str(self.workers)),
        ]


def group_memory(server: ServerProcess, field: str) -> int:
    """`field` (VmRSS, VmHWM) in bytes, summed over the server's process group."""
    assert server.process is not None
    group = server.process.pid
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != group:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


class MemorySampler:
    """The peak of the server group's VmRSS while the `with` block runs (every 10 ms)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.resting = group_memory(server, "VmRSS")
        self.peak = self.resting
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, group_memory(self.server, "VmRSS"))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()


# --- the load ------------------------------------------------------------------------------


def client_loop(url: str, run_id: str, seconds: float, ready: Any, results: Any) -> None:
    """One client process: once every client is ready, log batches for `seconds`, timing
    each request; put its figures on `results`."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    client = MlflowClient(tracking_uri=url)
    latencies: list[float] = []
    accepted = failed = 0
    batch_number = 0
    ready.wait()
    stop_at = time.time() + seconds
    while time.time() < stop_at:
        now = int(time.time() * 1000)
        first_step = batch_number * (BATCH // KEYS)
        metrics = [
            Metric(f"m{index % KEYS}", float(index), now, first_step + index // KEYS)
            for index in range(BATCH)
        ]
        started = time.perf_counter()
        try:
            client.log_batch(run_id, metrics=metrics)
        except Exception:  # counted as refused; the report shows it
            failed += BATCH
        else:
            accepted += BATCH
        latencies.append(time.perf_counter() - started)
        batch_number += 1
    results.put(
        {"latencies": latencies, "accepted": accepted, "failed": failed, "end": time.time()}
    )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load(url: str, run_ids: list[str], seconds: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(run_ids) + 1)  # the clients have imported MLflow
    queue = context.Queue()
    clients = [
        context.Process(target=client_loop, args=(url, run_id, seconds, ready, queue))
        for run_id in run_ids
    ]
    for client in clients:
        client.start()
    ready.wait()
    start = time.time()
    results = [queue.get() for _ in clients]
    for client in clients:
        client.join()
    elapsed = max(result["end"] for result in results) - start
    latencies = [latency for result in results for latency in result["latencies"]]
    return {
        "elapsed": elapsed,
        "accepted": sum(result["accepted"] for result in results),
        "failed": sum(result["failed"] for result in results),
        "requests": len(latencies),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
    }


def stored_mlflow(store_uri: str, run_ids: list[str]) -> int:
    engine = create_engine(store_uri)
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM metrics WHERE run_uuid = ANY(:ids)")
            return int(connection.execute(query, {"ids": run_ids}).scalar_one())
    finally:
        engine.dispose()


def stored_tuitrack(store_uri: str, run_ids: list[str]) -> int:
    store = get_tracking_store(store_uri, tempfile.gettempdir())
    try:
        return sum(
            summary.count for run_id in run_ids for summary in store.get_metric_summaries(run_id)
        )
    finally:
        store.close()


# --- search and history ----------------------------------------------------------------------


def build_runs(client: Any, experiment_id: str, runs: int) -> float:
    from mlflow.entities import Metric, Param, RunTag

    def one(index: int) -> None:
        run = client.create_run(experiment_id, run_name=f"run-{index}")
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("loss", 1.0 / (index + 1), now, 0), Metric("acc", 0.5, now, 0)],
            params=[
                Param("optimizer", ("adam", "sgd", "adamw")[index % 3]),
                Param("lr", str((0.1, 0.01, 0.001)[index % 3])),
                Param("seed", str(index)),
            ],
            tags=[RunTag("team", ("vision", "audio", "nlp")[index % 3]), RunTag("stage", "tune")],
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(BUILD_THREADS) as pool:
        list(pool.map(one, range(runs)))
    return time.perf_counter() - started


def median_time(action: Callable[[], object], repeat: int) -> float:
    action()  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def searches(client: Any, experiment_id: str, repeat: int) -> dict[str, float]:
    return {
        "first": median_time(lambda: client.search_runs([experiment_id], max_results=100), repeat),
        "filtered": median_time(
            lambda: client.search_runs(
                [experiment_id], "params.optimizer = 'adam'", max_results=1000
            ),
            repeat,
        ),
    }


def history(client: Any, server: ServerProcess, experiment_id: str, points: int) -> dict[str, Any]:
    from mlflow.entities import Metric

    run_id = client.create_run(experiment_id, run_name="long").info.run_id
    now = int(time.time() * 1000)

    def batch(first: int) -> None:
        last = min(points, first + BATCH)
        client.log_batch(
            run_id,
            metrics=[Metric("loss", step * 1e-6, now + step, step) for step in range(first, last)],
        )

    started = time.perf_counter()
    for first in range(0, points, BATCH):
        batch(first)
    logged = time.perf_counter() - started
    with MemorySampler(server) as memory:
        started = time.perf_counter()
        read = client.get_metric_history(run_id, "loss")
        elapsed = time.perf_counter() - started
    return {
        "logged": logged,
        "read": elapsed,
        "points": len(read),
        "resting": memory.resting,
        "peak": memory.peak,
        "hwm": group_memory(server, "VmHWM"),
    }


# --- one side --------------------------------------------------------------------------------


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    with fresh_database(args.postgres, name) as store_uri:
        server: ServerProcess
        if name == "tuitrack":
            root = Path(tempfile.mkdtemp(prefix="tuitrack-bench-server-"))
            server = WorkersServer(root, WORKERS, store_uri)
        else:
            root = None
            server = MlflowPostgresServer(store_uri, WORKERS)
        server.start()
        try:
            print(f"{name} server --workers {WORKERS} at {server.url} over {store_uri}")
            client = MlflowClient(tracking_uri=server.url)
            experiment_id = client.create_experiment("load")
            run_ids = [
                client.create_run(experiment_id, run_name=f"client-{index}").info.run_id
                for index in range(args.clients)
            ]
            result = load(server.url, run_ids, args.seconds)
            count = stored_tuitrack if name == "tuitrack" else stored_mlflow
            result["stored"] = count(store_uri, run_ids)
            print(
                f"  load: {result['requests']:,} requests, {result['accepted']:,} points "
                f"accepted, {result['stored']:,} stored, {result['failed']:,} refused"
            )
            search_experiment = client.create_experiment("search")
            result["build"] = build_runs(client, search_experiment, args.runs)
            print(f"  {args.runs:,} runs created through the server in {result['build']:.1f} s")
            result |= searches(client, search_experiment, args.repeat)
            history_experiment = client.create_experiment("history")
            result["history"] = history(client, server, history_experiment, args.history_points)
            print(
                f"  {args.history_points:,} points logged in "
                f"{result['history']['logged']:.1f} s, read back in "
                f"{result['history']['read']:.2f} s"
            )
            return result
        finally:
            server.stop()
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)


def report(ours: dict[str, Any], theirs: dict[str, Any], args: argparse.Namespace) -> None:
    def rate(result: dict[str, Any], key: str) -> float:
        return float(result[key]) / float(result["elapsed"])

    def row(label: str, a: float, b: float, unit: str, higher_is_better: bool) -> None:
        ratio = (a / b if higher_is_better else b / a) if a and b else float("nan")
        print(f"{label:34} {a:>14,.1f} {b:>14,.1f}  {unit:9} {ratio:>7.1f}x")

    print(
        f"\n{args.clients} clients x {args.seconds:g} s of log_batch({BATCH} points); "
        f"{args.runs:,} runs; {args.history_points:,}-point history; workers {WORKERS}"
    )
    print(f"{'':34} {'tuitrack':>14} {'mlflow':>14}  {'unit':9} {'tuitrack better by':>7}")
    row("points/s accepted", rate(ours, "accepted"), rate(theirs, "accepted"), "points/s", True)
    row("points/s stored", rate(ours, "stored"), rate(theirs, "stored"), "points/s", True)
    row("points stored", ours["stored"], theirs["stored"], "points", True)
    row("request latency p50", ours["p50"] * 1000, theirs["p50"] * 1000, "ms", False)
    row("request latency p99", ours["p99"] * 1000, theirs["p99"] * 1000, "ms", False)
    row(
        "search_runs newest 100 (median)", ours["first"] * 1000, theirs["first"] * 1000, "ms", False
    )
    row(
        "search_runs filtered (median)",
        ours["filtered"] * 1000,
        theirs["filtered"] * 1000,
        "ms",
        False,
    )
    ours_h, theirs_h = ours["history"], theirs["history"]
    row("get_metric_history read", ours_h["read"], theirs_h["read"], "s", False)
    row(
        "  server RSS peak while reading",
        ours_h["peak"] / MIB,
        theirs_h["peak"] / MIB,
        "MiB",
        False,
    )
    rise = (
        (ours_h["peak"] - ours_h["resting"]) / MIB,
        (theirs_h["peak"] - theirs_h["resting"]) / MIB,
    )
    row("  its rise over resting RSS", *rise, "MiB", False)
    row(
        "  server lifetime peak (VmHWM sum)",
        ours_h["hwm"] / MIB,
        theirs_h["hwm"] / MIB,
        "MiB",
        False,
    )
    for name, result in (("tuitrack", ours), ("mlflow", theirs)):
        lost = result["accepted"] - result["stored"]
        read = result["history"]["points"]
        print(
            f"{name}: lost {lost:,} (accepted - stored; must be 0), refused {result['failed']:,}, "
            f"history points read {read:,} of {args.history_points:,}"
        )
    print(
        f"goals: stored points/s >= 10x MLflow's: "
        f"{rate(ours, 'stored') / max(rate(theirs, 'stored'), 1e-9):.1f}x; "
        f"tuitrack p99 < 100 ms: {ours['p99'] * 1000:.0f} ms"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--history-points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument(
        "--quick", action="store_true", help="5 s, 2 clients, 500 runs, 100k points"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.clients, args.runs, args.history_points, args.repeat = (
            5.0, 2, 500, 100_000, 3
        )  # fmt: skip
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    ours = measure("tuitrack", args)
    theirs = measure("mlflow", args)
    report(ours, theirs, args)


if __name__ == "__main__":
    main()
