"""The runs table: status glyph, name (nested under parents), times, params and metrics.

A Line API widget: it holds the runs of the pages loaded around the cursor (the screen drops
far ones) and renders only the rows in view, so ten thousand runs cost no more to draw than
forty. Column widths grow to fit the cells drawn so
far; the mark, status and name columns stay put while the rest scroll sideways.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

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

from tuitrack.entities import Run, RunStatus
from tuitrack.orphans import Orphan
from tuitrack.tui.formatting import (
    format_duration,
    format_metric,
    format_timestamp_short,
    run_duration_ms,
    truncate,
)
from tuitrack.tui.queries import ColumnChoice, order_clause
from tuitrack.tui.session import Clock
from tuitrack.tui.status import shown_status, status_glyph

NAME_WIDTH = 28
VALUE_WIDTH = 14
PADDING = 1
"""Blank cells on each side of every cell."""
PREFETCH_ROWS = 20
"""Ask for more runs when the cursor or the view gets this close to the last row."""
MARK = Text("▌", style="bold yellow")
_MIN_WIDTHS = {"start": 11, "duration": 5}
HEADER_KEY = "\x00header"
"""Where the drawn header is cached among the drawn rows (no run id looks like it)."""
ROW_COMPONENTS = {
    "header": "runs-table--header",
    "cursor": "runs-table--cursor",
    "even": "runs-table--even-row",
    "odd": "runs-table--odd-row",
}
LINES_KEPT = 2_000
"""Finished lines kept for redrawing; past this many the cache starts over."""


@dataclass(frozen=True)
class RunColumn:
    key: str
    label: str
    kind: str
    """`attributes`, `params`, `metrics`, or `derived` (shown, not sortable)."""
    field: str

    @property
    def sortable(self) -> bool:
        return self.kind != "derived"

    def order_by(self, ascending: bool) -> str:
        return order_clause(self.kind, self.field, ascending)


MARK_COLUMN = RunColumn("mark", " ", "derived", "mark")
STATUS_COLUMN = RunColumn("status", " ", "attributes", "status")
NAME_COLUMN = RunColumn("name", "Name", "attributes", "run_name")
FIXED_COLUMNS = (
    MARK_COLUMN,
    STATUS_COLUMN,
    NAME_COLUMN,
    RunColumn("start", "Start", "attributes", "start_time"),
    RunColumn("duration", "Duration", "derived", "duration"),
    RunColumn("user", "User", "attributes", "user_id"),
)
PINNED = 3
"""The first columns (mark, status, name) do not scroll sideways."""
EXPERIMENT_COLUMN = RunColumn("experiment", "Experiment", "attributes", "experiment_id")


def data_columns(choice: ColumnChoice) -> list[RunColumn]:
    return [RunColumn(f"param:{k}", k, "params", k) for k in choice.params] + [
        RunColumn(f"metric:{k}", k, "metrics", k) for k in choice.metrics
    ]


@dataclass(frozen=True)
class TreeRow:
    run: Run
    depth: int
    children: int
    last_child: bool = False
    orphan_child: bool = False
    """Its parent run is not among the loaded runs."""


def tree_rows(runs: Sequence[Run], expanded: set[str]) -> Iterator[TreeRow]:
    """Runs in the given order, each loaded child right under its parent when that parent is
    in `expanded` (parents start folded)."""
    loaded = {run.info.run_id for run in runs}
    children: dict[str, list[Run]] = {}
    roots: list[Run] = []
    for run in runs:
        parent = run.info.parent_run_id
        if parent and parent in loaded and parent != run.info.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)

    def walk(run: Run, depth: int, last: bool, seen: frozenset[str]) -> Iterator[TreeRow]:
        run_id = run.info.run_id
        kids = children.get(run_id, [])
        orphan = depth == 0 and bool(run.info.parent_run_id)
        yield TreeRow(run, depth, len(kids), last, orphan)
        if run_id not in expanded or run_id in seen:
            return
        for index, kid in enumerate(kids):
            yield from walk(kid, depth + 1, index == len(kids) - 1, seen | {run_id})

    for root in roots:
        if root.info.run_id in children:
            yield from walk(root, 0, False, frozenset())
        else:  # the common case, kept cheap for big flat lists
            yield TreeRow(root, 0, 0, False, bool(root.info.parent_run_id))


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
        self.runs: list[Run] = []
        self._marked_runs: dict[str, Run] = {}
        """The marked runs as last seen, kept when their page is dropped."""
        self.expanded: set[str] = set()
        self.experiment_names: dict[str, str] = {}
        self.orphans: dict[str, Orphan] = {}
        self.sort_key: str | None = None
        self.sort_ascending = False
        self.empty_message = ""
        self._rows: list[TreeRow] = []
        self._row_index: dict[str, int] = {}
        self._parents: set[str] = set()
        self._loaded: set[str] = set()
        """The ids of self.runs, kept as pages arrive (a page's cost must not grow with them)."""
        self._cursor = 0
        self._widths: dict[str, int] = {}
        self._cells: dict[str, list[Text]] = {}
        self._strips: dict[str, Strip] = {}
        """Each drawn row across every column, before scrolling and row styles."""
        self._lines: dict[tuple[str, str], Strip] = {}
        """Finished lines by (row key, style), for the current sideways scroll and width."""
        self._lines_view = (0, 0)
        self._line_styles: dict[str, Style] = {}
        self._combined: dict[tuple[str, Style | None], Style] = {}
        self._parsed_styles: dict[str, Style] = {}

    # --- the DataTable-like surface screens and tests use ---------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def row_keys(self) -> list[str]:
        """The run id of every row, top to bottom."""
        return [row.run.info.run_id for row in self._rows]

    def row_key_at(self, index: int) -> str:
        """The run id of row `index` (IndexError past the last row)."""
        return self._rows[index].run.info.run_id

    def current_row_key(self) -> str | None:
        return self._rows[self._cursor].run.info.run_id if self._rows else None

    def run_at_cursor(self) -> Run | None:
        return self._rows[self._cursor].run if self._rows else None

    def get_row_index(self, run_id: str) -> int:
        """Raises KeyError for a run that has no row (not loaded, or folded away)."""
        return self._row_index[run_id]

    def get_cell(self, run_id: str, column_key: str) -> Text:
        """The cell as drawn. Raises KeyError for an unknown row or column."""
        keys = [column.key for column in self.columns_shown]
        return self._row_cells(self._row_index[run_id])[keys.index(column_key)]

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        row, column = coordinate
        return self._row_cells(row)[column]

    def running_run_ids(self) -> list[str]:
        return [r.info.run_id for r in self.runs if r.info.status is RunStatus.RUNNING]

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
        fixed = list(FIXED_COLUMNS) + ([EXPERIMENT_COLUMN] if show_experiment else [])
        self.columns_shown = fixed + data_columns(choice)
        self._widths = {}
        self._forget_drawn()

    def show_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> None:
        """Replace every run, keeping the cursor on the same run when it is still there."""
        keep = self.current_row_key()
        self.runs = list(runs)
        if orphans is not None:
            self.orphans = dict(orphans)
        self._parents = {r.info.parent_run_id for r in self.runs if r.info.parent_run_id}
        self._loaded = {r.info.run_id for r in self.runs}
        self._rebuild(keep)

    def append_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> int:
        """Add the next page; only rows of the new runs are built unless one nests. Runs held
        already are left out (a page read again after runs moved); returns how many were added."""
        self.orphans.update(orphans or {})
        runs = [run for run in runs if run.info.run_id not in self._loaded]
        new_ids = {run.info.run_id for run in runs}
        nests = any(r.info.parent_run_id in self._loaded for r in runs)
        nests = nests or bool(new_ids & self._parents)
        self.runs.extend(runs)
        self._loaded |= new_ids
        self._parents.update(r.info.parent_run_id for r in runs if r.info.parent_run_id)
        if nests:
            self._rebuild(self.current_row_key())
            return len(runs)
        start = len(self._rows)
        self._rows.extend(tree_rows(runs, self.expanded))
        for index in range(start, len(self._rows)):
            self._row_index[self._rows[index].run.info.run_id] = index
        self._layout_changed()
        return len(runs)

    def prepend_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> int:
        """Add the page before the first one held; the rows in view stay where they are.
        Returns how many runs were added (as append_runs)."""
        self.orphans.update(orphans or {})
        runs = [run for run in runs if run.info.run_id not in self._loaded]
        self._replace_steadily([*runs, *self.runs])
        return len(runs)

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
        self.runs = runs
        self._loaded = {run.info.run_id for run in runs}
        self._parents = {r.info.parent_run_id for r in runs if r.info.parent_run_id}
        self.orphans = {k: v for k, v in self.orphans.items() if k in self._loaded}
        self._build_rows(keep)
        self._update_virtual_size()
        self.scroll_to(y=max(self._cursor - line, 0), animate=False)
        self._scroll_to_cursor()
        self._measure_view()
        self.refresh()

    def update_runs(self, updated: Sequence[Run], orphans: dict[str, Orphan]) -> None:
        """Replace these runs' data (live refresh); `orphans` is the verdict on each of them."""
        by_id = {run.info.run_id: run for run in updated}
        self.runs = [by_id.get(run.info.run_id, run) for run in self.runs]
        for run_id in by_id:
            self.orphans.pop(run_id, None)
        self.orphans.update(orphans)
        for run_id, run in by_id.items():
            index = self._row_index.get(run_id)
            if index is not None:
                self._rows[index] = replace(self._rows[index], run=run)
            self.redraw_run(run_id)
        self._measure_view()

    def redraw_run(self, run_id: str) -> None:
        self._cells.pop(run_id, None)
        self._strips.pop(run_id, None)
        for kind in ("cursor", "even", "odd"):
            self._lines.pop((run_id, kind), None)
        index = self._row_index.get(run_id)
        if index is not None:
            self.refresh_line(index + 1)

    def _rebuild(self, keep: str | None) -> None:
        self._build_rows(keep)
        self._layout_changed()
        self._scroll_to_cursor()

    def _build_rows(self, keep: str | None) -> None:
        """Rows from the runs held, the cursor on `keep` when it has a row."""
        self._rows = list(tree_rows(self.runs, self.expanded))
        self._row_index = {row.run.info.run_id: index for index, row in enumerate(self._rows)}
        self._forget_drawn()
        if keep is not None and keep in self._row_index:
            self._cursor = self._row_index[keep]
        self._cursor = max(0, min(self._cursor, len(self._rows) - 1))

    def _forget_drawn(self) -> None:
        self._cells.clear()
        self._strips.clear()
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        # Focus, theme or CSS changed: the row styles and every finished line are stale.
        super().notify_style_update()
        self._line_styles.clear()
        self._combined.clear()
        self._lines.clear()

    # --- cells -----------------------------------------------------------------------------

    def _header(self, column: RunColumn) -> Text:
        label = Text(
            truncate(column.label, VALUE_WIDTH)
            if column.kind in ("params", "metrics")
            else column.label
        )
        if column.kind == "params":
            label.stylize("italic")
        if column.key == self.sort_key:
            label.append(" ▲" if self.sort_ascending else " ▼", style="bold")
        return label

    def _name_cell(self, row: TreeRow) -> Text:
        # The first part's style is the whole cell's: children dim, parents bold.
        name = truncate(row.run.info.run_name or row.run.info.run_id[:8], NAME_WIDTH)
        if row.depth:
            branch = "└ " if row.last_child else "├ "
            text = Text("  " * (row.depth - 1) + branch, style="dim")
        elif row.children:
            text = Text(style="bold")
        elif row.orphan_child:
            return Text("↳ ", style="dim") + Text(name)
        else:
            return Text(name)
        if row.children:  # a parent at any depth shows whether it is open, and how many
            text.append("▾ " if row.run.info.run_id in self.expanded else "▸ ", style="bold")
            text.append(name)
            text.append(f" ({row.children})", style="dim")
        else:
            text.append(name)
        return text

    def _row_cells(self, index: int) -> list[Text]:
        row = self._rows[index]
        run_id = row.run.info.run_id
        cells = self._cells.get(run_id)
        if cells is None:
            cells = self._cells[run_id] = self._make_cells(row, self.clock())
        return cells

    def _make_cells(self, row: TreeRow, now: int) -> list[Text]:
        info, data = row.run.info, row.run.data
        cells: list[Text] = []
        for column in self.columns_shown:
            key = column.key
            if key == "mark":
                cells.append(MARK if info.run_id in self.marked else Text(" "))
            elif key == "status":
                cells.append(status_glyph(shown_status(info, self.orphans.get(info.run_id))))
            elif key == "name":
                cells.append(self._name_cell(row))
            elif key == "start":
                cells.append(Text(format_timestamp_short(info.start_time)))
            elif key == "duration":
                orphan = self.orphans.get(info.run_id)
                duration = format_duration(run_duration_ms(info, now, orphan))
                cells.append(Text(duration, justify="right"))
            elif key == "user":
                cells.append(Text(truncate(info.user_id or "", 12)))
            elif key == "experiment":
                name = self.experiment_names.get(info.experiment_id, info.experiment_id)
                cells.append(Text(truncate(name, 20)))
            elif column.kind == "params":
                cells.append(Text(truncate(data.params.get(column.field, ""), VALUE_WIDTH)))
            else:
                value = data.metrics.get(column.field)
                cells.append(Text(format_metric(value), justify="right"))
        return cells

    # --- widths and size -------------------------------------------------------------------

    def _width(self, column: RunColumn) -> int:
        width = self._widths.get(column.key)
        if width is None:
            width = max(self._header(column).cell_len, _MIN_WIDTHS.get(column.key, 1))
            self._widths[column.key] = width
        return width

    def _rows_in_view(self) -> range:
        height = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_y)
        return range(top, min(top + height, len(self._rows)))

    def _measure_view(self) -> None:
        """Widen columns to fit the rows now in view; redraw everything if one grew."""
        grew = False
        for index in self._rows_in_view():
            for column, cell in zip(self.columns_shown, self._row_cells(index), strict=True):
                if cell.cell_len > self._width(column):
                    self._widths[column.key] = cell.cell_len
                    grew = True
        if grew:
            self._strips.clear()
            self._lines.clear()
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
        self.virtual_size = Size(pinned + scrolling, len(self._rows) + 1)

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
        if view and view.stop >= len(self._rows) - PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False))
        if view and view.start < PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False, above=True))

    # --- drawing ---------------------------------------------------------------------------

    def _pinned_width(self) -> int:
        return sum(self._width(c) + 2 * PADDING for c in self.columns_shown[:PINNED])

    def _line(self, cells: Sequence[Text]) -> Strip:
        """One row (or the header) across every column, before scrolling and row styles."""
        segments: list[Segment] = []
        pad = Segment(" " * PADDING)
        console = self.app.console
        for column, cell in zip(self.columns_shown, cells, strict=True):
            width = self._width(column)
            segments.append(pad)
            plain = cell.plain
            if not cell.spans and len(plain) == cell.cell_len <= width:
                # Most cells: one style, no wide characters, no cropping. Text.render would
                # also leave out the base style of a text without spans.
                gap = " " * (width - len(plain))
                shown = gap + plain if cell.justify == "right" else plain + gap
                segments.append(Segment(shown, self._style(cell.style)))
            else:
                text = cell.copy()
                text.truncate(width, overflow="ellipsis")
                if text.justify == "right":
                    text.pad_left(width - text.cell_len)
                else:
                    text.pad_right(width - text.cell_len)
                if text.spans:
                    segments.extend(text.render(console))
                else:
                    segments.append(Segment(text.plain, self._style(text.style)))
            segments.append(pad)
        return Strip(segments, sum(self._width(c) + 2 * PADDING for c in self.columns_shown))

    def _style(self, style: str | Style) -> Style | None:
        if not style:
            return None
        if isinstance(style, Style):
            return style
        parsed = self._parsed_styles.get(style)
        if parsed is None:
            parsed = self._parsed_styles[style] = self.app.console.get_style(style)
        return parsed

    def _line_style(self, kind: str) -> Style:
        """The widget's style plus a row kind's (a key of ROW_COMPONENTS; any other kind
        gets the widget's own), worked out once per style change instead of once per line."""
        style = self._line_styles.get(kind)
        if style is None:
            style = self.rich_style
            if kind in ROW_COMPONENTS:
                style += self.get_component_rich_style(ROW_COMPONENTS[kind])
            self._line_styles[kind] = style
        return style

    def _in_view(self, strip: Strip, kind: str) -> Strip:
        """Crop sideways (the pinned columns stay), fill the widget's width, apply the row
        style; each cell's own style is combined with it once and remembered."""
        width = self.size.width
        pinned = self._pinned_width()
        start = pinned + int(self.scroll_x)
        if start == pinned and strip.cell_length <= width:
            shown: Iterable[Segment] = strip
            length = strip.cell_length
        else:
            left = strip.crop(0, pinned)
            right = strip.crop(start, start + max(width - pinned, 0))
            shown = [*left, *right]
            length = left.cell_length + right.cell_length
        row_style = self._line_style(kind)
        combined = self._combined
        # Without colour (NO_COLOR) every colour is a grey, and on a 16-colour terminal a
        # cell's grey can be the cursor's own: the cursor row keeps only its colours.
        plain = kind == "cursor" and self.app.no_color
        segments = []
        for text, style, _control in shown:
            both = combined.get((kind, style))
            if both is None:
                own = style.without_color if style and plain else style
                both = combined[(kind, style)] = row_style + own if own else row_style
            segments.append(Segment(text, both))
        line = Strip(segments, length)
        if length != width:
            line = line.adjust_cell_length(width, row_style)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        view = (int(self.scroll_x), width)
        if view != self._lines_view or len(self._lines) > LINES_KEPT:
            self._lines.clear()
            self._lines_view = view
        if y == 0:
            key = f"{HEADER_KEY}{self.sort_key}{self.sort_ascending}"
            line = self._lines.get((key, "header"))
            if line is None:
                header = self._strips.get(key)
                if header is None:
                    cells = [self._header(c) for c in self.columns_shown]
                    header = self._strips[key] = self._line(cells)
                line = self._lines[(key, "header")] = self._in_view(header, "header")
            return line
        index = int(self.scroll_y) + y - 1
        if not self._rows or index >= len(self._rows):
            return self._blank_line(y)
        run_id = self._rows[index].run.info.run_id
        kind = "cursor" if index == self._cursor else "odd" if index % 2 else "even"
        line = self._lines.get((run_id, kind))
        if line is None:
            strip = self._strips.get(run_id)
            if strip is None:
                strip = self._strips[run_id] = self._line(self._row_cells(index))
            line = self._lines[(run_id, kind)] = self._in_view(strip, kind)
        return line

    def _blank_line(self, y: int) -> Strip:
        """A line below the last row, or the note shown in place of rows when none match."""
        width = self.size.width
        base = self._line_style("blank")
        if y == 1 and not self._rows and self.empty_message:
            note = base + self.get_component_rich_style("runs-table--empty")
            line = Strip([Segment(" " * (PADDING + 1)), Segment(self.empty_message, note)])
            return line.adjust_cell_length(width).apply_style(base)
        return Strip.blank(width, base)

    # --- cursor ----------------------------------------------------------------------------

    def move_cursor(self, row: int, animate: bool = False) -> None:
        if not self._rows:
            return
        previous = self._cursor
        self._cursor = max(0, min(row, len(self._rows) - 1))
        self.refresh_line(previous + 1)
        self.refresh_line(self._cursor + 1)
        self._scroll_to_cursor()
        if self._cursor >= len(self._rows) - PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False))
        if self._cursor < PREFETCH_ROWS:
            self.post_message(self.NeedMore(self, everything=False, above=True))

    def move_to_run(self, run_id: str) -> None:
        index = self._row_index.get(run_id)
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
        self.move_cursor(len(self._rows) - 1)
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
        if 0 <= index < len(self._rows):
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
        target = run.info.run_id
        if target not in self._parents and run.info.parent_run_id in self._row_index:
            target = run.info.parent_run_id or target
        self.expanded ^= {target}
        self._rebuild(target)

    def set_all_folded(self, folded: bool) -> None:
        self.expanded = set() if folded else set(self._parents)
        self._rebuild(self.current_row_key())
