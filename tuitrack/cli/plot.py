"""`tuitrack plot` and `tuitrack compare`: a chart or a diff table on stdout, then exit.

For a quick look from a script or in a log. Same data and drawing as the TUI's views,
without Textual: plotext draws the chart, rich the table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tuitrack.cli import json_output
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient

if TYPE_CHECKING:
    from rich.console import Console

    from tuitrack.tui.charting import StepWindow
    from tuitrack.tui.compare_model import Comparison
    from tuitrack.tui.history_queries import ChartRun

RunResolver = Callable[[TrackingClient, str], str]
"""Turns a run id or a unique prefix of one into a full run id."""

DEFAULT_SIZE = (100, 25)
METRICS_NAMED = 20
"""At most this many metric names in an error; `tuitrack plot RUN` lists them all."""
# The raw curve behind a smoothed one is blended towards grey: the background is unknown.
FAINT_TOWARD = (128, 128, 128)


def add_parsers(commands: Any) -> None:
    """Register `plot` and `compare` on the `tuitrack` command's subparsers."""
    plot = commands.add_parser("plot", help="print a metric chart of one or more runs")
    plot.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="run ids (or 8+ char prefixes)")
    plot.add_argument(
        "--metric",
        "-m",
        action="append",
        metavar="KEY",
        help="metric to chart (repeatable: one chart each); without it, list the runs' metrics",
    )
    plot.add_argument(
        "--smooth",
        type=float,
        default=0.0,
        metavar="A",
        help="EMA smoothing weight in [0, 1), bias-corrected as in TensorBoard (default 0: raw)",
    )
    plot.add_argument(
        "--x",
        choices=("step", "time", "relative"),
        default="step",
        help="x axis: step, wall time (UTC) or time since each run started (default step)",
    )
    plot.add_argument("--logy", action="store_true", help="logarithmic y axis")
    plot.add_argument("--steps", metavar="LO:HI", help="only this step range, e.g. 1000:5000")
    plot.add_argument("--width", type=int, metavar="COLS", help="chart width (default: terminal)")
    plot.add_argument("--height", type=int, metavar="ROWS", help="chart height per metric")
    _add_color_option(plot)

    compare = commands.add_parser(
        "compare", help="print params, metrics and tags of runs side by side"
    )
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="run ids (or prefixes)")
    compare.add_argument(
        "--only-differences", "-d", action="store_true", help="only rows where the runs differ"
    )
    compare.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colours: on a terminal unless NO_COLOR is set (default auto)",
    )


def run(client: TrackingClient, args: argparse.Namespace, resolve: RunResolver) -> int:
    run_ids = list(dict.fromkeys(resolve(client, run_id) for run_id in args.run_ids))
    if args.command == "plot":
        return plot(client, args, run_ids)
    return compare(client, args, run_ids)


# --- plot ----------------------------------------------------------------------------------


def _step_window(text: str | None) -> StepWindow | None:
    from tuitrack.tui.charting import StepWindow

    if not text:
        return None
    lo, sep, hi = text.partition(":")
    try:
        window = StepWindow(int(lo), int(hi)) if sep else None
    except ValueError:
        window = None
    if window is None or window.lo > window.hi:
        raise InvalidValueError(f"--steps must be LO:HI with integers LO <= HI, got {text!r}")
    return window


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def plot(client: TrackingClient, args: argparse.Namespace, run_ids: Sequence[str]) -> int:
    import plotext

    from tuitrack.tui.charting import ChartOptions, SeriesInput, build_chart, series_color
    from tuitrack.tui.history_queries import fetch_series, load_chart_runs, points_budget
    from tuitrack.tui.plotext_draw import draw_spec

    if not 0 <= args.smooth < 1:
        raise InvalidValueError(f"--smooth must be in [0, 1) (0 is raw), got {args.smooth}")
    window = _step_window(args.steps)
    keys = list(dict.fromkeys(args.metric or ()))
    terminal = shutil.get_terminal_size(DEFAULT_SIZE) if sys.stdout.isatty() else None
    width = args.width or (terminal.columns if terminal else DEFAULT_SIZE[0])
    height = args.height or (
        max(10, (terminal.lines - 4) // max(len(keys), 1)) if terminal else DEFAULT_SIZE[1]
    )
    if width < 20 or height < 6:
        raise InvalidValueError(f"a chart needs at least 20x6 cells, got {width}x{height}")
    runs = load_chart_runs(client, run_ids)
    logged = sorted({key for run in runs for key in run.metric_keys})
    if not logged:
        raise InvalidValueError(f"{_which_runs(runs)} logged no metrics yet: nothing to chart")
    if not keys:
        return _list_metrics(runs, logged)
    missing = [key for key in keys if key not in logged]
    if missing:
        raise InvalidValueError(
            f"no metric {', '.join(map(repr, missing))} in {_which_runs(runs)}; "
            f"metrics logged: {_some(logged)}"
        )
    color = _use_color(args.color)
    options = ChartOptions(
        x_mode=args.x, smoothing=args.smooth, smooth=args.smooth > 0, log_y=args.logy
    )
    series = fetch_series(client, run_ids, keys, points_budget(width, len(runs)), window)
    for key in keys:
        inputs = [
            SeriesInput(run.name, series_color(index), points, run.start_time)
            for index, run in enumerate(runs)
            if (points := series.get((run.run_id, key))) is not None and len(points)
        ]
        spec = build_chart(
            key,
            inputs,
            options,
            window=window,
            columns=max(width - 8, 10),
            background=FAINT_TOWARD,
        )
        plotext.clear_figure()
        plotext.plotsize(width, height)
        plotext.theme("clear")
        draw_spec(plotext, spec, plain=not color)
        chart = plotext.build().rstrip("\n")
        print(chart if color else plotext.uncolorize(chart))
        print()
    _print_legend(runs, keys, series, color)
    return 0


def _which_runs(runs: Sequence[ChartRun]) -> str:
    if len(runs) == 1:
        return f"run {runs[0].name} [{runs[0].run_id[:8]}]"
    return f"the {len(runs)} runs"


def _some(keys: Sequence[str]) -> str:
    named = ", ".join(keys[:METRICS_NAMED])
    if len(keys) > METRICS_NAMED:
        named += f" and {len(keys) - METRICS_NAMED} more (`tuitrack plot RUN_ID` lists them)"
    return named


def _list_metrics(runs: Sequence[ChartRun], logged: Sequence[str]) -> int:
    """The metrics the runs logged, one a line (for a pipe), and on stderr how to chart them."""
    print("\n".join(logged))
    whose = f"{runs[0].name} [{runs[0].run_id[:8]}]" if len(runs) == 1 else "these runs"
    print(
        f"tuitrack: {len(logged)} metric{'s' if len(logged) != 1 else ''} logged by {whose}; "
        f"chart them with -m KEY (repeatable), e.g. "
        f"tuitrack plot {' '.join(run.run_id[:8] for run in runs)} -m {logged[0]}",
        file=sys.stderr,
    )
    return 0


def _print_legend(runs: Sequence[Any], keys: Sequence[str], series: Any, color: bool) -> None:
    from rich.text import Text

    from tuitrack.tui.charting import hex_color, series_color
    from tuitrack.tui.formatting import format_metric
    from tuitrack.tui.plotext_draw import PLAIN_MARKERS

    console = _console(color)
    for index, run in enumerate(runs):
        line = Text()
        if color:
            line.append("■ ", style=hex_color(series_color(index)))
        else:
            line.append(f"{PLAIN_MARKERS[index % len(PLAIN_MARKERS)]} ")
        line.append(f"{run.name} ")
        line.append(run.run_id[:8], style="dim")
        for key in keys:
            points = series.get((run.run_id, key))
            last = points.last_value if points is not None else None
            shown = format_metric(last) if last is not None else "-"
            line.append(f"  {key}={shown}" if len(keys) > 1 else f"  last {shown}")
        console.print(line)


def _console(color: bool) -> Console:
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(no_color=not color)
    # Piped: wide, so lines stay whole for grep; colour only when asked for.
    return Console(width=240, no_color=not color, force_terminal=color)


# --- compare -------------------------------------------------------------------------------


def load_comparison(client: TrackingClient, run_ids: Sequence[str]) -> Comparison:
    from tuitrack.core.store import now_ms
    from tuitrack.tui.compare_model import build_comparison
    from tuitrack.tui.history_queries import load_compare_runs, with_best_steps

    data = load_compare_runs(client, run_ids)
    stats = with_best_steps(client, data)
    return build_comparison(
        data.runs, data.experiment_names, stats, now_ms(), last_activity=data.last_activity
    )


def compare(client: TrackingClient, args: argparse.Namespace, run_ids: Sequence[str]) -> int:
    from tuitrack.tui.compare_model import comparison_json

    comparison = load_comparison(client, run_ids)
    if args.json:
        print(json_output.dumps(comparison_json(comparison, args.only_differences)))
        return 0
    _console(sys.stdout.isatty()).print(comparison_table(comparison, args.only_differences))
    return 0


def comparison_table(comparison: Comparison, only_differences: bool) -> Any:
    """A rich Table: a row per param, metric stat and tag, a column per run."""
    from rich.table import Table
    from rich.text import Text

    from tuitrack.tui.compare_model import SECTIONS, format_cell

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    for label in comparison.labels:
        table.add_column(label, no_wrap=True, max_width=24)
    rows = comparison.visible_rows(only_differences)
    for section in SECTIONS:
        in_section = [row for row in rows if row.section == section]
        if not in_section:
            continue
        differing, total = comparison.counts(section)
        table.add_row(Text(f"{section}  ({differing} of {total} differ)", style="bold underline"))
        for row in in_section:
            style = "yellow" if row.differs else "dim"
            cells = [Text(row.label, style=f"bold {style}" if row.differs else style)]
            for index, value in enumerate(row.values):
                cell_style = "bold green" if index == row.best else style
                cells.append(Text(format_cell(value), style=cell_style))
            table.add_row(*cells)
    return table
