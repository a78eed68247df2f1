"""What the runs screen's title line says, and how it is fitted to the terminal's width."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.markup import escape
from rich.text import Text

from tuitrack.tui.formatting import CRUMB, truncate
from tuitrack.tui.run_pages import HeldWindow

TITLE_SEPARATOR = "  ·  "
NARROW_SEPARATOR = " · "
MIN_PLACE_WIDTH = 8


@dataclass(frozen=True)
class SortOrder:
    """The column the listing is sorted by: its key, its label as shown, and the way."""

    key: str
    label: str
    ascending: bool


@dataclass(frozen=True)
class Listed:
    """How many runs the table holds, and where they lie in the listing."""

    loaded: int = 0
    window: HeldWindow = field(default_factory=HeldWindow)

    def count_text(self, total: int | None) -> str:
        """`12 runs`, `50+ runs` (more to read), `50 of 1,000 runs`, `101-150 of 1,000 runs`."""
        loaded = self.loaded
        where = None if total is None else self.window.rows(total)
        if where is not None:  # a window far from the top
            return f"{where[0]:,}-{where[1]:,} of {total:,} runs"
        if total is None:
            more = self.window.more
            shown = f"{loaded:,}{'+' if more else ''}"
            return f"{shown} run{'s' if loaded != 1 or more else ''}"
        if loaded < total:
            return f"{loaded:,} of {total:,} runs"
        return f"{total:,} run{'s' if total != 1 else ''}"


@dataclass(frozen=True)
class RunsTitle:
    """The title's parts, most telling first: what narrows the rows comes right after the
    count, so a narrow terminal cuts the sort and live parts first."""

    place: str
    count: str
    statuses: str = ""
    filtered: bool = False
    orphaned: int = 0
    marked: int = 0
    sort: SortOrder | None = None
    live: str = ""
    """`live 2s`, `paused`, or empty when live refresh is off."""

    def parts(self, no_color: bool) -> list[str]:
        """Each part as markup."""
        parts = [self.count]
        if self.statuses:
            parts.append(f"status {self.statuses}")
        if self.filtered:
            parts.append("filtered")
        if self.orphaned:
            # Without colour, magenta is a grey that a 16-colour terminal draws as the bar's.
            style = "b" if no_color else "b magenta"
            parts.append(f"[{style}]{self.orphaned} orphaned[/]")
        if self.marked:
            parts.append(f"[b]{self.marked} marked[/b]")
        if self.sort is not None:
            arrow = "▲" if self.sort.ascending else "▼"
            parts.append(f"sort {escape(self.sort.label)} {arrow}")
        if self.live == "paused":
            parts.append("[reverse] paused [/reverse]")
        elif self.live:
            parts.append(self.live)
        return parts

    def markup(self, width: int, no_color: bool) -> str:
        return fitted_title(self.place, self.parts(no_color), width)


def fitted_title(place: str, parts: list[str], width: int) -> str:
    """The crumb to `place` and the parts (markup), fitted to `width` cells when it can be:
    narrower separators first, then the place name cut short."""

    def join(name: str, separator: str) -> str:
        return separator.join([f"[b]tuitrack[/b] {CRUMB} {escape(name)}", *parts])

    title = join(place, TITLE_SEPARATOR)
    if width <= 0 or Text.from_markup(title).cell_len <= width:
        return title
    title = join(place, NARROW_SEPARATOR)
    over = Text.from_markup(title).cell_len - width
    if over <= 0:
        return title
    return join(truncate(place, max(len(place) - over, MIN_PLACE_WIDTH)), NARROW_SEPARATOR)
