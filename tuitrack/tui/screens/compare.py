"""Marked runs side by side: run attributes, params, metrics (latest, min, max, best step)
and tags, with the rows that differ highlighted and a toggle to see only those."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import get_current_worker

from tuitrack.tui.charting import hex_color, series_color
from tuitrack.tui.compare_model import (
    SECTIONS,
    Comparison,
    MetricStats,
    build_comparison,
    format_cell,
)
from tuitrack.tui.formatting import truncate
from tuitrack.tui.history_queries import (
    CompareData,
    SeriesKey,
    load_compare_runs,
    with_best_steps,
)
from tuitrack.tui.screen_titles import CompareTitle
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.key_table import KeyTable

LABEL_WIDTH = 28
HEADER_WIDTH = 16
CELL_WIDTH = 18


class CompareLoaded(Message):
    def __init__(self, data: CompareData) -> None:
        super().__init__()
        self.data = data


class StatsLoaded(Message):
    def __init__(self, data: CompareData, stats: dict[SeriesKey, MetricStats]) -> None:
        super().__init__()
        self.data = data
        self.stats = stats


class CompareScreen(BaseScreen):
    BINDINGS = [
        Binding("d", "toggle_differences", "Only differences", id="compare.only_differences"),
        Binding("v", "chart", "Chart metric", id="compare.chart"),
        Binding("r", "reload", "Reload", show=False, id="compare.reload"),
    ]

    # The table and the title show each change (watch_comparison, compute_heading).
    comparison: var[Comparison | None] = var(None, init=False, always_update=True)
    """The runs compared; None until they are read (each read shows again)."""
    only_differences = var(False, init=False)
    heading = var(CompareTitle(0))
    """What the title line says, computed from the state above."""

    def __init__(self, session: Session, run_ids: Sequence[str]) -> None:
        super().__init__(session)
        self.run_ids = tuple(dict.fromkeys(run_ids))

    def compose(self) -> ComposeResult:
        yield TitleLine(id="title")
        yield KeyTable(id="compare-table")
        yield ErrorLine(id="error-line")
        yield KeysFooter()

    @property
    def table(self) -> KeyTable:
        return self.query_one("#compare-table", KeyTable)

    def on_mount(self) -> None:
        self.query_one(ErrorLine).display = False
        self.table.fixed_columns = 1
        self.table.focus()
        self.show_title(self.compute_heading().text())
        self.load()

    # --- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare")
    def load(self) -> None:
        data = load_compare_runs(self.session.client, self.run_ids)
        if not get_current_worker().is_cancelled:
            self.post_message(CompareLoaded(data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def load_stats(self, data: CompareData) -> None:
        stats = with_best_steps(self.session.client, data)
        if not get_current_worker().is_cancelled:
            self.post_message(StatsLoaded(data, stats))

    def on_compare_loaded(self, message: CompareLoaded) -> None:
        """Show the runs and the store's metric summaries at once; the best steps follow."""
        self.clear_error()
        data = message.data
        self.comparison = build_comparison(
            data.runs,
            data.experiment_names,
            data.stats,
            self.session.clock(),
            steps_loaded=False,
            last_activity=data.last_activity,
            policy=self.session.orphan_policy,
        )
        self.load_stats(data)

    def on_stats_loaded(self, message: StatsLoaded) -> None:
        data = message.data
        self.comparison = build_comparison(
            data.runs,
            data.experiment_names,
            message.stats,
            self.session.clock(),
            last_activity=data.last_activity,
            policy=self.session.orphan_policy,
        )

    # --- the table -----------------------------------------------------------------------

    def watch_comparison(self) -> None:
        self._fill()

    def watch_only_differences(self) -> None:
        self._fill()

    def _fill(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        table = self.table
        keep = table.current_row_key()
        # The columns (the runs) stay; only the rows change when best steps arrive or the
        # differences toggle, so the table keeps its column widths and scroll position.
        if len(table.columns) != len(comparison.labels) + 1:
            table.clear(columns=True)
            table.add_column("", key="label")
            for index, run_label in enumerate(comparison.labels):
                header = Text("■ ", style=hex_color(series_color(index)))
                header.append(truncate(run_label, HEADER_WIDTH), style="bold")
                table.add_column(header, key=f"run:{index}")
        else:
            table.clear()
        rows = comparison.visible_rows(self.only_differences)
        for section in SECTIONS:
            in_section = [row for row in rows if row.section == section]
            if not in_section:
                continue
            differing, total = comparison.counts(section)
            heading = Text(f"{section}", style="bold underline")
            heading.append(f"  {differing} of {total} differ", style="dim")
            table.add_row(heading, *[Text("")] * len(comparison.labels), key=f"section:{section}")
            for row in in_section:
                style = "yellow" if row.differs else "dim"
                label_style = f"bold {style}" if row.differs else style
                label = Text(truncate(row.label, LABEL_WIDTH), style=label_style)
                cells = [
                    Text(
                        format_cell(value, CELL_WIDTH),
                        style="bold green" if index == row.best else style,
                    )
                    for index, value in enumerate(row.values)
                ]
                table.add_row(label, *cells, key=row.key)
        if keep is not None:
            with contextlib.suppress(RowDoesNotExist):
                table.move_cursor(row=table.get_row_index(keep), animate=False)

    # --- title ---------------------------------------------------------------------------

    def compute_heading(self) -> CompareTitle:
        comparison = self.comparison
        if comparison is None:
            return CompareTitle(len(self.run_ids), only_differences=self.only_differences)
        return CompareTitle(
            len(self.run_ids),
            experiments=len({run.info.experiment_id for run in comparison.runs}),
            steps_loaded=comparison.steps_loaded,
            only_differences=self.only_differences,
        )

    def watch_heading(self, heading: CompareTitle) -> None:
        self.show_title(heading.text())

    # --- actions -------------------------------------------------------------------------

    def action_toggle_differences(self) -> None:
        self.only_differences = not self.only_differences

    def _metric_at_cursor(self) -> str | None:
        key = self.table.current_row_key()
        if self.comparison is None or key is None:
            return None
        return next((row.metric for row in self.comparison.rows if row.key == key), None)

    def action_chart(self) -> None:
        from tuitrack.tui.screens.chart import ChartScreen

        metric = self._metric_at_cursor()
        if metric is None:
            self.notify("Move the cursor to a metric's row to chart it.", timeout=3)
            return
        runs = self.comparison.runs if self.comparison is not None else ()
        self.app.push_screen(ChartScreen(self.session, self.run_ids, (metric,), runs))

    @on(DataTable.RowSelected, "#compare-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self._metric_at_cursor() is not None:
            self.action_chart()

    def action_reload(self) -> None:
        self.load()
