"""Confirm marking orphaned runs FAILED: each one listed with the reason it counts as dead."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual.widgets.selection_list import Selection

from tuitrack.core.orphans import HOST_TAG
from tuitrack.tui.formatting import format_ago, format_timestamp, truncate
from tuitrack.tui.queries import OrphanedRun
from tuitrack.tui.widgets.tick_list import TickList

HINT = (
    "space ticks, a ticks all, Enter marks the ticked runs FAILED, Esc cancels. "
    "Each is checked again first: a run that came back to life is left alone."
)


def _label(orphaned: OrphanedRun, name_width: int) -> Text:
    text = Text(_name(orphaned).ljust(name_width + 2), style="bold")
    text.append(orphaned.orphan.reason, style="italic")
    return text


def _name(orphaned: OrphanedRun) -> str:
    return truncate(orphaned.run.info.run_name or orphaned.run.info.run_id[:8], 28)


def _details(orphaned: OrphanedRun, now: int) -> Text:
    """The highlighted run in full: id, host, and the end time marking it would set."""
    info = orphaned.run.info
    text = Text("run ")
    text.append(info.run_id, style="bold")
    host = orphaned.run.data.tags.get(HOST_TAG) or info.host
    if host:
        text.append(f" on {host}")
    if info.pid is not None:
        text.append(f" (pid {info.pid})")
    seen = orphaned.orphan.last_sign_of_life
    if seen is not None:
        text.append(f"\nlast seen alive {format_ago(seen, now)}, {format_timestamp(seen)}")
        text.append(" (its end time once marked)", style="dim")
    return text


class MarkFailedScreen(ModalScreen[list[str] | None]):
    """Dismisses with the run ids to mark, or None when cancelled."""

    BINDINGS = [
        Binding("enter", "confirm", "Mark FAILED", priority=True, id="mark_failed.confirm"),
        Binding("escape,q", "cancel", "Cancel", id="mark_failed.cancel"),
        Binding("a", "toggle_all", "All", id="mark_failed.toggle_all"),
        Binding("j", "cursor_down", "Down", show=False, id="mark_failed.down"),
        Binding("k", "cursor_up", "Up", show=False, id="mark_failed.up"),
    ]

    def __init__(self, orphaned: list[OrphanedRun], selected: set[str], now: int) -> None:
        super().__init__()
        self.orphaned = orphaned
        self.selected = selected
        self.now = now

    def compose(self) -> ComposeResult:
        width = max(len(_name(o)) for o in self.orphaned)
        options: list[Selection[str]] = [
            Selection(_label(o, width), o.run.info.run_id, o.run.info.run_id in self.selected)
            for o in self.orphaned
        ]
        count = len(self.orphaned)
        with Vertical(classes="dialog", id="mark-failed-dialog"):
            yield Label(f"Mark orphaned runs FAILED?  ({count} orphaned)", classes="dialog-title")
            yield TickList[str](*options, id="orphan-options")
            yield Static("", id="orphan-details")
            yield Static(HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(TickList).focus()
        self._show_details(0)

    @on(TickList.SelectionHighlighted)
    def _highlighted(self, event: TickList.SelectionHighlighted[str]) -> None:
        self._show_details(event.selection_index)

    def _show_details(self, index: int) -> None:
        if 0 <= index < len(self.orphaned):
            self.query_one("#orphan-details", Static).update(
                _details(self.orphaned[index], self.now)
            )

    @property
    def options(self) -> TickList[str]:
        return self.query_one(TickList)

    def action_cursor_down(self) -> None:
        self.options.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.options.action_cursor_up()

    def action_toggle_all(self) -> None:
        options = self.options
        if len(options.selected) == options.option_count:
            options.deselect_all()
        else:
            options.select_all()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        chosen = self.options.selected
        if not chosen:
            self.notify("Nothing ticked: space ticks a run, a ticks them all.", timeout=3)
            return
        self.dismiss([o.run.info.run_id for o in self.orphaned if o.run.info.run_id in chosen])
