"""Choose which metrics the chart view shows (one chart each)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets.selection_list import Selection

from tuitrack.tui.widgets.tick_list import TickList


class MetricPickerScreen(ModalScreen[tuple[str, ...] | None]):
    DEFAULT_CSS = """
    MetricPickerScreen {
        align: center middle;
    }
    """
    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True, id="metrics.apply"),
        Binding("escape,q", "cancel", "Cancel", id="metrics.cancel"),
        Binding("j", "cursor_down", "Down", show=False, id="metrics.down"),
        Binding("k", "cursor_up", "Up", show=False, id="metrics.up"),
    ]

    def __init__(self, available: Sequence[str], current: Sequence[str], limit: int) -> None:
        super().__init__()
        self.available = tuple(available)
        self.current = tuple(current)
        self.limit = limit

    def compose(self) -> ComposeResult:
        selections = [Selection(key, key, key in self.current) for key in self.available]
        with Vertical(classes="dialog"):
            yield Label(
                f"Metrics to chart (up to {self.limit}): space toggles, Enter applies",
                classes="dialog-title",
            )
            yield TickList[str](*selections, id="metric-options")

    def on_mount(self) -> None:
        self.query_one(TickList).focus()

    def action_cursor_down(self) -> None:
        self.query_one(TickList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(TickList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        chosen = set(self.query_one(TickList).selected)
        keys = tuple(key for key in self.available if key in chosen)
        if not keys:
            self.notify("Choose at least one metric (space toggles).", timeout=3)
            return
        if len(keys) > self.limit:
            self.notify(f"At most {self.limit} metrics at once; {len(keys)} chosen.", timeout=3)
            return
        self.dismiss(keys)
