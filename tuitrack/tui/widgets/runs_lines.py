"""The runs table's drawn lines, kept between frames so scrolling redraws almost nothing.

Three stages, each cached: a row's cells (rich text), the row drawn across every column
(a strip before scrolling and row styles), and the finished line as shown (cropped
sideways, in the row's style). Styles are kept too: each row kind's, each cell style
combined with it, and each style named in the cells, parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

PADDING = 1
"""Blank cells on each side of every cell."""
LINES_KEPT = 2_000
"""Finished lines kept for redrawing; past this many the cache starts over."""
ROW_KINDS = ("cursor", "even", "odd")


class RunLines:
    def __init__(self) -> None:
        self.widths: dict[str, int] = {}
        """Each column's width, grown to fit the cells drawn so far."""
        self.cells: dict[str, list[Text]] = {}
        self.strips: dict[str, Strip] = {}
        """Each drawn row across every column, before scrolling and row styles."""
        self.lines: dict[tuple[str, str], Strip] = {}
        """Finished lines by (row key, style), for the current sideways scroll and width."""
        self._view = (0, 0)
        self.row_styles: dict[str, Style] = {}
        self._combined: dict[tuple[str, Style | None], Style] = {}
        self._parsed: dict[str, Style] = {}

    def forget_run(self, run_id: str) -> None:
        self.cells.pop(run_id, None)
        self.strips.pop(run_id, None)
        for kind in ROW_KINDS:
            self.lines.pop((run_id, kind), None)

    def forget_drawn(self) -> None:
        self.cells.clear()
        self.strips.clear()
        self.lines.clear()

    def forget_strips(self) -> None:
        """A column grew: every row is drawn again, from the cells kept."""
        self.strips.clear()
        self.lines.clear()

    def forget_styles(self) -> None:
        """Focus, theme or CSS changed: the row styles and every finished line are stale."""
        self.row_styles.clear()
        self._combined.clear()
        self.lines.clear()

    def use_view(self, scroll_x: int, width: int) -> None:
        """Finished lines fit one sideways scroll and width: forget them when either moved
        (or when too many are kept)."""
        view = (scroll_x, width)
        if view != self._view or len(self.lines) > LINES_KEPT:
            self.lines.clear()
            self._view = view

    def row_style(self, kind: str, make: Callable[[str], Style]) -> Style:
        """A row kind's style, worked out once per style change instead of once per line."""
        style = self.row_styles.get(kind)
        if style is None:
            style = self.row_styles[kind] = make(kind)
        return style

    def strip(self, cells: Sequence[Text], widths: Sequence[int], console: Console) -> Strip:
        """One row (or the header) across every column, before scrolling and row styles."""
        segments: list[Segment] = []
        pad = Segment(" " * PADDING)
        for width, cell in zip(widths, cells, strict=True):
            segments.append(pad)
            plain = cell.plain
            if not cell.spans and len(plain) == cell.cell_len <= width:
                # Most cells: one style, no wide characters, no cropping. Text.render would
                # also leave out the base style of a text without spans.
                gap = " " * (width - len(plain))
                shown = gap + plain if cell.justify == "right" else plain + gap
                segments.append(Segment(shown, self._style(cell.style, console)))
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
                    segments.append(Segment(text.plain, self._style(text.style, console)))
            segments.append(pad)
        return Strip(segments, sum(widths) + 2 * PADDING * len(widths))

    def _style(self, style: str | Style, console: Console) -> Style | None:
        if not style:
            return None
        if isinstance(style, Style):
            return style
        parsed = self._parsed.get(style)
        if parsed is None:
            parsed = self._parsed[style] = console.get_style(style)
        return parsed

    def in_view(
        self,
        strip: Strip,
        kind: str,
        row_style: Style,
        *,
        width: int,
        pinned: int,
        scroll_x: int,
        colourless: bool,
    ) -> Strip:
        """Crop sideways (the first `pinned` cells stay), fill `width`, apply the row style;
        each cell's own style is combined with it once and remembered. `colourless`: the
        cells keep only the row's colours."""
        start = pinned + scroll_x
        if start == pinned and strip.cell_length <= width:
            shown: Iterable[Segment] = strip
            length = strip.cell_length
        else:
            left = strip.crop(0, pinned)
            right = strip.crop(start, start + max(width - pinned, 0))
            shown = [*left, *right]
            length = left.cell_length + right.cell_length
        combined = self._combined
        segments = []
        for text, style, _control in shown:
            both = combined.get((kind, style))
            if both is None:
                own = style.without_color if style and colourless else style
                both = combined[(kind, style)] = row_style + own if own else row_style
            segments.append(Segment(text, both))
        line = Strip(segments, length)
        if length != width:
            line = line.adjust_cell_length(width, row_style)
        return line
