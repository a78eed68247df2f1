"""The line under the filter that says what the store had to do to answer a search (a
page's `note`, e.g. that tuitrack evaluated part of the filter itself after reading every
run an MLflow server sent); hidden when there is nothing to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class SearchNote(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.note: str | None = None

    def show(self, note: str | None) -> None:
        if note == self.note:
            return  # unchanged: restyling the screen for nothing costs a frame
        self.note = note
        self.set_class(bool(note), "-shown")
        self.update(Text(f"ⓘ {note}") if note else "")
