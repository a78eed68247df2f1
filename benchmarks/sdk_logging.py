"""Logging cost of the tuitrack SDK, and of MLflow when it is installed, on SQLite.

    python benchmarks/sdk_logging.py            # the README figures
    python benchmarks/sdk_logging.py --quick    # fewer calls, for a smoke run
    python benchmarks/sdk_logging.py --baseline ../old-checkout --passes 9
        # tuitrack's caller cost and end to end only, this tree and another checkout of
        # tuitrack side by side (their processes in turns), with the ratios

Every measurement runs in a fresh Python process against a fresh temporary store:
- caller side: median time of one `log_metric` call (100,000 calls for tuitrack; fewer
  for MLflow's synchronous mode, which takes milliseconds a call), and its floor, a
  function that appends a (key, value, timestamp) tuple to a list;
- end to end: time from the first call until every point is stored (flush), the points
  per second that makes, and how long after the last call the last point was stored
  (tuitrack: the median of 5 processes, with their range);
- `python -c "import tuitrack"` against `python -c "import mlflow"` (median of 5, in turns);
- a whole "hello" process: import, start a run, 10 params, 1,000 metric points, end
  (median of 3, in turns, against stores created beforehand).
tuitrack's measurement fails if tuitrack changed the garbage collector's state (enabled,
thresholds, callbacks, frozen objects) at any time while it logged: a library must leave
the user's collector alone, and the figures are those of a collector left alone.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HELLO_TUITRACK = """
import tuitrack
tuitrack.set_experiment("hello")
with tuitrack.start_run():
    tuitrack.log_params({f"p{i}": i for i in range(10)})
    for step in range(1000):
        tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
"""

HELLO_MLFLOW = HELLO_TUITRACK.replace("tuitrack", "mlflow")
TUITRACK_PASSES = 5
ROOT = Path(__file__).resolve().parent.parent
# What a side-by-side run compares (label, format), each the median over its processes.
COMPARED = {
    "points_per_s": ("end to end, points/s", ",.0f"),
    "persisted_s": ("first call -> all stored, s", ".3f"),
    "last_point_lag_s": ("last call -> all stored, s", ".3f"),
    "median_us": ("log_metric median, us", ".2f"),
    "p99_us": ("log_metric p99, us", ".2f"),
}


# --- measurements made inside a child process ------------------------------------------


def _time_calls(call: Any, calls: int) -> tuple[list[int], float, float]:
    """Per-call durations (ns) and the wall clock of the first and last call."""
    clock = time.perf_counter_ns
    samples = [0] * calls
    first = time.perf_counter()
    for step in range(calls):
        start = clock()
        call(step)
        samples[step] = clock() - start
    return samples, first, time.perf_counter()


def _summary(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": statistics.median(ordered) / 1000,
        "p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
        "calls": len(ordered),
    }


def child_floor(calls: int) -> dict[str, Any]:
    points: list[tuple[str, float, float]] = []
    append = points.append
    now = time.time

    def floor(step: int) -> None:
        append(("loss", 0.5, now()))

    samples, _first, _last = _time_calls(floor, calls)
    return _summary(samples)


def _collector_state() -> tuple[object, ...]:
    return gc.isenabled(), gc.get_threshold(), tuple(gc.callbacks), gc.get_freeze_count()


@contextlib.contextmanager
def _collector_left_alone() -> Iterator[None]:
    """Fail if the body changes the collector's state, even for a moment."""
    changes: list[str] = []
    originals = {name: getattr(gc, name) for name in ("disable", "set_threshold", "freeze")}

    def recording(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            changes.append(name)
            return original(*args)

        return call

    before = _collector_state()
    for name, original in originals.items():
        setattr(gc, name, recording(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(gc, name, original)
    if changes or _collector_state() != before:
        raise RuntimeError(f"tuitrack changed the garbage collector's state: {changes}")


def child_tuitrack(calls: int) -> dict[str, Any]:
    import tuitrack

    with _collector_left_alone():
        tuitrack.set_experiment("bench")
        run = tuitrack.start_run()
        log_metric = tuitrack.log_metric

        def log(step: int) -> None:
            log_metric("loss", 0.5, step=step)

        samples, first, last = _time_calls(log, calls)
        tuitrack.flush()
        stored_at = time.perf_counter()
        stored = len(tuitrack.TrackingClient().get_metric_history(run.info.run_id, "loss"))
        tuitrack.end_run()
    return {
        **_summary(samples),
        "persisted_s": stored_at - first,
        "points_per_s": calls / (stored_at - first),
        "last_point_lag_s": stored_at - last,
        "stored": stored,
    }


def child_mlflow(calls: int, synchronous: bool) -> dict[str, Any]:
    import mlflow

    mlflow.set_experiment("bench")
    run = mlflow.start_run()
    log_metric = mlflow.log_metric

    def log(step: int) -> None:
        log_metric("loss", 0.5, step=step, synchronous=synchronous)

    samples, first, last = _time_calls(log, calls)
    if not synchronous:
        mlflow.flush_async_logging()
    stored_at = time.perf_counter()
    client = mlflow.MlflowClient()
    stored = len(client.get_metric_history(run.info.run_id, "loss"))
    mlflow.end_run()
    return {
        **_summary(samples),
        "persisted_s": stored_at - first,
        "points_per_s": calls / (stored_at - first),
        "last_point_lag_s": stored_at - last,
        "stored": stored,
    }


# --- the parent: fresh processes and stores --------------------------------------------


def _env(directory: str) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_DATA_HOME": os.path.join(directory, "xdg"),
        "TUITRACK_TRACKING_URI": f"sqlite:///{directory}/tuitrack.db",
        "TUITRACK_ARTIFACT_URI": os.path.join(directory, "tuitrack-artifacts"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{directory}/mlflow.db",
        "MLFLOW_ARTIFACT_URI": os.path.join(directory, "mlflow-artifacts"),
        "PYTHONWARNINGS": "ignore",
    }


def measure_in_child(
    mode: str, calls: int, tree: Path | None = None, tracking_uri: str | None = None
) -> dict[str, Any]:
    """Run one measurement in a fresh process; with `tree`, that checkout's tuitrack runs
    its own copy of this script (this one's measurement code may be newer); with
    `tracking_uri`, both tuitrack and MLflow log there (e.g. a tracking server)."""
    script = __file__ if tree is None else str(tree / "benchmarks" / "sdk_logging.py")
    with tempfile.TemporaryDirectory(prefix="tuitrack-bench-") as directory:
        env = _env(directory)
        if tracking_uri is not None:
            env["TUITRACK_TRACKING_URI"] = env["MLFLOW_TRACKING_URI"] = tracking_uri
        if tree is not None:
            env["PYTHONPATH"] = os.pathsep.join((str(tree), str(tree / "backends")))
        done = subprocess.run(
            [sys.executable, script, "--child", mode, "--calls", str(calls)],
            env=env,
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _wall(code: str, env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def _median_walls(codes: dict[str, str], repeats: int, prepare: bool = False) -> dict[str, float]:
    """Median wall time of each snippet, run in turns so that they share the machine's
    load alike; with `prepare`, each runs once first to create its store."""
    times: dict[str, list[float]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory(prefix="tuitrack-bench-") as directory:
        env = _env(directory)
        if prepare:
            for code in codes.values():
                _wall(code, env, directory)
        for _ in range(repeats):
            for name, code in codes.items():
                times[name].append(_wall(code, env, directory))
    return {name: statistics.median(values) for name, values in times.items()}


def _has_mlflow() -> bool:
    from importlib.util import find_spec

    return find_spec("mlflow") is not None


def _ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:,.1f}x" if fast else "n/a"


def measure(
    calls: int, mlflow_sync_calls: int, mlflow_async_calls: int, with_mlflow: bool = True
) -> dict[str, Any]:
    results: dict[str, Any] = {"calls": calls}
    results["floor"] = measure_in_child("floor", calls)
    # End to end shares two cores between the loop, the writer thread and SQLite, so one
    # process varies with whatever else the machine does: the median of several is reported.
    passes = sorted(
        (measure_in_child("tuitrack", calls) for _ in range(TUITRACK_PASSES)),
        key=lambda r: r["points_per_s"],
    )
    results["tuitrack"] = passes[len(passes) // 2]
    results["tuitrack_points_per_s_range"] = (
        passes[0]["points_per_s"],
        passes[-1]["points_per_s"],
    )
    mlflow = with_mlflow and _has_mlflow()
    imports = {"python": "pass", "tuitrack": "import tuitrack"}
    hellos = {"tuitrack": HELLO_TUITRACK}
    if mlflow:
        results["mlflow_sync"] = measure_in_child("mlflow-sync", mlflow_sync_calls)
        results["mlflow_async"] = measure_in_child("mlflow-async", mlflow_async_calls)
        imports["mlflow"] = "import mlflow"
        hellos["mlflow"] = HELLO_MLFLOW
    for name, seconds in _median_walls(imports, 5).items():
        results[f"import_{name}_s"] = seconds
    for name, seconds in _median_walls(hellos, 3, prepare=True).items():
        results[f"hello_{name}_s"] = seconds
    return results


def report(results: dict[str, Any]) -> str:
    lines = []
    floor = results["floor"]["median_us"]
    ours = results["tuitrack"]
    lines.append("log_metric, caller side (median per call; p99)")
    lines.append(f"  floor (append a tuple)      {floor:9.2f} us")
    lines.append(
        f"  tuitrack                    {ours['median_us']:9.2f} us   p99 {ours['p99_us']:.2f} us"
        f"   ({ours['calls']:,} calls)"
    )
    for name, label in (("mlflow_sync", "mlflow synchronous"), ("mlflow_async", "mlflow async")):
        if name in results:
            theirs = results[name]
            lines.append(
                f"  {label:<27} {theirs['median_us']:9.2f} us   p99 {theirs['p99_us']:.2f} us"
                f"   ({theirs['calls']:,} calls; {_ratio(theirs['median_us'], ours['median_us'])}"
                " tuitrack's)"
            )
    lines.append("")
    slowest, fastest = results["tuitrack_points_per_s_range"]
    lines.append(
        "until every point is stored (first call -> flush done; tuitrack: the median of "
        f"{TUITRACK_PASSES} processes, {slowest:,.0f} to {fastest:,.0f} points/s)"
    )
    for name in ("tuitrack", "mlflow_sync", "mlflow_async"):
        if name in results:
            r = results[name]
            lines.append(
                f"  {name:<27} {r['persisted_s']:8.3f} s  {r['points_per_s']:>12,.0f} points/s"
                f"  last point stored {r['last_point_lag_s']:.3f} s after the last call"
                f"  ({r['stored']:,}/{r['calls']:,} stored)"
            )
    lines.append("")
    lines.append("process wall time (median)")
    lines.append(f"  python -c pass              {results['import_python_s']:8.3f} s")
    lines.append(f"  import tuitrack             {results['import_tuitrack_s']:8.3f} s")
    if "import_mlflow_s" in results:
        lines.append(
            f"  import mlflow               {results['import_mlflow_s']:8.3f} s"
            f"   ({_ratio(results['import_mlflow_s'], results['import_tuitrack_s'])} slower)"
        )
    lines.append(f"  hello script, tuitrack      {results['hello_tuitrack_s']:8.3f} s")
    if "hello_mlflow_s" in results:
        lines.append(
            f"  hello script, mlflow        {results['hello_mlflow_s']:8.3f} s"
            f"   ({_ratio(results['hello_mlflow_s'], results['hello_tuitrack_s'])} slower)"
        )
    return "\n".join(lines)


def compare(calls: int, passes: int, baseline: Path) -> dict[str, list[dict[str, Any]]]:
    """tuitrack's measurement from this tree and from `baseline`, `passes` processes each,
    in turns (ABBA...) so that both share the machine's load alike."""
    trees = {"this tree": ROOT, "baseline": baseline}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for turn in range(passes):
        order = list(trees) if turn % 2 == 0 else list(reversed(trees))
        for name in order:
            runs[name].append(measure_in_child("tuitrack", calls, trees[name]))
    return runs


def report_comparison(runs: dict[str, list[dict[str, Any]]], baseline: Path) -> str:
    ours, theirs = runs["this tree"], runs["baseline"]
    lines = [
        f"tuitrack, this tree ({ROOT}) against {baseline}: medians of {len(ours)} processes "
        f"each, in turns ({ours[0]['calls']:,} log_metric calls a process)",
        f"  {'':<30} {'this tree':>12} {'baseline':>12} {'ratio':>7}",
    ]
    for figure, (label, style) in COMPARED.items():
        new = statistics.median(run[figure] for run in ours)
        old = statistics.median(run[figure] for run in theirs)
        lines.append(f"  {label:<30} {new:>12{style}} {old:>12{style}} {new / old:>7.3f}")
    for name, passes in runs.items():
        speeds = sorted(run["points_per_s"] for run in passes)
        lines.append(f"  {name}: points/s {speeds[0]:,.0f} to {speeds[-1]:,.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--mlflow-sync-calls", type=int, default=1_000)
    parser.add_argument("--mlflow-async-calls", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="10x fewer calls")
    parser.add_argument("--no-mlflow", action="store_true", help="measure tuitrack only")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of tuitrack: measure only tuitrack's caller cost and end to "
        "end, this tree and that one side by side",
    )
    parser.add_argument(
        "--passes", type=int, default=TUITRACK_PASSES, help="processes per tree with --baseline"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        children = {
            "floor": lambda: child_floor(args.calls),
            "tuitrack": lambda: child_tuitrack(args.calls),
            "mlflow-sync": lambda: child_mlflow(args.calls, synchronous=True),
            "mlflow-async": lambda: child_mlflow(args.calls, synchronous=False),
        }
        print(json.dumps(children[args.child]()))
        return
    scale = 10 if args.quick else 1
    if args.baseline is not None:
        runs = compare(args.calls // scale, args.passes, args.baseline.resolve())
        print(json.dumps(runs, indent=2) if args.json else report_comparison(runs, args.baseline))
        return
    results = measure(
        args.calls // scale,
        max(args.mlflow_sync_calls // scale, 100),
        max(args.mlflow_async_calls // scale, 100),
        with_mlflow=not args.no_mlflow,
    )
    print(json.dumps(results, indent=2) if args.json else textwrap.dedent(report(results)))


if __name__ == "__main__":
    main()
