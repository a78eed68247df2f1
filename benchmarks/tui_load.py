"""How fast the TUI shows a big store, headless through Textual's `run_test`.

    python benchmarks/tui_load.py            # 10,000 runs, 10 params, 5 metrics x 1,000 steps
    python benchmarks/tui_load.py --steps 100              # the same, quicker to build
    python benchmarks/tui_load.py --repeat 1 --why         # and what the UI thread ran longest
    python benchmarks/tui_load.py --scale   # 10,000 experiments; `G` and scrolling at 100,000 runs

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

With --scale, each phase in its own process: the experiments screen's first rows at
--experiments experiments (2 runs each) and `tuitrack experiments list` over them; at
--big-runs runs in one experiment, `G` right after the first rows until the cursor is on
the last run, and scrolling from the first run to the last 500 rows at a time, each with
its peak memory. Goals: first rows < 1 s, `G` < 1 s, peak memory < 300 MB. These stores
log a few hundred runs through the client and copy them in SQL (see `multiply`).

The store is built once (in a child process, so its memory does not count) and reused:
it lives in --folder, keyed by its size. At full size it holds 50 million metric points
(about 6 GB of SQLite); it is written through the store's bulk `log_metric_columns`, one
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.screens.runs import RunsScreen

EXPERIMENT = "bench"
PARAMS = 10
METRICS = 5
FILTER = "params.p0 = 'v3' and metrics.m0 < 0.5"


def build_store(uri: str, artifacts: str, runs: int, steps: int) -> None:
    """Write `runs` runs in one experiment, each with PARAMS params and METRICS metrics."""
    from tuitrack.entities import Param, RunStatus
    from tuitrack.sdk.client import TrackingClient

    rng = random.Random(0)
    start = 1_700_000_000_000
    with TrackingClient(uri, artifact_uri=artifacts) as client:
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
            # Plain columns: the store's bulk path, which skips building a Metric object per
            # point (50 million of them at full size).
            keys = [f"m{k}" for k in range(METRICS) for _ in range(steps)]
            client.store.log_metric_columns(
                run_id,
                keys,
                [floor + 1.0 / (1 + step) + k for k in range(METRICS) for step in range(steps)],
                [born + step for _ in range(METRICS) for step in range(steps)],
                [step for _ in range(METRICS) for step in range(steps)],
            )
            client.set_terminated(
                run_id, RunStatus.FINISHED, end_time=start + index * 60_000 + steps
            )
            if index % 500 == 0:
                print(f"  {index}/{runs} runs written", file=sys.stderr)


def multiply(uri: str, copies: int, experiments: bool) -> None:
    """Copy every run (with `experiments`, every experiment with its runs) `copies` times over,
    straight into the bundled SQL store's tables: each run's row, params, tags and latest
    metrics, not its points, which the screens measured here never read. Logging 100,000
    runs one by one takes over an hour on a busy 2-core machine; this takes a minute."""
    from sqlalchemy import create_engine, insert, select

    from tuitrack_sql import schema

    engine = create_engine(uri)
    tables = (schema.params, schema.tags, schema.latest_metrics)
    with engine.begin() as db:
        runs = [dict(row._mapping) for row in db.execute(select(schema.runs))]
        kept = {
            table.name: [dict(r._mapping) for r in db.execute(select(table))] for table in tables
        }
        found = [dict(r._mapping) for r in db.execute(select(schema.experiments))]
        stride = 10 ** len(str(max(int(e["experiment_id"]) for e in found) + 1))
        span = 10**9  # each copy starts after every earlier one: the default order is by start
        for copy in range(1, copies + 1):
            ids = {run["run_uuid"]: run["run_uuid"][:26] + f"{copy:06d}" for run in runs}
            if experiments:
                db.execute(
                    insert(schema.experiments),
                    [
                        {
                            **e,
                            "experiment_id": e["experiment_id"] + copy * stride,
                            "name": f"{e['name']}-{copy}",
                        }
                        for e in found
                        if e["experiment_id"] != 0
                    ],
                )
            copied = []
            for run in runs:
                row = {**run, "run_uuid": ids[run["run_uuid"]], "name": f"{run['name']}-{copy}"}
                if experiments:
                    row["experiment_id"] = run["experiment_id"] + copy * stride
                else:
                    row["start_time"] = run["start_time"] + copy * span
                    row["end_time"] = run["end_time"] + copy * span
                copied.append(row)
            db.execute(insert(schema.runs), copied)
            for table in tables:
                rows = [{**r, "run_uuid": ids[r["run_uuid"]]} for r in kept[table.name]]
                if rows:
                    db.execute(insert(table), rows)


def build_experiments_store(uri: str, artifacts: str, experiments: int, runs_each: int) -> None:
    """`experiments` experiments of `runs_each` finished runs each, one param and metric per
    run: what the experiments screen reads is the experiments and their runs' times."""
    from tuitrack.entities import Metric, Param, RunStatus
    from tuitrack.sdk.client import TrackingClient

    start = 1_700_000_000_000
    with TrackingClient(uri, artifact_uri=artifacts) as client:
        for index in range(experiments):
            experiment = client.create_experiment(f"exp-{index:05d}")
            for number in range(runs_each):
                born = start + (index * runs_each + number) * 60_000
                run = client.create_run(experiment, run_name=f"r{number}", start_time=born)
                client.log_batch(
                    run.info.run_id,
                    metrics=[Metric(key="m", value=1.0, timestamp=born, step=0)],
                    params=[Param(key="p", value=str(number))],
                )
                client.set_terminated(run.info.run_id, RunStatus.FINISHED, end_time=born + 1)
            if index % 500 == 0:
                print(f"  {index}/{experiments} experiments written", file=sys.stderr)


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


class PassClocks:
    """One pass's figures, and the clocks that take them: the table's paints, and the UI
    thread's longest blocks phase by phase."""

    def __init__(self, why: bool) -> None:
        self.results: dict[str, float] = {}
        self.paints = PaintLog()
        self.lag = LoopLag()
        self.callbacks = CallbackClock(sample=why)

    def start(self) -> None:
        """Start timing the event loop (the paints are logged from `paints.install` on)."""
        self.lag.start()
        self.callbacks.start()

    def restart_phase(self) -> None:
        """Forget the blocks seen so far: the next phase starts here."""
        self.lag.reset()
        self.callbacks.reset()

    def phase_done(self, phase: str) -> None:
        """The longest blocks of the UI thread since the last phase ended."""
        self.results[f"block_during_{phase}_ms"] = self.lag.worst * 1000
        self.results[f"longest_callback_{phase}_ms"] = self.callbacks.worst_wall * 1000
        self.results[f"longest_callback_cpu_{phase}_ms"] = self.callbacks.worst_cpu * 1000
        self.restart_phase()

    def stop(self) -> None:
        self.lag.stop()
        self.callbacks.stop()
        self.paints.uninstall()


async def launch(app: TuitrackApp, clocks: PassClocks, started: float) -> None:
    """App start (at `started`) -> the experiments shown."""
    from tuitrack.tui.widgets.key_table import KeyTable

    await wait_for(
        lambda: bool(app.screen.query(KeyTable)) and app.screen.query_one(KeyTable).row_count > 0
    )
    clocks.results["experiments_shown_s"] = time.perf_counter() - started
    clocks.phase_done("launch")


async def open_runs(pilot: Pilot[None], clocks: PassClocks, started: float) -> RunsScreen:
    """Enter at once (no time for reading ahead) -> the first rows of the runs table drawn,
    timed from app start (at `started`); then the runs counted, untimed."""
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.runs_table import RunsTable

    app = pilot.app
    await pilot.press("enter")
    await wait_for(
        lambda: isinstance(app.screen, RunsScreen) and app.screen.query_one(RunsTable).row_count > 0
    )
    clocks.results["first_rows_idle_s"] = time.perf_counter() - started
    clocks.results["first_rows_s"] = clocks.paints.first_after(started) - started
    clocks.phase_done("open_runs")
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    await wait_for(lambda: screen.total is not None)
    clocks.results["runs_counted"] = screen.total or 0
    return screen


async def type_filter(pilot: Pilot[None], screen: RunsScreen, text: str) -> None:
    """Open the filter bar and put `text` in it; Enter applies it."""
    from tuitrack.tui.widgets.filter_bar import FilterBar

    await pilot.press("slash")
    screen.query_one(FilterBar).input.value = text


async def filter_runs(pilot: Pilot[None], screen: RunsScreen, clocks: PassClocks) -> None:
    """The filter typed, Enter -> the filtered rows drawn."""
    table = screen.table
    await type_filter(pilot, screen, FILTER)
    before = list(table.runs)
    typed = time.perf_counter()
    await pilot.press("enter")
    await wait_for(lambda: table.runs != before and not screen.is_loading)
    clocks.results["filter_idle_s"] = time.perf_counter() - typed
    first = table.row_key_at(0)
    clocks.results["filter_s"] = clocks.paints.first_after(typed, first) - typed
    clocks.results["filtered_rows"] = len(table.runs)
    await pilot.pause()
    clocks.phase_done("filter")


async def clear_filter(pilot: Pilot[None], screen: RunsScreen) -> None:
    """Every run listed again, the table focused (untimed)."""
    table = screen.table
    await type_filter(pilot, screen, "")
    await pilot.press("enter")
    await wait_for(lambda: not screen.is_loading and table.row_count > 0)
    table.focus()
    await pilot.pause()


async def scroll_to_bottom(pilot: Pilot[None], screen: RunsScreen, clocks: PassClocks) -> None:
    """`G` until the last of the runs is loaded and under the cursor."""
    table = screen.table
    clocks.restart_phase()
    scrolled = time.perf_counter()
    while True:
        await pilot.press("G")
        await asyncio.sleep(0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        at_end = screen.chain is not None and screen.chain.below() is None
        if at_end and table.cursor_row == table.row_count - 1:
            break
    clocks.results["scroll_to_bottom_s"] = time.perf_counter() - scrolled
    clocks.results["rows_after_scroll"] = table.row_count
    clocks.phase_done("scroll")


async def measure(uri: str, artifacts: str, why: bool = False) -> dict[str, float]:
    """One pass: open the store, start the app, open the runs, filter, scroll to the end."""
    from tuitrack.sdk.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp

    gc.unfreeze()  # what an earlier pass (its app, frozen or not) left is not this pass's
    gc.collect()
    reset_peak_rss()
    clocks = PassClocks(why)
    clocks.paints.install()
    opened = time.perf_counter()
    client = TrackingClient(uri, artifact_uri=artifacts)
    clocks.results["open_store_s"] = time.perf_counter() - opened
    clocks.start()
    started = time.perf_counter()
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await launch(app, clocks, started)
        screen = await open_runs(pilot, clocks, started)
        await filter_runs(pilot, screen, clocks)
        await clear_filter(pilot, screen)
        await scroll_to_bottom(pilot, screen, clocks)
    clocks.stop()
    if why:
        clocks.callbacks.report()
    client.close()
    clocks.results["peak_rss_mb"] = peak_rss_mb()
    return clocks.results


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


# --- scale: 10,000 experiments, 100,000 runs --------------------------------------------

SCALE_GOALS = {
    "experiments_first_rows_s": ("experiments screen: first rows", 1.0, "s"),
    "experiments_list_s": ("`tuitrack experiments list`", None, "s"),
    "jump_to_end_s": ("`G`: cursor on the last run", 1.0, "s"),
    "jump_peak_rss_mb": ("`G`: peak memory", 300.0, "MB"),
    "scroll_peak_rss_mb": ("scrolling end to end: peak memory", 300.0, "MB"),
    "scroll_s": ("scrolling end to end (500 rows a step)", None, "s"),
    "scroll_rows_held_max": ("scrolling: most rows held at once", None, "rows"),
}


def build_scale_store(folder: Path, kind: str, size: int) -> str:
    """A store of `size` experiments (2 runs each) or `size` runs (one experiment), built once
    in `folder`: a few hundred logged through the client, the rest copied (see multiply)."""
    uri = f"sqlite:///{folder / 'bench.db'}"
    if (folder / "complete").exists():
        return uri
    folder.mkdir(parents=True, exist_ok=True)
    print(f"building {size:,} {kind} in {folder} …", file=sys.stderr)
    if kind == "experiments":
        build_experiments_store(uri, str(folder / "artifacts"), 200, 2)
        multiply(uri, size // 200 - 1, experiments=True)
    else:
        build_store(uri, str(folder / "artifacts"), 1000, 1)
        multiply(uri, size // 1000 - 1, experiments=False)
    (folder / "complete").touch()
    return uri


async def measure_experiments_screen(uri: str, artifacts: str) -> dict[str, float]:
    """App start -> the experiments screen's first rows drawn."""
    from tuitrack.sdk.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.widgets.key_table import KeyTable

    client = TrackingClient(uri, artifact_uri=artifacts)
    started = time.perf_counter()
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(120, 40)):
        screen = app.screen
        await wait_for(
            lambda: bool(screen.query(KeyTable)) and screen.query_one(KeyTable).row_count > 0,
            timeout=600,
        )
        shown = time.perf_counter() - started
    client.close()
    return {"experiments_first_rows_s": shown}


def time_experiments_list(uri: str) -> dict[str, float]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "tuitrack.cli.main", "--uri", uri, "experiments", "list"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return {"experiments_list_s": time.perf_counter() - started}


async def measure_big_listing(uri: str, artifacts: str, phase: str) -> dict[str, float]:
    """`jump`: `G` right after the first rows, until the cursor is on the listing's last run;
    `scroll`: the cursor moved down 500 rows at a time (reading pages as it goes) from the
    first run to the last. Each measures the peak memory from the first rows on."""
    from tuitrack.sdk.client import TrackingClient
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.key_table import KeyTable
    from tuitrack.tui.widgets.runs_table import RunsTable

    client = TrackingClient(uri, artifact_uri=artifacts)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    oldest = client.search_runs(
        experiment.experiment_id, order_by=["attributes.start_time ASC"], max_results=1
    )
    last_run = oldest[0].info.run_id  # the default order is newest first
    results: dict[str, float] = {}
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            lambda: (
                bool(app.screen.query(KeyTable)) and app.screen.query_one(KeyTable).row_count > 0
            ),
            600,
        )
        await pilot.press("enter")
        await wait_for(
            lambda: (
                isinstance(app.screen, RunsScreen) and app.screen.query_one(RunsTable).row_count > 0
            ),
            600,
        )
        table = app.screen.query_one(RunsTable)
        await app.workers.wait_for_complete()
        await pilot.pause()
        gc.collect()
        reset_peak_rss()
        started = time.perf_counter()
        held = 0
        if phase == "jump":
            await pilot.press("G")
            await wait_for(lambda: table.current_row_key() == last_run, 600)
            results["jump_to_end_s"] = time.perf_counter() - started
            results["jump_peak_rss_mb"] = peak_rss_mb()
        else:
            while table.current_row_key() != last_run:
                table.move_cursor(table.cursor_row + 500)
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                held = max(held, len(table.runs))
            results["scroll_s"] = time.perf_counter() - started
            results["scroll_peak_rss_mb"] = peak_rss_mb()
            results["scroll_rows_held_max"] = held
    client.close()
    return results


def run_scale(args: argparse.Namespace) -> None:
    """Each phase in its own process, so one phase's memory is not the next one's."""
    folder = Path(args.folder)
    experiments = build_scale_store(
        folder / f"experiments{args.experiments}", "experiments", args.experiments
    )
    runs = build_scale_store(folder / f"bigruns{args.big_runs}", "runs", args.big_runs)
    results: dict[str, float] = {}
    phases = [("experiments", experiments), ("list", experiments), ("jump", runs), ("scroll", runs)]
    for phase, uri in phases:
        command = [sys.executable, __file__, "--scale-phase", phase, "--uri", uri]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results.update(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"{args.experiments:,} experiments x 2 runs; {args.big_runs:,} runs in one experiment;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'measure':44} {'value':>10} {'goal':>10}")
    for key, (label, goal, unit) in SCALE_GOALS.items():
        if key in results:
            target = f"< {goal:g} {unit}" if goal is not None else ""
            print(f"{label:44} {results[key]:>8.2f} {unit:<4} {target:>8}")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


def run_scale_phase(phase: str, uri: str) -> None:
    artifacts = str(Path(uri.removeprefix("sqlite:///")).parent / "artifacts")
    if phase == "experiments":
        found = asyncio.run(measure_experiments_screen(uri, artifacts))
    elif phase == "list":
        found = time_experiments_list(uri)
    else:
        found = asyncio.run(measure_big_listing(uri, artifacts, phase))
    print(json.dumps(found))


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
    parser.add_argument(
        "--scale",
        action="store_true",
        help="measure the experiments screen at --experiments and `G`/scrolling at --big-runs",
    )
    parser.add_argument("--experiments", type=int, default=10_000, help="with --scale")
    parser.add_argument("--big-runs", type=int, default=100_000, help="with --scale")
    parser.add_argument("--scale-phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_phase:
        run_scale_phase(args.scale_phase, args.uri)
        return
    if args.scale:
        run_scale(args)
        return
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
