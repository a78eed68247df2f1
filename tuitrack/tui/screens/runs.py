"""The runs of one or more experiments: filter, sort, mark, fold sweeps, open a run."""

from __future__ import annotations

from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.worker import Worker, get_current_worker

from tuitrack.core.orphans import Orphan
from tuitrack.core.store import MarkResult
from tuitrack.entities import Run
from tuitrack.errors import InvalidValueError
from tuitrack.tui import heap
from tuitrack.tui.messages import describe_error
from tuitrack.tui.queries import (
    MORE_PAGE_SIZE,
    ColumnChoice,
    OrphanedRun,
    RunsQuery,
    available_keys,
    count_runs,
    default_columns,
    judge_page,
    load_judged_page,
    load_orphans,
    mark_orphans_failed,
    newest_run_id,
    orphan_verdicts,
    read_only_reason,
    refresh_runs,
)
from tuitrack.tui.run_pages import (
    ChainPage,
    PageChain,
    PageStart,
    backward_chain,
    first_page,
    forward_chain,
    read_chain_page,
)
from tuitrack.tui.runs_rows import RunColumn
from tuitrack.tui.runs_title import Listed, RunsTitle, SortOrder
from tuitrack.tui.screen_titles import live_label
from tuitrack.tui.screens.base import BaseScreen, ErrorLine, TitleLine
from tuitrack.tui.session import Session
from tuitrack.tui.status import DisplayStatus
from tuitrack.tui.status_filter import (
    ALL_STATUSES_KEY,
    STATUS_KEYS,
    compose_filter,
    depends_on_orphans,
    describe,
)
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.runs_table import RunsTable
from tuitrack.tui.widgets.search_note import SearchNote

FILTER_HINT = "metrics.`val/loss` < 0.5 and params.lr = '0.01'   (Enter applies, Esc closes)"
WINDOW_PAGES = 5
"""Pages of runs the table holds at most: the farthest from the cursor is dropped (and read
again if the cursor comes back), so memory stays flat however far one scrolls."""
# A first page read ahead on the experiments screen is used if at most this old.
PREFETCH_MAX_AGE_MS = 5_000
PREFETCH_WAIT_SECONDS = 30.0
"""How long the first load waits for a page being read ahead before reading it itself."""


class PageRead(Message):
    """A page of runs read for the table; `how` says where it goes:

    `fresh`: the first page of a new listing (replaces every row); `top`: the same, after `g`
    from far below (the cursor goes to the first row); `jump`: the last page, after `G`
    (replaces every row; the cursor goes to the last row); `more`: next to the pages held.
    """

    def __init__(
        self,
        query: RunsQuery,
        chain: PageChain,
        read: ChainPage,
        how: str,
        last: bool = False,
        newest: str | None = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.chain = chain
        self.read = read
        self.how = how
        self.last = last
        """The final page of a `G` that reads every page left: move to the last row."""
        self.newest = newest
        """The newest run of the listing when this fresh page was read (live refresh)."""


class RunsCounted(Message):
    def __init__(self, query: RunsQuery, total: int) -> None:
        super().__init__()
        self.query = query
        self.total = total


class OrphansFound(Message):
    """Every orphaned run of the experiments shown (not only the loaded ones)."""

    def __init__(self, orphans: list[Orphan]) -> None:
        super().__init__()
        self.orphans = orphans


class OrphansListed(Message):
    def __init__(self, orphaned: list[OrphanedRun], selected: set[str]) -> None:
        super().__init__()
        self.orphaned = orphaned
        self.selected = selected


class OrphansMarked(Message):
    def __init__(self, result: MarkResult) -> None:
        super().__init__()
        self.result = result


class LiveUpdate(Message):
    def __init__(
        self,
        query: RunsQuery,
        updated: list[Run],
        orphans: dict[str, Orphan],
        newest: str | None,
    ) -> None:
        super().__init__()
        self.query = query
        self.updated = updated
        self.orphans = orphans
        self.newest = newest


class RunsScreen(BaseScreen):
    BINDINGS = [
        Binding("enter", "open_run", "Open", id="runs.open"),
        Binding("slash", "filter", "Filter", id="runs.filter"),
        Binding("s", "sort", "Sort", id="runs.sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="runs.reverse_sort"),
        Binding("space", "mark", "Mark", id="runs.mark"),
        Binding("M", "clear_marks", "Clear marks", show=False, id="runs.clear_marks"),
        Binding("c", "columns", "Columns", id="runs.columns"),
        Binding("v", "chart", "Chart", id="runs.chart"),
        Binding("C", "compare", "Compare", id="runs.compare"),
        Binding("t", "tags", "Tags", show=False, id="runs.tag_filter"),
        Binding("z", "fold", "Fold", show=False, id="runs.fold"),
        Binding("Z", "fold_all", "Fold all", show=False, id="runs.fold_all"),
        Binding("p", "pause", "Pause live", show=False, id="runs.pause"),
        Binding("r", "reload", "Reload", show=False, id="runs.reload"),
        # Toggles: the runs shown have any of the statuses on.
        Binding("1", "status('1')", "Toggle running", show=False, id="runs.status_running"),
        Binding("2", "status('2')", "Toggle finished", show=False, id="runs.status_finished"),
        Binding("3", "status('3')", "Toggle failed", show=False, id="runs.status_failed"),
        Binding("4", "status('4')", "Toggle killed", show=False, id="runs.status_killed"),
        Binding("5", "status('5')", "Toggle orphaned", show=False, id="runs.status_orphaned"),
        Binding("0", "status('0')", "Every status", show=False, id="runs.status_all"),
        Binding("F", "mark_failed", "Mark orphans failed", show=False, id="runs.mark_failed"),
    ]

    # What the title says: each change shows itself there (compute_heading, watch_heading).
    is_loading = var(True)
    total: var[int | None] = var(None)
    statuses: var[frozenset[DisplayStatus]] = var(frozenset())
    """The status toggles on; none on shows every status."""
    applied_filter = var("")
    """The user filter of the rows shown (a filter the store refused is not applied)."""
    orphans: var[dict[str, Orphan]] = var(dict)
    """Every orphaned run of the experiments shown, by id (refreshed while live)."""
    listed = var(Listed())
    """How many runs the table holds, and where they lie in the listing."""
    marked_count = var(0)
    order: var[SortOrder | None] = var(None)
    """The column the listing is sorted by; the table shows it in its header."""
    heading = var(RunsTitle("", ""))
    """What the title line says, computed from the state above."""

    def __init__(
        self,
        session: Session,
        experiment_ids: tuple[str, ...],
        experiment_names: dict[str, str],
    ) -> None:
        super().__init__(session)
        self.experiment_names = experiment_names
        self.user_filter = ""
        """The filter typed in the bar, applied or being applied."""
        self.runs_query = RunsQuery(experiment_ids)
        self.chain: PageChain | None = None
        """The pages of the listing and which of them the table holds."""
        self.newest_known: str | None = None
        """The newest run of the listing as last seen: live refresh reloads when it changes."""
        self.columns: ColumnChoice | None = None
        self._title: str | None = None
        """The title as shown; None until the screen is mounted."""
        self._orphans_asked = False

    def compose(self) -> ComposeResult:
        yield TitleLine(id="title")
        yield FilterBar(FILTER_HINT, id="filter-bar")
        yield SearchNote(id="search-note")
        table = RunsTable(self.session.clock, id="runs")
        table.experiment_names = self.experiment_names
        yield table
        yield ErrorLine(id="error-line")
        yield KeysFooter()

    @property
    def _many_experiments(self) -> bool:
        return len(self.runs_query.experiment_ids) > 1

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    def on_unmount(self) -> None:
        heap.thaw()

    def on_mount(self) -> None:
        self.query_one(ErrorLine).display = False
        self.table.empty_message = "loading…"
        self.table.focus()
        self.watch(self.table, "marked", self._marks_changed, init=False)
        self._fit_heading()
        ahead = self.session.take_prefetched(self.runs_query, PREFETCH_MAX_AGE_MS)
        if ahead is None:
            self.load(self.runs_query, read_ahead=True)
        else:  # read while the experiments screen was up: rows in the first frame
            chain = forward_chain(self.runs_query, MORE_PAGE_SIZE)
            read = first_page(chain, ahead)
            newest = ahead.runs[0].info.run_id if ahead.runs else None  # newest first
            self.on_page_read(PageRead(self.runs_query, chain, read, "fresh", newest=newest))
        self.start_live()

    # --- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def load(self, query: RunsQuery, read_ahead: bool = False, how: str = "fresh") -> None:
        """The first page; with `read_ahead`, the one the experiments screen is reading
        already, if it is (the same page is not read twice at once)."""
        session = self.session
        chain = forward_chain(query, MORE_PAGE_SIZE)
        page = None
        if read_ahead:
            page = session.wait_prefetching(query, PREFETCH_MAX_AGE_MS, PREFETCH_WAIT_SECONDS)
        if page is None:
            page = load_judged_page(session.client, query, session.clock(), session.orphan_policy)
        newest = None
        if query.order_by and session.refresh_seconds > 0:
            newest = newest_run_id(session.client, replace(query, order_by=()))
        elif page.runs:  # newest first: the first run
            newest = page.runs[0].info.run_id
        if not get_current_worker().is_cancelled:
            read = first_page(chain, page)
            self.post_message(PageRead(query, chain, read, how, newest=newest))

    @work(thread=True, exclusive=True, exit_on_error=False, group="count")
    def count(self, query: RunsQuery) -> None:
        total = count_runs(self.session.client, query)
        if not get_current_worker().is_cancelled:
            self.post_message(RunsCounted(query, total))

    @work(thread=True, exclusive=True, exit_on_error=False, group="more")
    def read_pages(
        self, query: RunsQuery, chain: PageChain, index: int, start: PageStart, walk: bool
    ) -> None:
        """Page `index` of the chain; with `walk` (`G` near the end), every page after it
        too, each shown as it arrives."""
        session = self.session
        worker = get_current_worker()
        following: PageStart | None = start
        while following is not None and not worker.is_cancelled:
            read = read_chain_page(
                session.client, chain, index, following, session.clock(), session.orphan_policy
            )
            following = read.following if walk else None
            if not worker.is_cancelled:
                last = walk and following is None
                self.post_message(PageRead(query, chain, read, "more", last=last))
            index += 1

    @work(thread=True, exclusive=True, exit_on_error=False, group="more")
    def jump_to_end(self, query: RunsQuery) -> None:
        """`G` far from the end: read the listing's last page, as its reverse's first."""
        session = self.session
        chain = backward_chain(query, query.page_size, MORE_PAGE_SIZE)
        start = chain.starts[0]
        assert start is not None
        read = read_chain_page(
            session.client, chain, 0, start, session.clock(), session.orphan_policy
        )
        if not get_current_worker().is_cancelled:
            self.post_message(PageRead(query, chain, read, "jump"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="orphans")
    def find_orphans(self) -> None:
        session = self.session
        ids = self.runs_query.experiment_ids
        found = orphan_verdicts(session.client, ids, session.clock(), session.orphan_policy)
        if not get_current_worker().is_cancelled:
            self.post_message(OrphansFound(found))

    def _reload(self, query: RunsQuery) -> None:
        self.is_loading = True
        self.workers.cancel_group(self, "more")
        self.workers.cancel_group(self, "count")
        self.load(query)

    def on_page_read(self, message: PageRead) -> None:
        if message.how == "more":
            if message.chain is self.chain and message.query == self.runs_query:
                self._add_page(message.chain, message.read, message.last)
            return  # else a page of a replaced listing
        fresh = message.how != "jump"
        if fresh and message.query != self.runs_query:
            self.total = None
        if message.query != self.runs_query and not fresh:
            return
        self.runs_query = message.query
        self.applied_filter = self.user_filter
        self.chain = chain = message.chain
        read = message.read
        chain.record(read)
        runs = list(read.page.runs)
        chain.held = {read.index: len(runs)}
        self.is_loading = False
        self.clear_error()
        self.query_one(FilterBar).clear_error()
        table = self.table
        table.empty_message = self._empty_message()
        if message.how == "jump":
            table.show_runs(runs[::-1], read.page.orphans)
            table.move_cursor(table.row_count - 1)
        else:
            self.newest_known = message.newest
            self._show_first_page(message.query, read, runs)
            if message.how == "top":
                table.move_cursor(0)
        self.listed = Listed(len(table.runs), chain.window())
        heap.freeze_survivors()

    def _show_first_page(self, query: RunsQuery, read: ChainPage, runs: list[Run]) -> None:
        # The count and the orphan search wait until these rows are drawn: as worker
        # threads they would hold the GIL while the UI thread draws.
        if read.following is not None:
            self.call_after_refresh(self._count_current, query)
        else:
            self.total = len(runs)
        if not self._orphans_asked:
            self._orphans_asked = True
            self.call_after_refresh(self.find_orphans)
        self.query_one(SearchNote).show(read.page.runs.note)
        if self.columns is None:
            self.columns = default_columns(runs)
        table = self.table
        table.set_data_columns(self.columns, show_experiment=self._many_experiments)
        table.show_runs(runs, read.page.orphans)

    def _add_page(self, chain: PageChain, read: ChainPage, last: bool) -> None:
        """Add a page above or below the rows held, then drop the page farthest from it
        while the table holds more than WINDOW_PAGES."""
        below, above = chain.below(), chain.above()
        if read.index not in (below, above):
            return  # held already (read twice)
        chain.record(read)
        runs = list(read.page.runs)
        if chain.backward:
            runs.reverse()
        table = self.table
        if read.index == below:
            chain.held[read.index] = table.append_runs(runs, read.page.orphans)
            while len(chain.held) > WINDOW_PAGES:
                table.drop_top(chain.held.pop(chain.top_page()))
        else:
            chain.held[read.index] = table.prepend_runs(runs, read.page.orphans)
            while len(chain.held) > WINDOW_PAGES:
                table.drop_bottom(chain.held.pop(chain.bottom_page()))
        if last:
            table.move_cursor(table.row_count - 1)
        self.listed = Listed(len(table.runs), chain.window())
        heap.freeze_survivors()

    def _count_current(self, query: RunsQuery) -> None:
        if query == self.runs_query:
            self.count(query)

    def on_runs_counted(self, message: RunsCounted) -> None:
        if message.query == self.runs_query:
            self.total = message.total

    def on_orphans_found(self, message: OrphansFound) -> None:
        before = set(self.orphans)
        self.orphans = {orphan.run_id: orphan for orphan in message.orphans}
        if depends_on_orphans(self.statuses) and set(self.orphans) != before:
            self._apply_filter()

    def _empty_message(self) -> str:
        if self.statuses == {DisplayStatus.ORPHANED} and not self.orphans:
            return "No runs match.  No orphaned runs here; 0 shows every status."
        if self.applied_filter or self.statuses:
            return "No runs match this filter.  0 shows every status, / edits the filter."
        return "No runs in this experiment yet."

    def handle_worker_error(
        self, worker: Worker[object] | None, error: BaseException | None
    ) -> None:
        self.is_loading = False
        if not self._orphans_asked:
            self._orphans_asked = True
            self.find_orphans()
        if worker is not None and worker.group == "runs" and isinstance(error, InvalidValueError):
            # A filter or sort the store refused: say so under the bar, keep the old rows
            # and the filter they were read with.
            self.user_filter = self.applied_filter
            self.query_one(FilterBar).show_error(describe_error(error))
            return
        super().handle_worker_error(worker, error)

    @on(RunsTable.NeedMore, "#runs")
    def _load_more(self, event: RunsTable.NeedMore) -> None:
        chain = self.chain
        if chain is None or not chain.held or self.busy("runs"):
            return
        if event.everything and event.above:
            if chain.above() is not None:  # `g` far below the top: read the first page again
                self.is_loading = True
                self.load(self.runs_query, how="top")
            return
        if event.everything:
            if chain.below() is not None:
                self._read_to_the_end(chain)
            return
        index = chain.above() if event.above else chain.below()
        if index is not None and not self.busy("more"):
            start = chain.starts[index]
            assert start is not None
            self.read_pages(self.runs_query, chain, index, start, walk=False)

    def _read_to_the_end(self, chain: PageChain) -> None:
        """`G`: read every page left when they fit in the window with the ones held, else
        jump to the end (a page being read is replaced either way)."""
        index = chain.below()
        start = None if index is None else chain.starts[index]
        if index is None or start is None:
            return
        if not chain.backward and self.total is not None:
            read = chain.first_size + chain.bottom_page() * chain.more_size
            left = -(-max(self.total - read, 0) // chain.more_size)
            if len(chain.held) + left <= WINDOW_PAGES:
                self.read_pages(self.runs_query, chain, index, start, walk=True)
                return
        self.jump_to_end(self.runs_query)

    # --- live refresh --------------------------------------------------------------------

    def live_tick(self) -> None:
        if not self.busy("runs", "live"):
            self.live_refresh(self.runs_query, self.table.running_run_ids())

    @work(thread=True, exclusive=True, exit_on_error=False, group="live")
    def live_refresh(self, query: RunsQuery, running: list[str]) -> None:
        """Re-read only the RUNNING runs on screen, and ask whether a newer run exists."""
        session = self.session
        client = session.client
        now = session.clock()
        updated = refresh_runs(client, running)
        orphans = judge_page(client, updated, now, session.orphan_policy)
        newest = newest_run_id(client, replace(query, order_by=()))
        every_orphan = orphan_verdicts(client, query.experiment_ids, now, session.orphan_policy)
        if not get_current_worker().is_cancelled:
            self.post_message(OrphansFound(every_orphan))
            self.post_message(LiveUpdate(query, updated, orphans, newest))

    def on_live_update(self, message: LiveUpdate) -> None:
        if message.query != self.runs_query:
            return
        if message.newest is not None and message.newest != self.newest_known:
            self.newest_known = message.newest
            self.load(self.runs_query)
            return
        if message.updated:
            self.table.update_runs(message.updated, message.orphans)

    # --- title ---------------------------------------------------------------------------

    def compute_heading(self) -> RunsTitle:
        names = [self.experiment_names.get(i, i) for i in self.runs_query.experiment_ids]
        return RunsTitle(
            place=names[0] if len(names) == 1 else f"{len(names)} experiments",
            count="loading…" if self.is_loading else self.listed.count_text(self.total),
            statuses=describe(self.statuses) if self.statuses else "",
            filtered=bool(self.applied_filter),
            orphaned=len(self.orphans),
            marked=self.marked_count,
            sort=self.order,
            live=live_label(self.session.refresh_seconds, self.live_paused),
        )

    def watch_heading(self, heading: RunsTitle) -> None:
        if self._title is not None:
            self._show_heading(heading)

    def _fit_heading(self) -> None:
        # Not `self.heading`: reading a computed reactive calls its watcher every time.
        self._show_heading(self.compute_heading())

    def _show_heading(self, heading: RunsTitle) -> None:
        line = self.query_one(TitleLine)
        title = heading.markup(line.content_region.width, self.app.no_color)
        if title != self._title:  # an unchanged title need not be laid out again
            self._title = title
            line.update(title)

    def _marks_changed(self, marked: frozenset[str]) -> None:
        self.marked_count = len(marked)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_heading)

    # --- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.has_class("-open"):
            bar.action_close()  # first Esc hides the bar; the filter stays applied
            return
        self.dismiss()

    def action_open_run(self) -> None:
        from tuitrack.tui.screens.run import RunScreen

        run = self.table.run_at_cursor()
        if run is not None:
            self.app.push_screen(RunScreen(self.session, run.info.run_id))

    @on(RunsTable.RunSelected, "#runs")
    def _row_selected(self, event: RunsTable.RunSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.open()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        # The bar stays in sight showing the filter; a refused filter takes focus back.
        self.user_filter = event.text
        self._apply_filter()
        if not event.text:
            self.query_one(FilterBar).action_close()
        self.table.focus()

    def _apply_filter(self) -> None:
        text = compose_filter(self.user_filter, self.statuses, self.orphans)
        self._reload(replace(self.runs_query, filter_string=text))

    @on(FilterBar.Closed)
    def _filter_closed(self) -> None:
        self.table.focus()

    def action_status(self, key: str) -> None:
        if key == ALL_STATUSES_KEY:
            self.statuses = frozenset()
        else:
            self.statuses ^= {STATUS_KEYS[key]}
        self._apply_filter()

    def action_tags(self) -> None:
        from tuitrack.tui.screens.tag_picker import TagPickerScreen

        ids = self.runs_query.experiment_ids
        self.app.push_screen(TagPickerScreen(self.session, ids), self._tag_chosen)

    def _tag_chosen(self, condition: str | None) -> None:
        if not condition:
            return
        bar = self.query_one(FilterBar)
        joined = f"{self.user_filter} AND {condition}" if self.user_filter else condition
        bar.input.value = joined
        bar.add_class("-open")
        self.user_filter = joined
        self._apply_filter()
        self.table.focus()

    def action_sort(self) -> None:
        from tuitrack.tui.screens.sort import SortScreen

        sortable = [c for c in self.table.columns_shown if c.sortable]
        self.app.push_screen(SortScreen(sortable, self.table.sort_key), self._sort_by)

    def _sort_by(self, column: RunColumn | None) -> None:
        if column is None:
            return
        table = self.table
        if table.sort_key == column.key:
            ascending = not table.sort_ascending
        else:
            # Names and users read best A-Z; times and numbers biggest first.
            ascending = column.key in ("name", "user", "experiment")
        self._sort(column, ascending)

    def action_reverse_sort(self) -> None:
        table = self.table
        column = next((c for c in table.columns_shown if c.key == table.sort_key), None)
        if column is None:  # newest first until now
            column = next(c for c in table.columns_shown if c.key == "start")
            self._sort(column, ascending=True)
        else:
            self._sort(column, not table.sort_ascending)

    def _sort(self, column: RunColumn, ascending: bool) -> None:
        # The status column's header is blank: its key names it.
        self.order = SortOrder(column.key, column.label.strip() or column.key, ascending)
        self._reload(replace(self.runs_query, order_by=(column.order_by(ascending),)))

    def watch_order(self, order: SortOrder | None) -> None:
        table = self.table
        table.sort_key = order.key if order else None
        table.sort_ascending = order.ascending if order else False

    @on(RunsTable.HeaderClicked, "#runs")
    def _header_clicked(self, event: RunsTable.HeaderClicked) -> None:
        event.stop()
        column = next((c for c in self.table.columns_shown if c.key == event.column_key), None)
        if column is not None and column.sortable:
            self._sort_by(column)

    def action_mark(self) -> None:
        self.table.toggle_mark()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_fold(self) -> None:
        self.table.toggle_fold()

    def action_fold_all(self) -> None:
        self.table.set_all_folded(bool(self.table.expanded))

    def action_reload(self) -> None:
        self._reload(self.runs_query)
        self.find_orphans()

    def _marked_in_table_order(self) -> list[str]:
        return [run.info.run_id for run in self.table.marked_in_order()]

    def action_chart(self) -> None:
        """Overlay the marked runs (or the run under the cursor) on a chart of the metric
        the table is sorted by, else of the first metric column shown."""
        from tuitrack.tui.screens.chart import ChartScreen

        run_ids = self._marked_in_table_order()
        if not run_ids and (run := self.table.run_at_cursor()) is not None:
            run_ids = [run.info.run_id]
        sort_key = self.table.sort_key or ""
        if sort_key.startswith("metric:"):
            keys: tuple[str, ...] = (sort_key.removeprefix("metric:"),)
        else:
            keys = self.columns.metrics[:1] if self.columns else ()
        if run_ids:
            held = [*self.table.marked_in_order(), *self.table.runs]
            runs = list({r.info.run_id: r for r in held if r.info.run_id in run_ids}.values())
            self.app.push_screen(ChartScreen(self.session, run_ids, keys, runs))

    def action_compare(self) -> None:
        from tuitrack.tui.history_queries import MAX_COMPARE_RUNS
        from tuitrack.tui.screens.compare import CompareScreen

        run_ids = self._marked_in_table_order()
        if not 2 <= len(run_ids) <= MAX_COMPARE_RUNS:
            self.notify(
                f"Mark 2 to {MAX_COMPARE_RUNS} runs with space to compare them "
                f"({len(run_ids)} marked).",
                timeout=4,
            )
            return
        self.app.push_screen(CompareScreen(self.session, run_ids))

    def action_columns(self) -> None:
        from tuitrack.tui.screens.columns import ColumnsScreen

        available = available_keys(self.table.runs)
        current = self.columns or ColumnChoice()
        self.app.push_screen(ColumnsScreen(available, current), self._columns_chosen)

    def _columns_chosen(self, choice: ColumnChoice | None) -> None:
        if choice is None:
            return
        self.columns = choice
        table = self.table
        table.set_data_columns(choice, show_experiment=self._many_experiments)
        table.show_runs(table.runs)

    # --- orphaned runs -------------------------------------------------------------------

    def action_mark_failed(self) -> None:
        """Confirm, then mark FAILED the marked orphans, the one under the cursor, or all."""
        read_only = read_only_reason(self.session.client)
        if read_only:
            self.notify(f"Cannot mark runs FAILED: {read_only}", severity="error", timeout=8)
            return
        table = self.table
        chosen = {run_id for run_id in table.marked if run_id in self.orphans}
        current = table.current_row_key()
        if not chosen and current in self.orphans:
            chosen = {current}
        self.list_orphans(chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="orphans")
    def list_orphans(self, chosen: set[str]) -> None:
        session = self.session
        orphaned = load_orphans(
            session.client,
            self.runs_query.experiment_ids,
            session.clock(),
            session.orphan_policy,
        )
        self.post_message(OrphansFound([o.orphan for o in orphaned]))
        self.post_message(OrphansListed(orphaned, chosen))

    def on_orphans_listed(self, message: OrphansListed) -> None:
        from tuitrack.tui.screens.mark_failed import MarkFailedScreen

        if not message.orphaned:
            self.notify("No orphaned runs here: every RUNNING run shows signs of life.")
            return
        listed = {o.run.info.run_id for o in message.orphaned}
        selected = (message.selected & listed) or listed
        screen = MarkFailedScreen(message.orphaned, selected, self.session.clock())
        self.app.push_screen(screen, self._marking_confirmed)

    def _marking_confirmed(self, run_ids: list[str] | None) -> None:
        if run_ids:
            self.mark_failed(run_ids)

    @work(thread=True, exclusive=True, exit_on_error=False, group="marking")
    def mark_failed(self, run_ids: list[str]) -> None:
        session = self.session
        result = mark_orphans_failed(session.client, run_ids, session.orphan_policy)
        self.post_message(OrphansMarked(result))

    def on_orphans_marked(self, message: OrphansMarked) -> None:
        result = message.result
        count = len(result.marked)
        text = f"Marked {count} run{'s' if count != 1 else ''} FAILED."
        if result.refused:
            reasons = "; ".join(f"{i[:8]}: {why}" for i, why in sorted(result.refused.items()))
            text += f" Left {len(result.refused)} alone ({reasons})."
        self.notify(text, severity="warning" if result.refused else "information", timeout=6)
        self.table.marked -= {orphan.run_id for orphan in result.marked}
        self.action_reload()
