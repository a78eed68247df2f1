"""Choose which params and metrics the runs table shows."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets.selection_list import Selection

from tuitrack.tui.queries import ColumnChoice
from tuitrack.tui.widgets.tick_list import TickList


class ColumnsScreen(ModalScreen[ColumnChoice | None]):
    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True, id="columns.apply"),
        Binding("escape,q", "cancel", "Cancel", id="columns.cancel"),
        Binding("j", "cursor_down", "Down", show=False, id="columns.down"),
        Binding("k", "cursor_up", "Up", show=False, id="columns.up"),
    ]

    def __init__(self, available: ColumnChoice, current: ColumnChoice) -> None:
        super().__init__()
        self.available = available
        self.current = current

    def compose(self) -> ComposeResult:
        selections: list[Selection[str]] = [
            Selection(Text(f"metric  {k}"), f"metric:{k}", k in self.current.metrics)
            for k in self.available.metrics
        ] + [
            Selection(Text(f"param   {k}"), f"param:{k}", k in self.current.params)
            for k in self.available.params
        ]
        with Vertical(classes="dialog"):
            yield Label("Columns: space toggles, Enter applies", classes="dialog-title")
            yield TickList[str](*selections, id="column-options")

    def on_mount(self) -> None:
        self.query_one(TickList).focus()

    def action_cursor_down(self) -> None:
        self.query_one(TickList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(TickList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        chosen = self.query_one(TickList).selected
        # Keep the order the keys are listed in, metrics after params as in the table.
        params = tuple(k for k in self.available.params if f"param:{k}" in chosen)
        metrics = tuple(k for k in self.available.metrics if f"metric:{k}" in chosen)
        self.dismiss(ColumnChoice(params, metrics))
