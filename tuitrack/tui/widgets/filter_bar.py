"""The `/` filter bar: a one-line input with its parse error shown on the line beneath it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static


class FilterBar(Vertical):
    """Hidden until opened; Enter applies, Esc closes (the applied filter stays)."""

    BINDINGS = [
        Binding("escape", "close", "Close filter", id="filter.close"),
    ]

    class Applied(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Closed(Message):
        pass

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-line"):
            yield Label("/", id="filter-prompt")
            yield Input(placeholder=self._placeholder, id="filter-input", select_on_focus=False)
        yield Static("", id="filter-error")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    @property
    def value(self) -> str:
        return self.input.value

    def open(self) -> None:
        self.add_class("-open")
        self.input.focus()

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed())

    def show_error(self, message: str) -> None:
        """Keep the bar open and say what is wrong, until the next successful apply."""
        self.add_class("-open", "-error")
        self.query_one("#filter-error", Static).update(message)
        self.input.focus()

    def clear_error(self) -> None:
        if self.has_class("-error"):  # restyling the bar for nothing costs a frame
            self.remove_class("-error")
            self.query_one("#filter-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Applied(event.value.strip()))
