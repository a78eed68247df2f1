"""How fast the TUI shows a big store, headless through Textual's `run_test`.

    python benchmarks/tui_load.py            # 10,000 runs, 10 params, 5 metrics x 1,000 steps
    python benchmarks/tui_load.py --steps 100              # the same, quicker to build

Measures: opening the store (imports included); app start -> experiments shown -> first
rows of the runs table drawn (Enter pressed as soon as the experiments show); filter typed
-> the filtered rows drawn (`*_idle_s`: until Pilot finds the app idle again); `G` until
the last of the runs is loaded and under the cursor; peak memory (max RSS of the
measuring process); and the longest stretch the UI's event loop was blocked. Each figure
is the median (and worst) of --repeat passes; the load average is printed too, since
other processes on the machine skew every figure.
Goals: first rows < 1 s, filter < 300 ms, peak memory < 300 MB, no block > 50 ms.

The store is built once (in a child process, so its memory does not count) and reused:
it lives in --folder, keyed by its size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXPERIMENT = "bench"
PARAMS = 10
METRICS = 5
FILTER = "params.p0 = 'v3' and metrics.m0 < 0.5"


def build_store(uri: str, artifacts: str, runs: int, steps: int) -> None:
    """Write `runs` runs in one experiment, each with PARAMS params and METRICS metrics."""
    from tuitrack.client import TrackingClient
    from tuitrack.entities import Metric, Param, RunStatus

    rng = random.Random(0)
    start = 1_700_000_000_000
    with TrackingClient(uri, artifacts) as client:
        experiment = client.create_experiment(EXPERIMENT)
        for index in range(runs):
            run = client.create_run(
                experiment, run_name=f"run-{index:05d}", start_time=start + index * 60_000
            )
            run_id = run.info.run_id
            params = [Param(key=f"p{k}", value=f"v{rng.randrange(8)}") for k in range(PARAMS)]
            floor = rng.random()
            metrics = [
                Metric(
                    key=f"m{k}",
                    value=floor + 1.0 / (1 + step) + k,
                    timestamp=start + index * 60_000 + step,
                    step=step,
                )
                for k in range(METRICS)
                for step in range(steps)
            ]
            client.log_batch(run_id, metrics=metrics, params=params)
            client.set_terminated(
                run_id, RunStatus.FINISHED, end_time=start + index * 60_000 + steps
            )
            if index % 500 == 0:
                print(f"  {index}/{runs} runs written", file=sys.stderr)


class LoopLag:
    """Measures the longest time the event loop was busy, by sleeping in small steps."""

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.tick)
            self.worst = max(self.worst, loop.time() - before - self.tick)

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    def reset(self) -> None:
        self.worst = 0.0

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


class PaintLog:
    """When the runs table drew its first row, and which run that row showed.

    Pilot's `press` returns only once the app is idle again, so the moment the new rows
    are on screen is taken from the table's own drawing instead.
    """

    def __init__(self) -> None:
        self.paints: list[tuple[float, str]] = []

    def install(self) -> None:
        from tuitrack.tui.widgets.runs_table import RunsTable

        draw = RunsTable.render_line
        paints = self.paints

        def logged(table: RunsTable, y: int) -> Any:
            if y == 1 and table.row_count:
                paints.append((time.perf_counter(), table.row_keys()[int(table.scroll_y)]))
            return draw(table, y)

        RunsTable.render_line = logged  # type: ignore[method-assign,assignment]

    def first_after(self, moment: float, run_id: str | None = None) -> float:
        """When a row (showing `run_id`, if given) was first drawn after `moment`."""
        return min(t for t, shown in self.paints if t >= moment and run_id in (None, shown))


async def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the TUI did not get there in time")
        await asyncio.sleep(0.002)


async def measure(uri: str, artifacts: str) -> dict[str, float]:
    """One pass: open the store, start the app, open the runs, filter, scroll to the end."""
    from tuitrack.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.filter_bar import FilterBar
    from tuitrack.tui.widgets.key_table import KeyTable
    from tuitrack.tui.widgets.runs_table import RunsTable

    results: dict[str, float] = {}
    paints = PaintLog()
    paints.install()
    opened = time.perf_counter()
    client = TrackingClient(uri, artifacts)
    results["open_store_s"] = time.perf_counter() - opened
    lag = LoopLag()
    lag.start()
    started = time.perf_counter()
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            lambda: (
                bool(app.screen.query(KeyTable)) and app.screen.query_one(KeyTable).row_count > 0
            )
        )
        results["experiments_shown_s"] = time.perf_counter() - started
        await pilot.press("enter")  # at once: no time for reading ahead
        await wait_for(
            lambda: (
                isinstance(app.screen, RunsScreen) and app.screen.query_one(RunsTable).row_count > 0
            )
        )
        results["first_rows_idle_s"] = time.perf_counter() - started
        results["first_rows_s"] = paints.first_after(started) - started
        results["block_during_start_ms"] = lag.worst * 1000
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(RunsTable)
        await wait_for(lambda: screen.total is not None)
        results["runs_counted"] = screen.total or 0

        lag.reset()
        await pilot.press("slash")
        bar = screen.query_one(FilterBar)
        bar.input.value = FILTER
        before = list(table.runs)
        typed = time.perf_counter()
        await pilot.press("enter")
        await wait_for(lambda: table.runs != before and not screen.is_loading)
        results["filter_idle_s"] = time.perf_counter() - typed
        first = table.row_keys()[0]
        results["filter_s"] = paints.first_after(typed, first) - typed
        results["filtered_rows"] = len(table.runs)
        results["block_during_filter_ms"] = lag.worst * 1000

        await pilot.press("slash")
        bar.input.value = ""
        await pilot.press("enter")
        await wait_for(lambda: not screen.is_loading and table.row_count > 0)
        table.focus()
        lag.reset()
        scrolled = time.perf_counter()
        while True:
            await pilot.press("G")
            await asyncio.sleep(0)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if screen.next_token is None and table.cursor_row == table.row_count - 1:
                break
        results["scroll_to_bottom_s"] = time.perf_counter() - scrolled
        results["rows_after_scroll"] = table.row_count
        results["block_during_scroll_ms"] = lag.worst * 1000
    lag.stop()
    client.close()
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def summarize(passes: list[dict[str, float]]) -> dict[str, object]:
    """Median and worst of each figure over the passes (the first one is cold)."""
    summary: dict[str, object] = {}
    for key in passes[0]:
        values = sorted(p[key] for p in passes)
        median = values[len(values) // 2]
        summary[key] = (
            round(median, 3)
            if len(values) == 1
            else {
                "median": round(median, 3),
                "worst": round(values[-1], 3),
            }
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000, help="points per metric per run")
    parser.add_argument("--folder", default="/tmp/tuitrack-bench", help="where the store is kept")
    parser.add_argument("--uri", help="measure this existing store instead of building one")
    parser.add_argument("--repeat", type=int, default=3, help="passes to run (median, worst)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.folder) / f"runs{args.runs}-steps{args.steps}"
    uri = args.uri or f"sqlite:///{folder / 'bench.db'}"
    artifacts = str(folder / "artifacts")
    if args.build_only:
        folder.mkdir(parents=True, exist_ok=True)
        build_store(uri, artifacts, args.runs, args.steps)
        (folder / "complete").touch()
        return
    if not args.uri and not (folder / "complete").exists():
        print(f"building {args.runs} runs x {args.steps} steps in {folder} …", file=sys.stderr)
        command = [sys.executable, __file__, "--build-only", "--runs", str(args.runs)]
        command += ["--steps", str(args.steps), "--folder", args.folder]
        subprocess.run(command, check=True)
    load_before = os.getloadavg()
    passes = [asyncio.run(measure(uri, artifacts)) for _ in range(max(args.repeat, 1))]
    machine = {
        "cpus": os.cpu_count(),
        "load_average_1m_before": round(load_before[0], 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    store = {"store": args.uri} if args.uri else {"runs": args.runs, "steps": args.steps}
    report = {**store, "passes": len(passes), **machine}
    print(json.dumps({**report, **summarize(passes)}, indent=2))


if __name__ == "__main__":
    main()
