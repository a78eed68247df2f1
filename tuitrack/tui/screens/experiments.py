"""The first screen: every experiment with its run counts and last activity."""

from __future__ import annotations

from concurrent.futures import Future

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, get_current_worker

from tuitrack.tui.formatting import format_ago, short_uri, truncate
from tuitrack.tui.queries import (
    EXPERIMENTS_PAGE_SIZE,
    ExperimentsPage,
    ExperimentSummary,
    RunsPage,
    RunsQuery,
    load_experiments_page,
    load_judged_page,
    read_only_reason,
)
from tuitrack.tui.screen_titles import ExperimentsTitle
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.key_table import KeyTable

# The live refresh re-reads every experiment loaded so far, so it comes less often than on runs.
LIVE_SLOWDOWN = 5
READ_MORE_ROWS = 20
"""Read the next page of experiments when the cursor gets this close to the last row."""
READ_ALL_PAGE_SIZE = 1000
"""Pages read for `G`: fewer, larger pages (each costs the store one aggregate query)."""
RELOAD_MOST = 10_000
"""A reload (live refresh, coming back) reads again at most this many experiments."""
NARROW_HERE_ROWS = 1000
"""Up to this many experiments loaded, a name filter narrows them here as it is typed; past
it, redrawing every match per key costs more than asking the store for a page of them."""
EMPTY_STORE = (
    "No experiments yet. Log a run from Python (`with tuitrack.start_run(): ...`), "
    "or try `tuitrack demo` for a store full of examples."
)


class ExperimentsLoaded(Message):
    def __init__(
        self, page: ExperimentsPage, name: str, after: str | None, everything: bool = False
    ) -> None:
        super().__init__()
        self.page = page
        self.name = name
        """The name filter the store was asked with."""
        self.after = after
        """The page token this page was read with: None for a first page."""
        self.everything = everything
        """Part of a `G`: the last of these pages moves the cursor to the last row."""


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

    # What the title says: each change shows itself there (compute_heading, watch_heading).
    is_loading = var(True)
    summaries: var[list[ExperimentSummary]] = var(list, always_update=True)
    """The experiments loaded, in the store's order (replaced, never changed in place)."""
    next_token: var[str | None] = var(None)
    """Reads the page after the loaded ones; None once every experiment is loaded."""
    show_deleted = var(False)
    name_filter = var("")
    marked: var[frozenset[str]] = var(frozenset())
    heading = var(ExperimentsTitle(""))
    """What the title line says, computed from the state above."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.loaded_name = ""
        """The name filter `summaries` were read with (names containing it)."""
        self._uri = short_uri(session.client.tracking_uri)
        self._read_only = bool(read_only_reason(session.client))
        self.names: dict[str, str] = {}
        """Every experiment's name seen so far, by id (marked ones may be filtered away)."""
        self._prefetching = False
        self._prefetch_wanted: RunsQuery | None = None
        self._prefetched_query: RunsQuery | None = None

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
        self.show_title(self.compute_heading().markup())
        self.table.focus()
        self.load()
        self.start_live(slowdown=LIVE_SLOWDOWN)

    def on_screen_resume(self) -> None:
        if self.summaries:
            self.load()

    def live_tick(self) -> None:
        if any(s.running_count for s in self.summaries):
            self.load()

    def load(self) -> None:
        """Read again the experiments loaded so far (at least a page) in one page."""
        size = min(max(EXPERIMENTS_PAGE_SIZE, len(self.summaries)), RELOAD_MOST)
        self.workers.cancel_group(self, "more")
        self.read_first(self._store_name(), size)

    def _store_name(self) -> str:
        """The name filter to ask the store with: none when the loaded list is complete and
        the typed filter only narrows it (then the rows are narrowed here at once)."""
        complete = self.next_token is None and 0 < len(self.summaries) <= NARROW_HERE_ROWS
        narrows = self.loaded_name.lower() in self.name_filter.lower()
        return self.loaded_name if complete and narrows else self.name_filter

    def _read_page(self, name: str, token: str | None, size: int) -> ExperimentsPage:
        session = self.session
        return load_experiments_page(
            session.client,
            session.clock(),
            self.show_deleted,
            session.orphan_policy,
            name,
            token,
            size,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="experiments")
    def read_first(self, name: str, size: int) -> None:
        page = self._read_page(name, None, size)
        if not get_current_worker().is_cancelled:
            self.post_message(ExperimentsLoaded(page, name, None))

    @work(thread=True, exclusive=True, exit_on_error=False, group="more")
    def read_more(self, name: str, token: str, everything: bool) -> None:
        """The next page; with `everything` (`G`), every page left, each shown as it comes."""
        worker = get_current_worker()
        after: str | None = token
        while after and not worker.is_cancelled:
            page = self._read_page(
                name, after, READ_ALL_PAGE_SIZE if everything else EXPERIMENTS_PAGE_SIZE
            )
            if not worker.is_cancelled:
                self.post_message(ExperimentsLoaded(page, name, after, everything))
            after = page.token if everything else None

    def _read_more_if_near_end(self) -> None:
        table = self.table
        near = table.cursor_row >= table.row_count - READ_MORE_ROWS
        if self.next_token and near and not self.busy("experiments", "more"):
            self.read_more(self.loaded_name, self.next_token, everything=False)

    @on(KeyTable.JumpedToEnd, "#experiments")
    def _read_everything(self) -> None:
        """`G`: read every page left (replacing a page being read), then go to the last row."""
        if self.next_token and not self.busy("experiments"):
            self.read_more(self.loaded_name, self.next_token, everything=True)

    @on(DataTable.RowHighlighted, "#experiments")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._read_ahead(event.row_key.value)
        self._read_more_if_near_end()

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
        page = message.page
        self.names.update((s.experiment.experiment_id, s.experiment.name) for s in page.summaries)
        if message.after is not None:
            if message.after != self.next_token or message.name != self.loaded_name:
                return  # a page of an earlier listing, or one added already
            self.summaries = [*self.summaries, *page.summaries]
            self.next_token = page.token
            self._add_rows(page.summaries)
            if message.everything and page.token is None:
                self.table.action_scroll_bottom()
            self.is_loading = False
            return
        self.loaded_name = message.name
        self.summaries = page.summaries
        self.next_token = page.token
        self.clear_error()
        self._render_table()
        # Fresh figures: read the current experiment's runs ahead again, now rather than
        # when the table next highlights its row.
        self._prefetched_query = None
        current = self.table.current_row_key()
        if current is not None:
            self._read_ahead(current)
        self.is_loading = False

    def _visible(self) -> list[ExperimentSummary]:
        return self._matching(self.summaries)

    def _matching(self, summaries: list[ExperimentSummary]) -> list[ExperimentSummary]:
        needle = self.name_filter.lower()
        return [s for s in summaries if needle in s.experiment.name.lower()]

    LABELS = (" ", "Experiment", "Runs", "Running", "Last activity", "ID")
    KEYS = ("mark", "name", "runs", "running", "last", "id")

    def _render_table(self) -> None:
        table = self.table
        keep = table.current_row_key()
        table.clear(columns=True)
        now = self.session.clock()
        visible = self._visible()
        rows = [self._cells(summary, now) for summary in visible]
        # Widths measured here, not left to the table: it measures new rows only when idle,
        # and a frame drawn before that keeps the header's widths.
        for index, (label, key) in enumerate(zip(self.LABELS, self.KEYS, strict=True)):
            width = max([len(label), *(row[index].cell_len for row in rows)])
            table.add_column(label, key=key, width=width)
        for summary, cells in zip(visible, rows, strict=True):
            table.add_row(*cells, key=summary.experiment.experiment_id)
        if keep is not None and keep in {s.experiment.experiment_id for s in visible}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        empty = self.query_one("#experiments-empty", Static)
        empty.display = not self.summaries
        table.display = bool(self.summaries)

    def _add_rows(self, summaries: list[ExperimentSummary]) -> None:
        """Rows of a page read while scrolling, below the others (all again if one is wider
        than its column)."""
        table = self.table
        now = self.session.clock()
        visible = self._matching(summaries)
        rows = [self._cells(summary, now) for summary in visible]
        widths = [column.width for column in table.ordered_columns]
        if any(
            cell.cell_len > width for row in rows for cell, width in zip(row, widths, strict=True)
        ):
            self._render_table()
            return
        for summary, cells in zip(visible, rows, strict=True):
            table.add_row(*cells, key=summary.experiment.experiment_id)

    def _cells(self, summary: ExperimentSummary, now: int) -> list[Text]:
        experiment = summary.experiment
        name = Text(truncate(experiment.name, 40))
        if experiment.lifecycle_stage == "deleted":
            name.append(" (deleted)", style="dim italic")
        running = Text(str(summary.running_count), justify="right")
        if summary.running_count:
            running.stylize("bold green")
        return [
            self._mark_cell(experiment.experiment_id),
            name,
            Text(summary.run_count_text, justify="right"),
            running,
            Text(format_ago(summary.last_activity, now)),
            Text(experiment.experiment_id),
        ]

    def _mark_cell(self, experiment_id: str) -> Text:
        return Text("▌" if experiment_id in self.marked else " ", style="bold yellow")

    # --- title -------------------------------------------------------------------------------

    def compute_heading(self) -> ExperimentsTitle:
        return ExperimentsTitle(
            uri=self._uri,
            # Not counted while loading: the count is not shown then.
            shown=None if self.is_loading else len(self._visible()),
            more=bool(self.next_token),
            name_filter=self.name_filter,
            show_deleted=self.show_deleted,
            marked=len(self.marked),
            read_only=self._read_only,
        )

    def watch_heading(self, heading: ExperimentsTitle) -> None:
        self.show_title(heading.markup())

    # --- actions -----------------------------------------------------------------------------

    def action_quit(self) -> None:
        self.app.exit()

    def action_back(self) -> None:
        if self.name_filter:
            self.name_filter = ""
            bar = self.query_one(FilterBar)
            bar.input.value = ""
            bar.action_close()
            self._name_changed()

    def action_open(self) -> None:
        from tuitrack.tui.screens.runs import RunsScreen

        loaded = [s.experiment.experiment_id for s in self.summaries]
        ids = [i for i in loaded if i in self.marked]
        ids += sorted(self.marked.difference(loaded))  # marked, then filtered away
        if not ids:
            current = self.table.current_row_key()
            if current is None:
                return
            ids = [current]
        names = {i: self.names[i] for i in ids if i in self.names}
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
        self.table.update_cell(current, "mark", self._mark_cell(current))
        self.table.action_cursor_down()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def action_toggle_deleted(self) -> None:
        self.is_loading = True
        self.show_deleted = not self.show_deleted
        self.load()

    def action_reload(self) -> None:
        self.is_loading = True
        self.load()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        self.name_filter = event.text
        self._name_changed()
        self.table.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.name_filter = event.value.strip()
        self._name_changed()

    def _name_changed(self) -> None:
        """Narrow the loaded rows at once (a few), and ask the store unless they hold every
        match."""
        if len(self.summaries) <= NARROW_HERE_ROWS:
            self._render_table()
        name = self._store_name()
        self.is_loading = name != self.loaded_name
        if name != self.loaded_name:
            self.workers.cancel_group(self, "more")
            self.read_first(name, EXPERIMENTS_PAGE_SIZE)

    @on(FilterBar.Closed)
    def _filter_closed(self) -> None:
        self.table.focus()
