"""Metric charts: one chart per metric, the runs overlaid, zoom by step, live tailing.

The store downsamples every read to a few points per cell of width (history_queries.
points_budget); zooming reads the zoomed step range again so its detail appears, and live
runs only fetch the points logged after the last step held.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.events import Resize
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static
from textual.worker import get_current_worker

from tuitrack.entities import Run
from tuitrack.tui.charting import (
    PAN_FRACTION,
    ZOOM_FACTOR,
    ChartOptions,
    SeriesInput,
    SeriesPoints,
    StepWindow,
    extent_of,
    hex_color,
    pan_window,
    series_color,
    zoom_window,
)
from tuitrack.tui.formatting import format_metric, truncate
from tuitrack.tui.history_queries import (
    ChartRun,
    SeriesKey,
    chartable_keys,
    fetch_new_points,
    fetch_series,
    load_chart_runs,
    points_budget,
)
from tuitrack.tui.screen_titles import ChartTitle, live_label
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.metric_chart import MetricChart

MAX_CHARTS = 4
# A live series that grew past this many times the points budget is read again, downsampled.
COMPACT_AFTER = 4
# Read again when the terminal grows this much wider than the width the points were read for.
REFETCH_GROWTH = 1.5


class ChartLoaded(Message):
    def __init__(
        self,
        generation: int,
        runs: list[ChartRun],
        keys: tuple[str, ...],
        series: dict[SeriesKey, SeriesPoints],
    ) -> None:
        super().__init__()
        self.generation = generation
        self.runs = runs
        self.keys = keys
        self.series = series


class DetailLoaded(Message):
    """The zoomed step range, read again with full detail for its width."""

    def __init__(
        self, window: StepWindow, keys: tuple[str, ...], series: dict[SeriesKey, SeriesPoints]
    ) -> None:
        super().__init__()
        self.window = window
        self.keys = keys
        self.series = series


class PointsArrived(Message):
    """Points logged by live runs since the last ones held, and those runs re-read."""

    def __init__(
        self, generation: int, runs: list[ChartRun], fresh: dict[SeriesKey, SeriesPoints]
    ) -> None:
        super().__init__()
        self.generation = generation
        self.runs = runs
        self.fresh = fresh


class ChartStale(Message):
    """The charts need drawing again; any number waiting in the queue collapse into one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChartStale)


class ChartScreen(BaseScreen):
    DEFAULT_CSS = """
    ChartScreen #charts {
        height: 1fr;
    }
    ChartScreen #charts.-grid {
        layout: grid;
        grid-size: 2;
    }
    ChartScreen #chart-legend {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("plus,equals_sign", "zoom_in", "Zoom in", key_display="+", id="chart.zoom_in"),
        Binding("minus", "zoom_out", "Zoom out", key_display="-", id="chart.zoom_out"),
        Binding("h,left", "pan(-1)", "Pan left", show=False, id="chart.pan_left"),
        Binding("l,right", "pan(1)", "Pan right", show=False, id="chart.pan_right"),
        Binding("0", "reset_zoom", "Whole range", show=False, id="chart.reset_zoom"),
        Binding("s", "toggle_smoothing", "Smooth", id="chart.smooth"),
        Binding(
            "left_square_bracket",
            "smoothing(-1)",
            "Less smoothing",
            show=False,
            id="chart.smooth_less",
        ),
        Binding(
            "right_square_bracket",
            "smoothing(1)",
            "More smoothing",
            show=False,
            id="chart.smooth_more",
        ),
        Binding("x", "x_axis", "X axis", id="chart.x_axis"),
        Binding("y", "log_y", "Log y", id="chart.log_y"),
        Binding("m", "metrics", "Metrics", id="chart.metrics"),
        Binding("p", "pause", "Pause live", show=False, id="chart.pause"),
        Binding("r", "reload", "Reload", show=False, id="chart.reload"),
    ]

    # What the title says: each change shows itself there (compute_heading, watch_heading).
    keys: var[tuple[str, ...]] = var(tuple)
    """The metrics charted, one chart each."""
    runs: var[list[ChartRun]] = var(list)
    """The runs as last read (replaced, never changed in place)."""
    options: var[ChartOptions] = var(ChartOptions)
    window: var[StepWindow | None] = var(None)
    """The zoomed step range; None for the whole range."""
    heading = var(ChartTitle((), 0, ""))
    """What the title line says, computed from the state above."""

    def __init__(
        self,
        session: Session,
        run_ids: Sequence[str],
        keys: Sequence[str] = (),
        runs: Sequence[Run] = (),
    ) -> None:
        """`runs`: the runs of `run_ids` as the opening screen already holds them (their
        names and status), so the first load only reads the histories."""
        super().__init__(session)
        self.run_ids = tuple(dict.fromkeys(run_ids))
        known = {run.info.run_id: ChartRun.of(run) for run in runs}
        self._known_runs = (
            [known[i] for i in self.run_ids] if set(known) >= set(self.run_ids) else None
        )
        self.set_reactive(ChartScreen.keys, tuple(dict.fromkeys(keys))[:MAX_CHARTS])
        self.overview: dict[SeriesKey, SeriesPoints] = {}
        """The whole range of every series, downsampled; live points are appended here."""
        self.detail: dict[SeriesKey, SeriesPoints] | None = None
        self.detail_window: StepWindow | None = None
        self.generation = 0
        self.budget = 0
        self.loaded = False
        self._charts: list[MetricChart] = []

    def compose(self) -> ComposeResult:
        yield TitleLine(id="title")
        yield Container(id="charts")
        yield Static("", id="chart-legend")
        yield ErrorLine(id="error-line")
        yield KeysFooter()

    @property
    def charts(self) -> list[MetricChart]:
        """One per metric, in the order of `keys`."""
        return list(self._charts)

    @property
    def extent(self) -> StepWindow | None:
        return extent_of(self.overview.values())

    def on_mount(self) -> None:
        self.query_one(ErrorLine).display = False
        self.query_one("#chart-legend", Static).update(Text("reading histories…", style="dim"))
        self._mount_charts()
        self.show_title(self.compute_heading().text())
        self.reload()
        self.start_live()

    def _mount_charts(self) -> None:
        container = self.query_one("#charts", Container)
        container.remove_children()
        container.set_class(len(self.keys) > 2, "-grid")
        self._charts = [MetricChart(key) for key in self.keys]
        container.mount_all(self._charts)

    def _width_budget(self) -> int:
        columns = self.app.size.width // (2 if len(self.keys) > 2 else 1)
        return points_budget(columns, len(self.run_ids))

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the runs and the whole range of every series again."""
        self.generation += 1
        self.budget = self._width_budget()
        known, self._known_runs = self._known_runs, None  # a reload reads the runs again
        self.load(self.generation, self.keys, self.budget, known)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart")
    def load(
        self,
        generation: int,
        keys: tuple[str, ...],
        budget: int,
        known: list[ChartRun] | None = None,
    ) -> None:
        client = self.session.client
        runs = known if known is not None else load_chart_runs(client, self.run_ids)
        keys = chartable_keys(keys, runs)
        run_ids = [run.run_id for run in runs]
        series = fetch_series(client, run_ids, keys, budget) if keys else {}
        if not get_current_worker().is_cancelled:
            self.post_message(ChartLoaded(generation, runs, keys, series))

    def on_chart_loaded(self, message: ChartLoaded) -> None:
        if message.generation != self.generation:
            return
        self.clear_error()
        self.runs = message.runs
        self.overview = message.series
        self.loaded = True
        if message.keys != self.keys:
            self._say_missing([key for key in self.keys if key not in message.keys], message)
            self.keys = message.keys
            self._mount_charts()
        self.detail = None
        if self.window is not None:
            self._fetch_detail(self.window)
        self.post_message(ChartStale())

    def _say_missing(self, missing: list[str], message: ChartLoaded) -> None:
        """Name the metrics asked for that no run has, and what is shown instead."""
        if not missing:
            return
        who = "This run has" if len(message.runs) == 1 else "These runs have"
        text = f"{who} no metric {', '.join(repr(key) for key in missing)}"
        if message.keys:
            text += f"; showing {', '.join(repr(key) for key in message.keys)}"
        self.notify(text + ".", timeout=6)

    def _fetch_detail(self, window: StepWindow) -> None:
        run_ids = [run.run_id for run in self.runs]
        self.fetch_detail(window, run_ids, self.keys, self.budget)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def fetch_detail(
        self, window: StepWindow, run_ids: list[str], keys: tuple[str, ...], budget: int
    ) -> None:
        series = fetch_series(self.session.client, run_ids, keys, budget, window)
        if not get_current_worker().is_cancelled:
            self.post_message(DetailLoaded(window, keys, series))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        if message.window != self.window or message.keys != self.keys:
            return  # the user has zoomed elsewhere since
        self.detail = message.series
        self.detail_window = message.window
        self.post_message(ChartStale())

    # --- live ----------------------------------------------------------------------------

    def live_tick(self) -> None:
        if not self.loaded:
            return
        live = [run for run in self.runs if run.live]
        if not live or self.busy("live", "chart"):
            return
        last_steps = {
            (run.run_id, key): self._last_step(run.run_id, key) for run in live for key in self.keys
        }
        self.fetch_live(self.generation, [run.run_id for run in live], last_steps, self.budget)

    def _last_step(self, run_id: str, key: str) -> int | None:
        points = self.overview.get((run_id, key))
        return points.last_step if points is not None else None

    @work(thread=True, exclusive=True, exit_on_error=False, group="live")
    def fetch_live(
        self,
        generation: int,
        run_ids: list[str],
        last_steps: dict[SeriesKey, int | None],
        budget: int,
    ) -> None:
        client = self.session.client
        runs = load_chart_runs(client, run_ids)
        fresh = fetch_new_points(client, last_steps, budget)
        if not get_current_worker().is_cancelled:
            self.post_message(PointsArrived(generation, runs, fresh))

    def on_points_arrived(self, message: PointsArrived) -> None:
        if message.generation != self.generation:
            return
        updated = {run.run_id: run for run in message.runs}
        changed = any(updated.get(run.run_id, run) != run for run in self.runs)
        self.runs = [updated.get(run.run_id, run) for run in self.runs]
        for pair, points in message.fresh.items():
            held = self.overview.get(pair)
            if held is None:
                self.overview[pair] = points
            else:
                held.extend(points)
        if any(len(points) > COMPACT_AFTER * self.budget for points in self.overview.values()):
            self.reload()
            return
        if message.fresh or changed:
            self.post_message(ChartStale())

    # --- drawing -------------------------------------------------------------------------

    def on_chart_stale(self, _message: ChartStale) -> None:
        self.redraw()

    def redraw(self) -> None:
        use_detail = self.detail is not None and self.detail_window == self.window
        source = self.detail if use_detail and self.detail is not None else self.overview
        for chart in self.charts:
            chart.show(self._series_inputs(source, chart.key), self.options, self.window)
        self._update_legend()

    def _series_inputs(self, source: dict[SeriesKey, SeriesPoints], key: str) -> list[SeriesInput]:
        inputs = []
        for index, run in enumerate(self.runs):
            points = source.get((run.run_id, key))
            if points is not None and len(points):
                inputs.append(SeriesInput(run.name, series_color(index), points, run.start_time))
        return inputs

    def _update_legend(self) -> None:
        """Each run's colour and name; with one metric, its latest value too."""
        legend = Text()
        if self.loaded and not self.keys:
            legend.append("These runs have logged no metrics yet.", style="dim")
        width = 24 if len(self.runs) > 1 else 60
        for index, run in enumerate(self.runs):
            if index:
                legend.append("  ")
            legend.append("■ ", style=hex_color(series_color(index)))
            legend.append(truncate(run.name, width))
            if run.live:
                legend.append(" ●", style="bold green")
            if len(self.keys) == 1:
                points = self.overview.get((run.run_id, self.keys[0]))
                last = points.last_value if points is not None else None
                if last is not None:
                    legend.append(f" {format_metric(last)}", style="dim")
        self.query_one("#chart-legend", Static).update(legend)

    # --- title -------------------------------------------------------------------------

    def compute_heading(self) -> ChartTitle:
        live = any(run.live for run in self.runs)
        return ChartTitle(
            keys=self.keys,
            runs=len(self.runs) or len(self.run_ids),
            options=self.options.describe(),
            window=self.window,
            live=live_label(self.session.refresh_seconds, self.live_paused) if live else "",
        )

    def watch_heading(self, heading: ChartTitle) -> None:
        self.show_title(heading.text())

    def on_resize(self, _event: Resize) -> None:
        if self.loaded and self._width_budget() > self.budget * REFETCH_GROWTH:
            self.reload()

    # --- actions -------------------------------------------------------------------------

    def _set_window(self, window: StepWindow | None) -> None:
        if window == self.window:
            return
        self.window = window
        self.detail = None
        self.redraw()  # at once from the points held; the detail follows
        if window is not None:
            self._fetch_detail(window)
        else:
            self.workers.cancel_group(self, "detail")

    def action_zoom_in(self) -> None:
        self._set_window(zoom_window(self.window, self.extent, ZOOM_FACTOR))

    def action_zoom_out(self) -> None:
        self._set_window(zoom_window(self.window, self.extent, 1 / ZOOM_FACTOR))

    def action_pan(self, direction: int) -> None:
        self._set_window(pan_window(self.window, self.extent, direction * PAN_FRACTION))

    def action_reset_zoom(self) -> None:
        self._set_window(None)

    def _set_options(self, options: ChartOptions) -> None:
        self.options = options
        self.redraw()

    def action_toggle_smoothing(self) -> None:
        self._set_options(self.options.toggled_smoothing())

    def action_smoothing(self, direction: int) -> None:
        self._set_options(self.options.adjusted_smoothing(direction))

    def action_x_axis(self) -> None:
        self._set_options(self.options.next_x_mode())

    def action_log_y(self) -> None:
        self._set_options(self.options.toggled_log_y())

    def action_reload(self) -> None:
        self.reload()

    def action_metrics(self) -> None:
        from tuitrack.tui.screens.metric_picker import MetricPickerScreen

        available = sorted({key for run in self.runs for key in run.metric_keys})
        if not available:
            self.notify("These runs have no metrics.", timeout=3)
            return
        self.app.push_screen(
            MetricPickerScreen(available, self.keys, MAX_CHARTS), self._metrics_chosen
        )

    def _metrics_chosen(self, keys: tuple[str, ...] | None) -> None:
        if keys is None or keys == self.keys:
            return
        self.keys = keys
        self.detail = None
        self._mount_charts()
        self.reload()
