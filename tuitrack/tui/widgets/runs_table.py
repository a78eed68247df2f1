"""The runs table: status glyph, name (nested under parents), times, params and metrics.

A Line API widget over two parts: the row model (tuitrack/tui/runs_rows.py: the runs of the
pages loaded around the cursor, as rows, and their cells) and the line cache
(runs_lines.py: what was drawn). It renders only the rows in view, so ten thousand runs
cost no more to draw than forty. Column widths grow to fit the cells drawn so far; the
mark, status and name columns stay put while the rest scroll sideways.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuitrack.core.orphans import Orphan
from tuitrack.entities import Run
from tuitrack.tui.queries import ColumnChoice
from tuitrack.tui.runs_rows import (
    FIXED_COLUMNS,
    PINNED,
    CellContext,
    RunColumn,
    RunRows,
    header_cell,
    row_cells,
    shown_columns,
)
from tuitrack.tui.session import Clock
from tuitrack.tui.widgets.runs_lines import PADDING, RunLines

PREFETCH_ROWS = 20
"""Ask for more runs when the cursor or the view gets this close to the last row."""
_MIN_WIDTHS = {"start": 11, "duration": 5}
HEADER_KEY = "\x00header"
"""Where the drawn header is cached among the drawn rows (no run id looks like it)."""
ROW_COMPONENTS = {
    "header": "runs-table--header",
    "cursor": "runs-table--cursor",
    "even": "runs-table--even-row",
    "odd": "runs-table--odd-row",
}


class RunsTable(ScrollView, can_focus=True):
    """Rows keyed by run id. Parents start folded; `marked` holds the marked run ids."""

    COMPONENT_CLASSES = {
        "runs-table--header",
        "runs-table--cursor",
        "runs-table--even-row",
        "runs-table--odd-row",
        "runs-table--empty",
    }

    DEFAULT_CSS = """
    RunsTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .runs-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .runs-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .runs-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .runs-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .runs-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .runs-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .runs-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .runs-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="table.up"),
        Binding("h,left", "cursor_left", "Left", show=False, id="table.left"),
        Binding("l,right", "cursor_right", "Right", show=False, id="table.right"),
        Binding("g,home,ctrl+home", "scroll_top", "First row", show=False, id="table.top"),
        Binding("G,end,ctrl+end", "scroll_bottom", "Last row", show=False, id="table.bottom"),
        Binding("ctrl+d,pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("ctrl+u,pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("ctrl+pageup", "page_left", "Page left", show=False, id="table.page_left"),
        Binding("ctrl+pagedown", "page_right", "Page right", show=False, id="table.page_right"),
        Binding("enter", "select_cursor", "Open", show=False, id="table.select"),
    ]

    class _TableMessage(Message):
        def __init__(self, table: RunsTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> RunsTable:
            return self.table

    class RunSelected(_TableMessage):
        """Enter on a row, or a click on the row under the cursor."""

        def __init__(self, table: RunsTable, run_id: str) -> None:
            super().__init__(table)
            self.run_id = run_id

    class HeaderClicked(_TableMessage):
        def __init__(self, table: RunsTable, column_key: str) -> None:
            super().__init__(table)
            self.column_key = column_key

    class NeedMore(_TableMessage):
        """The cursor or the view is near the last loaded row (the first, with `above`);
        `everything` after `G` (`g` with `above`): the listing's very end (top) is wanted."""

        def __init__(self, table: RunsTable, everything: bool, above: bool = False) -> None:
            super().__init__(table)
            self.everything = everything
            self.above = above

    marked: var[frozenset[str]] = var(frozenset())
    """The marked run ids (the runs screen shows how many in its title)."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.columns_shown: list[RunColumn] = list(FIXED_COLUMNS)
        self.model = RunRows()
        self._marked_runs: dict[str, Run] = {}
        """The marked runs as last seen, kept when their page is dropped."""
        self.experiment_names: dict[str, str] = {}
        self.sort_key: str | None = None
        self.sort_ascending = False
        self.empty_message = ""
        self._cursor = 0
        self._lines = RunLines()

    # --- the DataTable-like surface screens and tests use ---------------------------------

    @property
    def runs(self) -> list[Run]:
        """The runs held, in listing order."""
        return self.model.runs

    @property
    def expanded(self) -> set[str]:
        """The parents shown open."""
        return self.model.expanded

    @property
    def orphans(self) -> dict[str, Orphan]:
        return self.model.orphans

    @property
    def row_count(self) -> int:
        return len(self.model.rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def row_keys(self) -> list[str]:
        """The run id of every row, top to bottom."""
        return [row.run.info.run_id for row in self.model.rows]

    def row_key_at(self, index: int) -> str:
        """The run id of row `index` (IndexError past the last row)."""
        return self.model.key_at(index)

    def current_row_key(self) -> str | None:
        return self.model.key_at(self._cursor) if self.model.rows else None

    def run_at_cursor(self) -> Run | None:
        rows = self.model.rows
        return rows[self._cursor].run if rows else None

    def get_row_index(self, run_id: str) -> int:
        """Raises KeyError for a run that has no row (not loaded, or folded away)."""
        return self.model.index[run_id]

    def get_cell(self, run_id: str, column_key: str) -> Text:
        """The cell as drawn. Raises KeyError for an unknown row or column."""
        keys = [column.key for column in self.columns_shown]
        return self._row_cells(self.model.index[run_id])[keys.index(column_key)]

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        row, column = coordinate
        return self._row_cells(row)[column]

    def running_run_ids(self) -> list[str]:
        return self.model.running_run_ids()

    def marked_in_order(self) -> list[Run]:
        """The marked runs: those loaded in table order, then those whose page was dropped."""
        loaded = [run for run in self.runs if run.info.run_id in self.marked]
        shown = {run.info.run_id for run in loaded}
        return loaded + [
            run
            for run_id, run in self._marked_runs.items()
            if run_id in self.marked and run_id not in shown
        ]

    # --- filling ---------------------------------------------------------------------------

    def set_data_columns(self, choice: ColumnChoice, show_experiment: bool = False) -> None:
        self.columns_shown = shown_columns(choice, show_experiment)
        self._lines.widths = {}
        self._forget_drawn()

    def show_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> None:
        """Replace every run, keeping the cursor on the same run when it is still there."""
        keep = self.current_row_key()
        self.model.hold(runs, orphans)
        self._rows_built(keep)
        self._layout_changed()
        self._scroll_to_cursor()

    def append_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> int:
        """Add the next page; only rows of the new runs are built unless one nests. Runs held
        already are left out (a page read again after runs moved); returns how many were added."""
        keep = self.current_row_key()
        added = self.model.new_runs(runs, orphans)
        if self.model.append(added):
            self._rows_built(keep)
            self._layout_changed()
            self._scroll_to_cursor()
        else:
            self._layout_changed()
        return len(added)

    def prepend_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> int:
        """Add the page before the first one held; the rows in view stay where they are.
        Returns how many runs were added (as append_runs)."""
        added = self.model.new_runs(runs, orphans)
        self._replace_steadily([*added, *self.runs])
        return len(added)

    def drop_top(self, count: int) -> None:
        """Forget the first `count` runs (a page far above the cursor)."""
        self._replace_steadily(self.runs[count:])

    def drop_bottom(self, count: int) -> None:
        """Forget the last `count` runs (a page far below the cursor)."""
        self._replace_steadily(self.runs[: len(self.runs) - count])

    def _replace_steadily(self, runs: list[Run]) -> None:
        """Hold `runs` instead, keeping the cursor's run on the same screen line."""
        keep = self.current_row_key()
        line = self._cursor - int(self.scroll_y)
        self.model.hold(runs)
        self._rows_built(keep)
        self._update_virtual_size()
        self.scroll_to(y=max(self._cursor - line, 0), animate=False)
        self._scroll_to_cursor()
        self._measure_view()
        self.refresh()

    def update_runs(self, updated: Sequence[Run], orphans: dict[str, Orphan]) -> None:
        """Replace these runs' data (live refresh); `orphans` is the verdict on each of them."""
        for run_id in self.model.update(updated, orphans):
            self.redraw_run(run_id)
        self._measure_view()

    def redraw_run(self, run_id: str) -> None:
        self._lines.forget_run(run_id)
        index = self.model.index.get(run_id)
        if index is not None:
            self.refresh_line(index + 1)

    def _rows_built(self, keep: str | None) -> None:
        """The model built its rows again: forget what was drawn, and put the cursor on
        `keep` when it has a row."""
        self._forget_drawn()
        index = self.model.index
        if keep is not None and keep in index:
            self._cursor = index[keep]
        self._cursor = max(0, min(self._cursor, len(self.model.rows) - 1))

    def _rebuild(self, keep: str | None) -> None:
        self.model.build()
        self._rows_built(keep)
        self._layout_changed()
        self._scroll_to_cursor()

    def _forget_drawn(self) -> None:
        self._lines.forget_drawn()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.forget_styles()

    # --- cells -----------------------------------------------------------------------------

    def _header(self, column: RunColumn) -> Text:
        return header_cell(column, self.sort_key, self.sort_ascending)

    def _row_cells(self, index: int) -> list[Text]:
        row = self.model.rows[index]
        run_id = row.run.info.run_id
        cells = self._lines.cells.get(run_id)
        if cells is None:
            model = self.model
            context = CellContext(
                self.marked, model.orphans, model.expanded, self.experiment_names, self.clock()
            )
            cells = self._lines.cells[run_id] = row_cells(row, self.columns_shown, context)
        return cells

    # --- widths and size -------------------------------------------------------------------

    def _width(self, column: RunColumn) -> int:
        widths = self._lines.widths
        width = widths.get(column.key)
        if width is None:
            width = max(self._header(column).cell_len, _MIN_WIDTHS.get(column.key, 1))
            widths[column.key] = width
        return width

    def _rows_in_view(self) -> range:
        height = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_y)
        return range(top, min(top + height, len(self.model.rows)))

    def _measure_view(self) -> None:
        """Widen columns to fit the rows now in view; redraw everything if one grew."""
        grew = False
        widths = self._lines.widths
        for index in self._rows_in_view():
            for column, cell in zip(self.columns_shown, self._row_cells(index), strict=True):
                if cell.cell_len > self._width(column):
                    widths[column.key] = cell.cell_len
                    grew = True
        if grew:
            self._lines.forget_strips()
            self._update_virtual_size()
            self.refresh()

    def _update_virtual_size(self) -> None:
        pinned = self._pinned_width()
        scrolling = sum(self._width(c) + 2 * PADDING for c in self.columns_shown[PINNED:])
        room = self.scrollable_content_region.width - pinned
        if 0 < room < scrolling:
            # Room to scroll until the first column in view starts at its left edge, so the
            # last sideways step shows whole columns.
            first = min(e for e in self._column_edges() if scrolling - e <= room)
            scrolling = max(scrolling, first + room)
        self.virtual_size = Size(pinned + scrolling, len(self.model.rows) + 1)

    def _layout_changed(self) -> None:
        self._update_virtual_size()
        self._measure_view()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._measure_view()

    def watch_show_vertical_scrollbar(self) -> None:
        # The vertical scrollbar comes and goes with the rows, after the virtual size was
        # set: the room for scrolling columns changed, and with it where sideways steps end.
        self._update_virtual_size()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._measure_view()
        view = self._rows_in_view()
        if view and view.stop >= len(self.model.rows) - PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False))
        if view and view.start < PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False, above=True))

    # --- drawing ---------------------------------------------------------------------------

    def _pinned_width(self) -> int:
        return sum(self._width(c) + 2 * PADDING for c in self.columns_shown[:PINNED])

    def _strip(self, cells: Sequence[Text]) -> Strip:
        widths = [self._width(column) for column in self.columns_shown]
        return self._lines.strip(cells, widths, self.app.console)

    def _row_style(self, kind: str) -> Style:
        """The widget's style plus a row kind's (a key of ROW_COMPONENTS; any other kind
        gets the widget's own)."""
        style = self.rich_style
        if kind in ROW_COMPONENTS:
            style += self.get_component_rich_style(ROW_COMPONENTS[kind])
        return style

    def _in_view(self, strip: Strip, kind: str) -> Strip:
        # Without colour (NO_COLOR) every colour is a grey, and on a 16-colour terminal a
        # cell's grey can be the cursor's own: the cursor row keeps only its colours.
        return self._lines.in_view(
            strip,
            kind,
            self._lines.row_style(kind, self._row_style),
            width=self.size.width,
            pinned=self._pinned_width(),
            scroll_x=int(self.scroll_x),
            colourless=kind == "cursor" and self.app.no_color,
        )

    def render_line(self, y: int) -> Strip:
        lines = self._lines
        lines.use_view(int(self.scroll_x), self.size.width)
        finished = lines.lines
        if y == 0:
            key = f"{HEADER_KEY}{self.sort_key}{self.sort_ascending}"
            line = finished.get((key, "header"))
            if line is None:
                header = lines.strips.get(key)
                if header is None:
                    cells = [self._header(c) for c in self.columns_shown]
                    header = lines.strips[key] = self._strip(cells)
                line = finished[(key, "header")] = self._in_view(header, "header")
            return line
        rows = self.model.rows
        index = int(self.scroll_y) + y - 1
        if not rows or index >= len(rows):
            return self._blank_line(y)
        run_id = rows[index].run.info.run_id
        kind = "cursor" if index == self._cursor else "odd" if index % 2 else "even"
        line = finished.get((run_id, kind))
        if line is None:
            strip = lines.strips.get(run_id)
            if strip is None:
                strip = lines.strips[run_id] = self._strip(self._row_cells(index))
            line = finished[(run_id, kind)] = self._in_view(strip, kind)
        return line

    def _blank_line(self, y: int) -> Strip:
        """A line below the last row, or the note shown in place of rows when none match."""
        width = self.size.width
        base = self._lines.row_style("blank", self._row_style)
        if y == 1 and not self.model.rows and self.empty_message:
            note = base + self.get_component_rich_style("runs-table--empty")
            line = Strip([Segment(" " * (PADDING + 1)), Segment(self.empty_message, note)])
            return line.adjust_cell_length(width).apply_style(base)
        return Strip.blank(width, base)

    # --- cursor ----------------------------------------------------------------------------

    def move_cursor(self, row: int, animate: bool = False) -> None:
        if not self.model.rows:
            return
        previous = self._cursor
        self._cursor = max(0, min(row, len(self.model.rows) - 1))
        self.refresh_line(previous + 1)
        self.refresh_line(self._cursor + 1)
        self._scroll_to_cursor()
        if self._cursor >= len(self.model.rows) - PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False))
        if self._cursor < PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False, above=True))

    def move_to_run(self, run_id: str) -> None:
        index = self.model.index.get(run_id)
        if index is not None:
            self.move_cursor(index)

    def refresh_line(self, y: int) -> None:
        """Redraw virtual line `y` (the header is line 0, row i is line i + 1)."""
        top = int(self.scroll_y)
        if y == 0 or top < y <= top + self.size.height:
            self.refresh_lines(y + (top if y == 0 else 0), 1)

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height - 1
        if height < 1:
            return
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 2, 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def _column_edges(self) -> list[int]:
        """Where each scrolling column starts, as a sideways scroll offset."""
        edges, edge = [], 0
        for column in self.columns_shown[PINNED:]:
            edges.append(edge)
            edge += self._width(column) + 2 * PADDING
        return edges

    def action_cursor_left(self) -> None:
        # A row cursor has no column to move: scroll sideways a column at a time.
        x = int(self.scroll_x)
        self.scroll_to(x=max((e for e in self._column_edges() if e < x), default=0), animate=False)

    def action_cursor_right(self) -> None:
        x = int(self.scroll_x)
        after = [e for e in self._column_edges() if e > x]
        self.scroll_to(x=min(after[0] if after else x, self.max_scroll_x), animate=False)

    def action_page_left(self) -> None:
        self.scroll_to(x=self.scroll_x - self.size.width // 2, animate=False)

    def action_page_right(self) -> None:
        self.scroll_to(x=self.scroll_x + self.size.width // 2, animate=False)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)
        self.post_message(self.NeedMore(self, everything=True, above=True))

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self.model.rows) - 1)
        self.post_message(self.NeedMore(self, everything=True))

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page())

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page())

    def action_select_cursor(self) -> None:
        run_id = self.current_row_key()
        if run_id is not None:
            self.post_message(self.RunSelected(self, run_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column.key))
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self.model.rows):
            if index == self._cursor:
                self.action_select_cursor()
            else:
                self.move_cursor(index)

    def _column_at(self, x: int) -> RunColumn | None:
        position = x if x < self._pinned_width() else x + int(self.scroll_x)
        edge = 0
        for column in self.columns_shown:
            edge += self._width(column) + 2 * PADDING
            if position < edge:
                return column
        return None

    # --- marks and folding -----------------------------------------------------------------

    def toggle_mark(self) -> None:
        run = self.run_at_cursor()
        if run is None:
            return
        self.marked ^= {run.info.run_id}
        self._marked_runs[run.info.run_id] = run
        self.redraw_run(run.info.run_id)
        self.action_cursor_down()

    def clear_marks(self) -> None:
        self._marked_runs.clear()
        marked, self.marked = self.marked, frozenset()
        for run_id in marked:
            self.redraw_run(run_id)

    def toggle_fold(self) -> None:
        """Open or close the children of the run under the cursor (or of its parent)."""
        run = self.run_at_cursor()
        if run is None:
            return
        target = self.model.fold_target(run)
        self.model.expanded ^= {target}
        self._rebuild(target)

    def set_all_folded(self, folded: bool) -> None:
        self.model.expanded = set() if folded else set(self.model.parents)
        self._rebuild(self.current_row_key())
