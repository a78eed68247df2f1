"""The chart view's time from keypress to drawn, headless through Textual's `run_test`.

On a SQLite store holding one run with a 1,000,000-point metric and ten runs with 100,000
points each (written with log_batch in big batches, cached in --folder), it measures
  - runs screen, cursor on the 1M-point run, `v`  -> its chart drawn
  - that chart, `+` (zoom in)                      -> the zoomed range read again and drawn
  - runs screen, the ten runs marked, `v`          -> the ten overlaid curves drawn
and, for the same data outside the app, the store read and the drawing alone.
Goal: under 500 ms from keypress to drawn. Prints medians and the machine's load average.

    python benchmarks/chart_view.py [--repeats 7] [--size 120x40] [--folder /tmp/...]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tuitrack.entities import Metric, RunStatus
from tuitrack.sdk.client import TrackingClient

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tuitrack.tui.charting import SeriesPoints
    from tuitrack.tui.history_queries import SeriesKey
    from tuitrack.tui.screens.chart import ChartScreen
    from tuitrack.tui.widgets.runs_table import RunsTable

EXPERIMENT = "chart-bench"
KEY = "loss"
LONG_POINTS = 1_000_000
SHORT_RUNS = 10
SHORT_POINTS = 100_000
BATCH = 50_000
BASE_TIME = 1_700_000_000_000
GOAL_MS = 500.0


def loss_curve(count: int, seed: int) -> Iterator[Metric]:
    """A decaying, noisy loss with spikes and a NaN, the same for the same seed."""
    for step in range(count):
        noise = ((step * 7_919 + seed * 104_729) % 1_000) / 4_000
        value = 2.0 / math.sqrt(1 + step / 500) + noise
        if step % 99_991 == 5_000:
            value = math.nan
        elif step % 49_999 == 777:
            value *= 40
        yield Metric.model_construct(
            key=KEY, value=value, timestamp=BASE_TIME + step * 25, step=step
        )


def log_points(client: TrackingClient, run_id: str, points: Iterator[Metric]) -> None:
    batch: list[Metric] = []
    for point in points:
        batch.append(point)
        if len(batch) == BATCH:
            client.log_batch(run_id, metrics=batch)
            batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)


def open_store(folder: Path) -> tuple[TrackingClient, str, list[str]]:
    """The client, the long run's id and the short runs' ids; written on first use."""
    folder.mkdir(parents=True, exist_ok=True)
    client = TrackingClient(
        f"sqlite:///{folder / 'tuitrack.db'}", artifact_uri=str(folder / "artifacts")
    )
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        runs = {
            r.info.run_name: r.info.run_id for r in client.search_runs([experiment.experiment_id])
        }
        names = ["long", *(f"short-{i}" for i in range(SHORT_RUNS))]
        if all(name in runs for name in names):
            return client, runs["long"], [runs[f"short-{i}"] for i in range(SHORT_RUNS)]
        raise SystemExit(f"{folder} holds an incomplete benchmark store: delete it")
    print(f"writing {LONG_POINTS:,} + {SHORT_RUNS} x {SHORT_POINTS:,} points to {folder} ...")
    started = time.perf_counter()
    experiment_id = client.create_experiment(EXPERIMENT)
    run_ids = []
    for name, count, seed in [("long", LONG_POINTS, 0)] + [
        (f"short-{i}", SHORT_POINTS, i + 1) for i in range(SHORT_RUNS)
    ]:
        run = client.create_run(experiment_id, run_name=name, start_time=BASE_TIME)
        log_points(client, run.info.run_id, loss_curve(count, seed))
        client.set_terminated(run.info.run_id, RunStatus.FINISHED, end_time=BASE_TIME + count * 25)
        run_ids.append(run.info.run_id)
    print(f"  written in {time.perf_counter() - started:.0f} s")
    return client, run_ids[0], run_ids[1:]


# --- in the app ---------------------------------------------------------------------------


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the chart was not drawn in time")
        await asyncio.sleep(0.001)


def chart_screen(pilot: Pilot[None]) -> ChartScreen | None:
    from tuitrack.tui.screens.chart import ChartScreen

    screen = pilot.app.screen
    return screen if isinstance(screen, ChartScreen) else None


def drawn(pilot: Pilot[None], after: int = 1) -> bool:
    """Every chart of the chart screen drawn, at version `after` or later."""
    screen = chart_screen(pilot)
    if screen is None or not screen.loaded or not screen.charts:
        return False
    return all(c.version >= after and c.drawn_version == c.version for c in screen.charts)


def zoom_drawn(pilot: Pilot[None], after: int) -> bool:
    """The zoomed range read again with its detail, and drawn."""
    screen = chart_screen(pilot)
    assert screen is not None
    return screen.detail_window == screen.window and drawn(pilot, after)


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_runs_screen(pilot: Pilot[None], client: TrackingClient) -> RunsTable:
    """The benchmark experiment's runs screen, opened from the experiments screen."""
    from tuitrack.tui.screens.runs import RunsScreen
    from tuitrack.tui.widgets.key_table import KeyTable

    app = pilot.app
    await settle(pilot)
    experiments = app.screen.query_one(KeyTable)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    experiments.move_cursor(row=experiments.get_row_index(experiment.experiment_id))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, RunsScreen)
    return app.screen.table


async def time_long_run(pilot: Pilot[None], table: RunsTable, long_id: str) -> tuple[float, float]:
    """`v` on the 1M-point run -> its chart drawn, then `+` -> the zoomed detail drawn;
    back to the runs screen."""
    table.move_to_run(long_id)
    await pilot.pause()
    started = time.perf_counter()
    await pilot.press("v")
    await until(lambda: drawn(pilot))
    opened = time.perf_counter() - started
    screen = chart_screen(pilot)
    assert screen is not None
    before = screen.charts[0].version
    started = time.perf_counter()
    await pilot.press("plus")
    await until(lambda: zoom_drawn(pilot, before + 2))
    zoomed = time.perf_counter() - started
    await pilot.press("escape")
    await settle(pilot)
    return opened, zoomed


async def time_overlay(pilot: Pilot[None], table: RunsTable, short_ids: list[str]) -> float:
    """The short runs marked, `v` -> their curves drawn overlaid; back, marks cleared."""
    table.marked = frozenset(short_ids)
    started = time.perf_counter()
    await pilot.press("v")
    await until(lambda: drawn(pilot))
    overlaid = time.perf_counter() - started
    await pilot.press("escape")
    await settle(pilot)
    table.marked = frozenset()
    return overlaid


async def measure_in_app(
    client: TrackingClient, long_id: str, short_ids: list[str], size: tuple[int, int], repeats: int
) -> dict[str, list[float]]:
    """Keypress -> drawn in the app, `repeats` times after a warm-up round, by name."""
    from tuitrack.tui.app import TuitrackApp

    timings: dict[str, list[float]] = {"1M: v": [], "1M: zoom +": [], "10x100k: v": []}
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=size) as pilot:
        table = await open_runs_screen(pilot, client)
        runs_screen = app.screen
        for _ in range(repeats + 1):  # the first round warms caches and is not counted
            opened, zoomed = await time_long_run(pilot, table, long_id)
            timings["1M: v"].append(opened)
            timings["1M: zoom +"].append(zoomed)
            timings["10x100k: v"].append(await time_overlay(pilot, table, short_ids))
            assert app.screen is runs_screen
    return {name: values[1:] for name, values in timings.items()}


# --- the parts, outside the app -------------------------------------------------------------


def measure_parts(
    client: TrackingClient,
    long_id: str,
    short_ids: list[str],
    width: int,
    height: int,
    repeats: int,
) -> dict[str, list[float]]:
    from textual_plotext.plot import Plot

    from tuitrack.tui.charting import ChartOptions, SeriesInput, build_chart, series_color
    from tuitrack.tui.history_queries import fetch_series, points_budget
    from tuitrack.tui.plotext_draw import draw_spec
    from tuitrack.tui.widgets.metric_chart import MAX_FAINT_RAW

    plot = Plot()
    chart_height = height - 4  # title, legend and footer lines

    def draw(series: dict[SeriesKey, SeriesPoints], run_ids: list[str]) -> None:
        inputs = [
            SeriesInput(f"run{i}", series_color(i), series[run_id, KEY], BASE_TIME)
            for i, run_id in enumerate(run_ids)
        ]
        spec = build_chart(
            KEY, inputs, ChartOptions(), columns=width - 8, faint_raw=len(inputs) <= MAX_FAINT_RAW
        )
        plot.plotsize(width, chart_height)
        draw_spec(plot, spec)
        plot.build()

    timings: dict[str, list[float]] = {
        "1M: store read": [],
        "1M: draw": [],
        "10x100k: store read": [],
        "10x100k: draw": [],
    }
    for _ in range(repeats):
        for name, run_ids in (("1M", [long_id]), ("10x100k", short_ids)):
            started = time.perf_counter()
            series = fetch_series(client, run_ids, [KEY], points_budget(width, len(run_ids)))
            timings[f"{name}: store read"].append(time.perf_counter() - started)
            started = time.perf_counter()
            draw(series, run_ids)
            timings[f"{name}: draw"].append(time.perf_counter() - started)
    return timings


def report(timings: dict[str, list[float]], goal: bool) -> None:
    for name, values in timings.items():
        median = statistics.median(values) * 1000
        verdict = ""
        if goal:
            verdict = "  ok" if median < GOAL_MS else f"  OVER the {GOAL_MS:.0f} ms goal"
        spread = f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})"
        print(f"  {name:<22} {median:7.0f} ms  {spread}{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("/tmp/tuitrack-bench-chart-view"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--size", action="append", help="terminal size, e.g. 120x40 (repeatable; default both)"
    )
    args = parser.parse_args()
    sizes = [tuple(int(n) for n in s.split("x")) for s in (args.size or ["80x24", "120x40"])]
    client, long_id, short_ids = open_store(args.folder)
    with client:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        for width, height in sizes:
            print(f"\nterminal {width}x{height}: keypress -> drawn (median of {args.repeats})")
            in_app = asyncio.run(
                measure_in_app(client, long_id, short_ids, (width, height), args.repeats)
            )
            report(in_app, goal=True)
            print("  of which, outside the app:")
            report(measure_parts(client, long_id, short_ids, width, height, args.repeats), False)
        print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
