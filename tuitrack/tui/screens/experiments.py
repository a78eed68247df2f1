"""The first screen: every experiment with its run counts and last activity."""

from __future__ import annotations

from concurrent.futures import Future

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from tuitrack.tui.formatting import format_ago, short_uri, truncate
from tuitrack.tui.queries import (
    ExperimentSummary,
    RunsPage,
    RunsQuery,
    load_experiment_summaries,
    load_judged_page,
)
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.key_table import KeyTable

# Each experiment costs a few queries, so the live refresh here is slower than on runs.
LIVE_SLOWDOWN = 5
EMPTY_STORE = (
    "No experiments yet. Log a run from Python (`with tuitrack.start_run(): ...`), "
    "or try `tuitrack demo` for a store full of examples."
)


class ExperimentsLoaded(Message):
    def __init__(self, summaries: list[ExperimentSummary]) -> None:
        super().__init__()
        self.summaries = summaries


class RunsPrefetched(Message):
    def __init__(self, query: RunsQuery, page: RunsPage) -> None:
        super().__init__()
        self.query = query
        self.page = page


class ExperimentsScreen(BaseScreen):
    BINDINGS = [
        Binding("q", "quit", "Quit", id="experiments.quit"),
        Binding("escape", "back", "Clear filter", show=False, id="experiments.clear_filter"),
        Binding("enter", "open", "Open runs", id="experiments.open"),
        Binding("space", "mark", "Mark", id="experiments.mark"),
        Binding("slash", "filter", "Filter", id="experiments.filter"),
        Binding("d", "toggle_deleted", "Deleted", id="experiments.toggle_deleted"),
        Binding("r", "reload", "Reload", id="experiments.reload"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.summaries: list[ExperimentSummary] = []
        self.show_deleted = False
        self.name_filter = ""
        self.marked: set[str] = set()
        self._prefetching = False
        self._prefetch_wanted: RunsQuery | None = None
        self._prefetched_query: RunsQuery | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield TitleLine(id="title")
        yield FilterBar("filter experiments by name", id="filter-bar")
        yield KeyTable(id="experiments")
        yield Static(EMPTY_STORE, id="experiments-empty", classes="empty-note")
        yield ErrorLine(id="error-line")
        yield KeysFooter()

    @property
    def table(self) -> KeyTable:
        return self.query_one("#experiments", KeyTable)

    def on_mount(self) -> None:
        self.query_one(ErrorLine).display = False
        self._update_title(loading=True)
        self.table.focus()
        self.load()
        if self.session.refresh_seconds > 0:
            self._timer = self.set_interval(
                self.session.refresh_seconds * LIVE_SLOWDOWN, self._tick
            )

    def on_screen_resume(self) -> None:
        if self.summaries:
            self.load()

    def _tick(self) -> None:
        running = any(s.running_count for s in self.summaries)
        if running and not self.session.live_paused and self.app.screen is self:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="experiments")
    def load(self) -> None:
        session = self.session
        summaries = load_experiment_summaries(
            session.client, session.clock(), self.show_deleted, session.orphan_policy
        )
        self.post_message(ExperimentsLoaded(summaries))

    @on(DataTable.RowHighlighted, "#experiments")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._read_ahead(event.row_key.value)

    def _read_ahead(self, experiment_id: str) -> None:
        query = RunsQuery((experiment_id,))
        if query == self._prefetched_query:
            return  # already read (or being read) since the last load
        self._prefetched_query = query
        self._prefetch_wanted = query
        if not self._prefetching:
            self._prefetch_next()

    def _prefetch_next(self) -> None:
        """One read ahead at a time, always of the experiment highlighted last."""
        query, self._prefetch_wanted = self._prefetch_wanted, None
        self._prefetching = query is not None
        if query is not None:
            pending: Future[RunsPage] = Future()
            self.session.prefetching = {query: (self.session.clock(), pending)}
            self.prefetch(query, pending)

    @work(thread=True, exit_on_error=False, group="prefetch")
    def prefetch(self, query: RunsQuery, pending: Future[RunsPage]) -> None:
        """Read the highlighted experiment's first runs, so Enter shows them at once."""
        session = self.session
        try:
            page = load_judged_page(session.client, query, session.clock(), session.orphan_policy)
        except BaseException as error:
            pending.set_exception(error)
            raise
        pending.set_result(page)
        self.post_message(RunsPrefetched(query, page))

    def on_runs_prefetched(self, message: RunsPrefetched) -> None:
        self.session.prefetched = {message.query: (self.session.clock(), message.page)}
        self._prefetch_next()

    def handle_worker_error(
        self, worker: Worker[object] | None, error: BaseException | None
    ) -> None:
        if worker is not None and worker.group == "prefetch":
            self._prefetch_next()  # the runs screen reads again and reports what fails
            return
        super().handle_worker_error(worker, error)

    def on_experiments_loaded(self, message: ExperimentsLoaded) -> None:
        self.summaries = message.summaries
        self.clear_error()
        self._render_table()
        # Fresh figures: read the current experiment's runs ahead again, now rather than
        # when the table next highlights its row.
        self._prefetched_query = None
        current = self.table.current_row_key()
        if current is not None:
            self._read_ahead(current)
        self._update_title()

    def _visible(self) -> list[ExperimentSummary]:
        needle = self.name_filter.lower()
        return [s for s in self.summaries if needle in s.experiment.name.lower()]

    def _render_table(self) -> None:
        table = self.table
        keep = table.current_row_key()
        table.clear(columns=True)
        now = self.session.clock()
        rows = [self._cells(summary, now) for summary in self._visible()]
        # Widths measured here, not left to the table: it measures new rows only when idle,
        # and a frame drawn before that keeps the header's widths.
        labels = (" ", "Experiment", "Runs", "Running", "Last activity", "ID")
        keys = ("mark", "name", "runs", "running", "last", "id")
        for index, (label, key) in enumerate(zip(labels, keys, strict=True)):
            width = max([len(label), *(row[index].cell_len for row in rows)])
            table.add_column(label, key=key, width=width)
        for summary, cells in zip(self._visible(), rows, strict=True):
            table.add_row(*cells, key=summary.experiment.experiment_id)
        if keep is not None and keep in {s.experiment.experiment_id for s in self._visible()}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        empty = self.query_one("#experiments-empty", Static)
        empty.display = not self.summaries
        table.display = bool(self.summaries)

    def _cells(self, summary: ExperimentSummary, now: int) -> list[Text]:
        experiment = summary.experiment
        name = Text(truncate(experiment.name, 40))
        if experiment.lifecycle_stage == "deleted":
            name.append(" (deleted)", style="dim italic")
        running = Text(str(summary.running_count), justify="right")
        if summary.running_count:
            running.stylize("bold green")
        return [
            Text("▌" if experiment.experiment_id in self.marked else " ", style="bold yellow"),
            name,
            Text(str(summary.run_count), justify="right"),
            running,
            Text(format_ago(summary.last_activity, now)),
            Text(experiment.experiment_id),
        ]

    def _update_title(self, loading: bool = False) -> None:
        shown = len(self._visible())
        parts = ["[b]tuitrack[/b]"]
        if loading:
            parts.append("loading…")
        else:
            parts.append(f"{shown} experiment{'s' if shown != 1 else ''}")
        if self.name_filter:
            parts.append(escape(f"name ~ {self.name_filter!r}"))
        if self.show_deleted:
            parts.append("incl. deleted")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        # Last: a long URI is what a narrow terminal cuts off.
        parts.append(escape(short_uri(self.session.client.tracking_uri)))
        self.query_one(TitleLine).update("  ·  ".join(parts))

    # --- actions -----------------------------------------------------------------------------

    def action_quit(self) -> None:
        self.app.exit()

    def action_back(self) -> None:
        if self.name_filter:
            self.name_filter = ""
            bar = self.query_one(FilterBar)
            bar.input.value = ""
            bar.action_close()
            self._render_table()
            self._update_title()

    def action_open(self) -> None:
        from tuitrack.tui.screens.runs import RunsScreen

        ids = [
            s.experiment.experiment_id
            for s in self.summaries
            if s.experiment.experiment_id in self.marked
        ]
        if not ids:
            current = self.table.current_row_key()
            if current is None:
                return
            ids = [current]
        names = {s.experiment.experiment_id: s.experiment.name for s in self.summaries}
        self.app.push_screen(RunsScreen(self.session, tuple(ids), names))

    @on(DataTable.RowSelected, "#experiments")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_mark(self) -> None:
        current = self.table.current_row_key()
        if current is None:
            return
        self.marked ^= {current}
        self._render_table()
        self._update_title()
        self.table.action_cursor_down()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def action_toggle_deleted(self) -> None:
        self.show_deleted = not self.show_deleted
        self._update_title(loading=True)
        self.load()

    def action_reload(self) -> None:
        self._update_title(loading=True)
        self.load()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        self.name_filter = event.text
        self._render_table()
        self._update_title()
        self.table.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_typed(self, event: Input.Changed) -> None:
        # Names are filtered locally, so narrowing as you type costs nothing.
        self.name_filter = event.value.strip()
        self._render_table()
        self._update_title()

    @on(FilterBar.Closed)
    def _filter_closed(self) -> None:
        self.table.focus()
