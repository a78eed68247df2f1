"""One run: overview, params, metrics with sparklines, tags and the artifact browser."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from tuitrack.tui.formatting import format_metric, sparkline
from tuitrack.tui.queries import RunDetail, extend_run_detail, load_run_detail
from tuitrack.tui.run_overview import overview
from tuitrack.tui.screen_titles import RunTitle, live_label
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.status import shown_status
from tuitrack.tui.widgets.artifact_browser import ArtifactBrowser
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.key_table import KeyTable

TABS = ("overview", "params", "metrics", "tags", "artifacts")
SPARK_WIDTH = 16
EMPTY_NOTES = {
    "params": "This run has no params.",
    "metrics": "This run has logged no metrics yet.",
    "tags": "This run has no tags.",
}


class RunLoaded(Message):
    def __init__(self, detail: RunDetail) -> None:
        super().__init__()
        self.detail = detail


class RunScreen(BaseScreen):
    BINDINGS = [
        Binding("y", "copy_id", "Copy id", id="run.copy_id"),
        Binding("u", "open_parent", "Parent", id="run.open_parent"),
        Binding("right_square_bracket,tab", "next_tab", "Next tab", id="run.next_tab"),
        Binding(
            "left_square_bracket,shift+tab",
            "previous_tab",
            "Prev tab",
            show=False,
            id="run.previous_tab",
        ),
        Binding("o", "tab('overview')", "Overview", show=False, id="run.tab_overview"),
        Binding("P", "tab('params')", "Params", show=False, id="run.tab_params"),
        Binding("m", "tab('metrics')", "Metrics", show=False, id="run.tab_metrics"),
        Binding("t", "tab('tags')", "Tags", show=False, id="run.tab_tags"),
        Binding("a", "tab('artifacts')", "Artifacts", id="run.tab_artifacts"),
        Binding("p", "pause", "Pause live", show=False, id="run.pause"),
        Binding("r", "reload", "Reload", show=False, id="run.reload"),
        Binding("v", "chart", "Chart", id="run.chart"),
    ]

    detail: var[RunDetail | None] = var(None)
    """The run as last read; None until the first read."""
    heading = var(RunTitle(""))
    """The title, computed from the run and the live state (compute_heading)."""

    def __init__(self, session: Session, run_id: str) -> None:
        super().__init__(session)
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        yield TitleLine(id="title")
        with TabbedContent(id="run-tabs"):
            with TabPane("Overview", id="overview"), VerticalScroll(id="overview-scroll"):
                yield Static("loading…", id="overview-body")
            with TabPane("Params", id="params"):
                yield Static(EMPTY_NOTES["params"], id="params-empty", classes="empty-note")
                yield KeyTable(id="params-table")
            with TabPane("Metrics", id="metrics"):
                yield Static(EMPTY_NOTES["metrics"], id="metrics-empty", classes="empty-note")
                yield KeyTable(id="metrics-table")
            with TabPane("Tags", id="tags"):
                yield Static(EMPTY_NOTES["tags"], id="tags-empty", classes="empty-note")
                yield KeyTable(id="tags-table")
            with TabPane("Artifacts", id="artifacts"):
                yield ArtifactBrowser(self.session.client, self.run_id, id="artifact-browser")
        yield ErrorLine(id="error-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(ErrorLine).display = False
        self.show_title(self.compute_heading().text())
        self.load()
        self.start_live()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def load(self) -> None:
        session = self.session
        detail = load_run_detail(
            session.client, self.run_id, session.clock(), session.orphan_policy
        )
        if not get_current_worker().is_cancelled:
            self.post_message(RunLoaded(detail))

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def extend(self, detail: RunDetail) -> None:
        """Live: re-read the run and only the metric points logged since the last read."""
        session = self.session
        fresher = extend_run_detail(session.client, detail, session.clock(), session.orphan_policy)
        if not get_current_worker().is_cancelled:
            self.post_message(RunLoaded(fresher))

    def live_tick(self) -> None:
        detail = self.detail
        if detail is not None and detail.run.info.status == "RUNNING" and not self.busy("run"):
            self.extend(detail)

    def on_run_loaded(self, message: RunLoaded) -> None:
        self.detail = detail = message.detail
        self.clear_error()
        now = self.session.clock()
        self.query_one("#overview-body", Static).update(overview(detail, now))
        self._fill_pairs("#params-table", detail.run.data.params)
        self._fill_pairs("#tags-table", detail.run.data.tags)
        self._fill_metrics(detail)

    def _fill_pairs(self, selector: str, pairs: dict[str, str]) -> None:
        table = self.query_one(selector, KeyTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column("Key", key="key")
        table.add_column("Value", key="value")
        for key in sorted(pairs):
            table.add_row(Text(key, style="bold"), Text(pairs[key]), key=key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        self._show_empty_note(selector.removeprefix("#").removesuffix("-table"), table)

    def _show_empty_note(self, tab: str, table: KeyTable) -> None:
        self.query_one(f"#{tab}-empty", Static).display = not table.row_count
        table.display = bool(table.row_count)

    def _fill_metrics(self, detail: RunDetail) -> None:
        table = self.query_one("#metrics-table", KeyTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for label, key in (
            ("Metric", "key"),
            ("Latest", "latest"),
            ("Min", "min"),
            ("Max", "max"),
            ("Step", "step"),
            ("Trend", "trend"),
        ):
            table.add_column(label, key=key)
        for summary in detail.metrics:
            table.add_row(
                Text(summary.key, style="bold"),
                Text(format_metric(summary.latest), justify="right"),
                Text(format_metric(summary.min_value), justify="right"),
                Text(format_metric(summary.max_value), justify="right"),
                Text(str(summary.step), justify="right"),
                Text(sparkline(detail.trends.get(summary.key, []), SPARK_WIDTH), style="cyan"),
                key=summary.key,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        self._show_empty_note("metrics", table)

    # --- actions -------------------------------------------------------------------------

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.run_id)
        self.notify(f"Copied run id {self.run_id}", timeout=3)

    def action_open_parent(self) -> None:
        if self.detail is not None and self.detail.parent is not None:
            self.app.push_screen(RunScreen(self.session, self.detail.parent.info.run_id))
        else:
            self.notify("This run has no parent.", timeout=3)

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        self._focus_tab(tab)

    def _focus_tab(self, tab: str) -> None:
        focus = {
            "params": "#params-table",
            "metrics": "#metrics-table",
            "tags": "#tags-table",
            "artifacts": "#artifact-tree",
            "overview": "#overview-scroll",
        }[tab]
        self.query_one(focus).focus()

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        current = self.query_one(TabbedContent).active
        index = TABS.index(current) if current in TABS else 0
        self.action_tab(TABS[(index + step) % len(TABS)])

    # --- title ---------------------------------------------------------------------------

    def compute_heading(self) -> RunTitle:
        detail = self.detail
        if detail is None:
            return RunTitle(self.run_id)
        info = detail.run.info
        running = info.status == "RUNNING"
        return RunTitle(
            self.run_id,
            detail.experiment_name,
            info.run_name,
            shown_status(info, detail.orphan),
            live_label(self.session.refresh_seconds, self.live_paused) if running else "",
        )

    def watch_heading(self, heading: RunTitle) -> None:
        self.show_title(heading.text())

    def action_reload(self) -> None:
        self.load()

    def action_chart(self) -> None:
        """Chart the metric under the metrics tab's cursor (the first one from other tabs)."""
        from tuitrack.tui.screens.chart import ChartScreen

        key = self.query_one("#metrics-table", KeyTable).current_row_key()
        runs = (self.detail.run,) if self.detail is not None else ()
        self.app.push_screen(ChartScreen(self.session, (self.run_id,), (key,) if key else (), runs))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "metrics-table":
            event.stop()
            self.action_chart()
