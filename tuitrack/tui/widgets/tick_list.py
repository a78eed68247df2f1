"""A SelectionList whose boxes read without colour: `[x]` ticked, `[ ]` not.

Textual's own box is `▐X▌` either way, ticked and unticked told apart only by colour, which
a monochrome terminal (NO_COLOR, or a 16-colour theme close to the background) loses.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType

TICKED = "[x]"
UNTICKED = "[ ]"
BOX_WIDTH = len(Checkbox.BUTTON_LEFT + Checkbox.BUTTON_INNER + Checkbox.BUTTON_RIGHT)
"""Cells of the box SelectionList draws, which the marks replace (both are 3 wide)."""


class TickList(SelectionList[SelectionType]):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tick-list--ticked", "tick-list--unticked"}

    DEFAULT_CSS = """
    TickList {
        & > .tick-list--ticked {
            color: $text-success;
            text-style: bold;
        }
        & > .tick-list--unticked {
            color: $text-muted;
        }
    }
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line  # below the last option: no box was drawn
        ticked = selection.value in self.selected
        rest = line.crop(BOX_WIDTH, line.cell_length)
        under = next(iter(rest)).style if rest.cell_length else None
        mark = self.get_component_rich_style(
            "tick-list--ticked" if ticked else "tick-list--unticked"
        )
        if under is not None:  # the row's background, highlighted or not
            mark += Style(bgcolor=under.bgcolor)
        mark += Style(meta={"option": index})  # a click on the mark toggles its option
        return Strip([Segment(TICKED if ticked else UNTICKED, mark), *rest])
