"""How fast the TUI shows a big store, headless through Textual's `run_test`.

    python benchmarks/tui_load.py            # 10,000 runs, 10 params, 5 metrics x 1,000 steps
    python benchmarks/tui_load.py --steps 100              # the same, quicker to build
    python benchmarks/tui_load.py --repeat 1 --why         # and what the UI thread ran longest

Measures: opening the store (imports included); app start -> experiments shown -> first
rows of the runs table drawn (Enter pressed as soon as the experiments show); filter typed
-> the filtered rows drawn (`*_idle_s`: until Pilot finds the app idle again); `G` until
the last of the runs is loaded and under the cursor; peak memory (the measuring process's
peak resident set during the pass, reset at its start on Linux). For each phase (launch,
open_runs, filter, scroll), how long the UI thread ran without a break:
`block_during_*` is the event loop's longest lag as seen by a task sleeping 5 ms at a
time, `longest_callback_*` the longest single event loop callback (wall time), and
`longest_callback_cpu_*` the UI thread's CPU time in it (the work itself: a busy machine,
or a worker thread holding the GIL, stretches wall time beyond it). Each figure is the
median (and worst) of --repeat passes; the load average is printed too, since other
processes on the machine skew every figure.
Goals: first rows < 1 s, filter < 300 ms, peak memory < 300 MB, no block > 50 ms.

The store is built once (in a child process, so its memory does not count) and reused:
it lives in --folder, keyed by its size. At full size it holds 50 million metric points
(about 6 GB of SQLite); it is written through the store's bulk `log_metric_points`, one
transaction per run, which takes about 7 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import subprocess
import sys
import threading
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
    from tuitrack.entities import Param, RunStatus

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
            client.log_batch(run_id, params=params)
            floor = rng.random()
            born = start + index * 60_000
            # Plain (key, value, timestamp, step) tuples: the store's bulk path, which skips
            # building a Metric object per point (50 million of them at full size).
            client.store.log_metric_points(
                run_id,
                [
                    (f"m{k}", floor + 1.0 / (1 + step) + k, born + step, step)
                    for k in range(METRICS)
                    for step in range(steps)
                ],
            )
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


class CallbackClock:
    """Times every event loop callback: the stretches the UI thread ran without a break.

    Wall time is what a person feels; the UI thread's CPU time is the work itself (on a
    busy machine, or while a worker thread holds the GIL, wall time grows with waiting).
    With `sample`, a thread also records the UI thread's stack during long callbacks, to
    name what ran (see `report`).
    """

    def __init__(self, sample: bool = False, threshold: float = 0.03) -> None:
        self.threshold = threshold
        self.worst_wall = 0.0
        self.worst_cpu = 0.0
        self.slow: list[tuple[float, float, float, str]] = []
        """(start, wall, cpu, what) of callbacks longer than `threshold`."""
        self.samples: list[tuple[float, list[str]]] = []
        self._running_since: float | None = None
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True) if sample else None
        self._run = asyncio.events.Handle._run

    def reset(self) -> None:
        self.worst_wall = self.worst_cpu = 0.0

    def start(self) -> None:
        run, clock = self._run, self

        def timed(handle: asyncio.events.Handle) -> None:
            start = clock._running_since = time.perf_counter()
            cpu = time.thread_time()
            run(handle)
            clock._running_since = None
            wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
            clock.worst_wall = max(clock.worst_wall, wall)
            clock.worst_cpu = max(clock.worst_cpu, cpu)
            if wall > clock.threshold:
                clock.slow.append((start, wall, cpu, _callback_name(handle)))

        asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]
        if self._sampler is not None:
            sys.setswitchinterval(0.001)  # so the sampling thread gets its turns on time
            self._sampler.start()

    def stop(self) -> None:
        asyncio.events.Handle._run = self._run  # type: ignore[method-assign]
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join()
            sys.setswitchinterval(0.005)

    def _sample(self) -> None:
        main = threading.main_thread().ident
        while not self._stop.wait(0.002):
            since = self._running_since
            if since is None or time.perf_counter() - since < self.threshold / 3 or main is None:
                continue
            frame = sys._current_frames().get(main)
            stack = []
            while frame is not None:
                where = frame.f_code.co_filename.split("site-packages/")[-1]
                stack.append(f"{where.replace('/work/main/', '')}:{frame.f_code.co_name}")
                frame = frame.f_back
            self.samples.append((time.perf_counter(), stack))

    def report(self, top: int = 8, frames: int = 30) -> None:
        """The longest callbacks, each with the frames sampled most often while it ran."""
        for start, wall, cpu, what in sorted(self.slow, key=lambda s: -s[1])[:top]:
            print(f"callback {wall * 1e3:.0f} ms (cpu {cpu * 1e3:.0f} ms): {what}", file=sys.stderr)
            counts: dict[str, int] = {}
            stacks = [stack for t, stack in self.samples if start <= t <= start + wall]
            for stack in stacks:
                for frame in dict.fromkeys(stack):
                    counts[frame] = counts.get(frame, 0) + 1
            ranked = sorted(counts.items(), key=lambda item: -item[1])
            for frame, count in [r for r in ranked if "asyncio/" not in r[0]][:frames]:
                print(f"  {count:4d}/{len(stacks)}  {frame}", file=sys.stderr)


def _callback_name(handle: asyncio.events.Handle) -> str:
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(task, asyncio.Task):
        return f"task {task.get_name()} {task.get_coro()!r}"[:160]
    return repr(handle)[:160]


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
                paints.append((time.perf_counter(), table.row_key_at(int(table.scroll_y))))
            return draw(table, y)

        RunsTable.render_line = logged  # type: ignore[method-assign,assignment]
        self._draw = draw

    def uninstall(self) -> None:
        """Put the table's own drawing back (each pass installs its own log)."""
        from tuitrack.tui.widgets.runs_table import RunsTable

        RunsTable.render_line = self._draw  # type: ignore[method-assign]

    def first_after(self, moment: float, run_id: str | None = None) -> float:
        """When a row (showing `run_id`, if given) was first drawn after `moment`."""
        return min(t for t, shown in self.paints if t >= moment and run_id in (None, shown))


def reset_peak_rss() -> None:
    """Start measuring peak memory afresh (Linux); elsewhere the process's peak stands."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """The peak resident memory since `reset_peak_rss` (or since the process started)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the TUI did not get there in time")
        await asyncio.sleep(0.002)


async def measure(uri: str, artifacts: str, why: bool = False) -> dict[str, float]:
    """One pass: open the store, start the app, open the runs, filter, scroll to the end."""
    from tuitrack.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.filter_bar import FilterBar
    from tuitrack.tui.widgets.key_table import KeyTable
    from tuitrack.tui.widgets.runs_table import RunsTable

    results: dict[str, float] = {}
    gc.unfreeze()  # what an earlier pass (its app, frozen or not) left is not this pass's
    gc.collect()
    reset_peak_rss()
    paints = PaintLog()
    paints.install()
    opened = time.perf_counter()
    client = TrackingClient(uri, artifacts)
    results["open_store_s"] = time.perf_counter() - opened
    lag = LoopLag()
    lag.start()
    callbacks = CallbackClock(sample=why)
    callbacks.start()

    def phase_done(phase: str) -> None:
        """The longest blocks of the UI thread since the last phase ended."""
        results[f"block_during_{phase}_ms"] = lag.worst * 1000
        results[f"longest_callback_{phase}_ms"] = callbacks.worst_wall * 1000
        results[f"longest_callback_cpu_{phase}_ms"] = callbacks.worst_cpu * 1000
        lag.reset()
        callbacks.reset()

    started = time.perf_counter()
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            lambda: (
                bool(app.screen.query(KeyTable)) and app.screen.query_one(KeyTable).row_count > 0
            )
        )
        results["experiments_shown_s"] = time.perf_counter() - started
        phase_done("launch")
        await pilot.press("enter")  # at once: no time for reading ahead
        await wait_for(
            lambda: (
                isinstance(app.screen, RunsScreen) and app.screen.query_one(RunsTable).row_count > 0
            )
        )
        results["first_rows_idle_s"] = time.perf_counter() - started
        results["first_rows_s"] = paints.first_after(started) - started
        phase_done("open_runs")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(RunsTable)
        await wait_for(lambda: screen.total is not None)
        results["runs_counted"] = screen.total or 0

        await pilot.press("slash")
        bar = screen.query_one(FilterBar)
        bar.input.value = FILTER
        before = list(table.runs)
        typed = time.perf_counter()
        await pilot.press("enter")
        await wait_for(lambda: table.runs != before and not screen.is_loading)
        results["filter_idle_s"] = time.perf_counter() - typed
        first = table.row_key_at(0)
        results["filter_s"] = paints.first_after(typed, first) - typed
        results["filtered_rows"] = len(table.runs)
        await pilot.pause()
        phase_done("filter")

        await pilot.press("slash")
        bar.input.value = ""
        await pilot.press("enter")
        await wait_for(lambda: not screen.is_loading and table.row_count > 0)
        table.focus()
        await pilot.pause()
        lag.reset()
        callbacks.reset()
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
        phase_done("scroll")
    lag.stop()
    callbacks.stop()
    paints.uninstall()
    if why:
        callbacks.report()
    client.close()
    results["peak_rss_mb"] = peak_rss_mb()
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
    parser.add_argument(
        "--why", action="store_true", help="print where the UI thread was during long stalls"
    )
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
    passes = [asyncio.run(measure(uri, artifacts, args.why)) for _ in range(max(args.repeat, 1))]
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
