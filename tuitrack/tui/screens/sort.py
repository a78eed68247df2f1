"""Pick the column to sort the runs by; picking the current one flips the direction."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuitrack.tui.runs_rows import RunColumn

_KIND_LABELS = {"attributes": "", "params": "param ", "metrics": "metric "}


class SortScreen(ModalScreen[RunColumn | None]):
    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel", id="sort.cancel"),
        Binding("j", "cursor_down", "Down", show=False, id="sort.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sort.up"),
    ]

    def __init__(self, columns: list[RunColumn], current: str | None) -> None:
        super().__init__()
        self.columns = columns
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Sort runs by (again to reverse)", classes="dialog-title")
            options = [Option(self._label(c), id=c.key) for c in self.columns]
            yield OptionList(*options, id="sort-options")

    def _label(self, column: RunColumn) -> Text:
        name = "status" if column.key == "status" else column.label
        marker = "  ◆" if column.key == self.current else ""
        return Text(f"{_KIND_LABELS.get(column.kind, '')}{name}{marker}")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = [c.key for c in self.columns]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        options.focus()

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next(c for c in self.columns if c.key == event.option.id))
