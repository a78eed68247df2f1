"""`?`: every key binding active on the screen below, with its description and id."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from tuitrack.tui.widgets.key_table import KeyTable


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(keys, description, id) for each binding reachable from `screen`'s focused widget."""
    rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    # The screen's own keys first, then the focused widget's, then the app's.
    rank = {screen: 0, screen.app: 2}
    ordered = sorted(screen.active_bindings.items(), key=lambda item: rank.get(item[1].node, 1))
    for key, active in ordered:
        binding = active.binding
        if binding.system or not binding.description:
            continue
        ident = binding.id or ""
        display = screen.app.get_key_display(binding.with_key(key))
        slot = (binding.description, ident)
        if slot in rows:
            previous_keys = rows[slot][0]
            rows[slot] = (f"{previous_keys}, {display}", binding.description, ident)
        else:
            rows[slot] = (display, binding.description, ident)
    return list(rows.values())


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, below: Screen[Any]) -> None:
        super().__init__()
        self.rows = binding_rows(below)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Keys  (remap by id in keys.toml; Esc closes)", classes="dialog-title")
            yield KeyTable(id="help-table")

    def on_mount(self) -> None:
        table = self.query_one(KeyTable)
        table.add_column("Key", key="key")
        table.add_column("Does", key="does")
        table.add_column("Id", key="id")
        for keys, description, ident in self.rows:
            table.add_row(Text(keys, style="bold"), Text(description), Text(ident, style="dim"))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
