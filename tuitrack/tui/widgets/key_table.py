"""A DataTable with a row cursor that also answers to vim keys."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable


class KeyTable(DataTable[object]):
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

    class JumpedToEnd(Message):
        """`G`: the cursor went to the last row (a screen may have more rows to read)."""

        def __init__(self, table: KeyTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> KeyTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            cursor_type="row",
            zebra_stripes=True,
            cursor_foreground_priority="renderable",
        )

    def action_cursor_left(self) -> None:
        # A row cursor has no column to move: scroll sideways to reach wide tables.
        self.scroll_left(animate=False)

    def action_cursor_right(self) -> None:
        self.scroll_right(animate=False)

    def action_scroll_top(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
        self.post_message(self.JumpedToEnd(self))

    def current_row_key(self) -> str | None:
        """The key of the row under the cursor, or None on an empty table."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
