"""Tables of the listing commands: fitted to the terminal's width, or tab-separated in a pipe.

Each column says how it gives way when the terminal is narrow. In order: columns with a
shorter form switch to it (dates); metric headers, and the columns that may be dropped,
shrink, the widest first; then the least important droppable column goes and the fit starts
over; only when nothing is left to drop do values shrink (a long value wraps, a name loses
its middle). Names are shortened in the middle, so that `train/loss` and `val/loss` stay
told apart by the ends they keep.

Rendering pads precomputed widths: 10,000 rows print in a fraction of a second, where a rich
Table lays out each cell and takes seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tuitrack.errors import InvalidValueError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions

Cell = str | Text
"""A Text cell keeps its own style (one style for the whole cell)."""
Give = Literal["fixed", "header", "middle", "start", "wrap"]
"""fixed: never narrower; header: only the header shortens, down to the widest value;
middle: names lose their middle (kept distinct); start: paths lose their start;
wrap: the value folds onto more lines."""

GAP = 2
ELLIPSIS = "…"
MIN_HEADER = 5
HEADER_STYLE = Style(bold=True)
NAME_SEPARATORS = "/._-: "


@dataclass(eq=False)
class Column:
    name: str
    """What `--columns` calls it; the header of the tab-separated form."""
    header: str
    cells: Sequence[Cell]
    compact: Sequence[Cell] | None = None
    """Shorter cells, used when the table does not fit with the full ones."""
    full: Sequence[str] | None = None
    """The whole values (a full run id): `--wide` and tab-separated output use them."""
    tsv: Sequence[str] | None = None
    """Values for tab-separated output, when they differ from `full` (a bare status)."""
    right: bool = False
    give: Give = "fixed"
    min_width: int = 8
    drop_rank: int | None = None
    """Columns with a rank may be dropped to make room, the lowest rank first."""
    _natural: dict[bool, int] = field(default_factory=dict, init=False, repr=False)

    def shown_cells(self, compact: bool) -> Sequence[Cell]:
        return self.compact if compact and self.compact is not None else self.cells

    def natural(self, compact: bool) -> int:
        if compact not in self._natural:
            cells = self.shown_cells(compact)
            widest = max((cell_len(_plain(cell)) for cell in cells), default=0)
            self._natural[compact] = max(widest, cell_len(self.header))
        return self._natural[compact]

    def narrowest(self, compact: bool) -> int:
        natural = self.natural(compact)
        if self.give == "fixed":
            return natural
        if self.give == "header":
            widest = max((cell_len(_plain(cell)) for cell in self.shown_cells(compact)), default=0)
            return min(natural, max(widest, MIN_HEADER))
        return min(natural, self.min_width)

    def exact(self) -> Sequence[str]:
        return self.tsv or self.full or [_plain(cell) for cell in self.cells]


@dataclass(frozen=True)
class Placed:
    column: Column
    width: int
    compact: bool


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def fit(columns: Sequence[Column], width: int) -> list[Placed]:
    """The columns that fit in `width` cells, with the width each gets (see the module)."""
    shown = list(columns)
    while True:
        placed = _squeeze(shown, width, final=False)
        if placed is not None:
            return placed
        droppable = [column for column in shown if column.drop_rank is not None]
        if not droppable:
            return _squeeze(shown, width, final=True) or _narrowest(shown)
        shown.remove(min(droppable, key=lambda column: column.drop_rank or 0))


def _narrowest(shown: Sequence[Column]) -> list[Placed]:
    return [Placed(column, column.narrowest(True), True) for column in shown]


def _squeeze(shown: Sequence[Column], width: int, final: bool) -> list[Placed] | None:
    budget = width - GAP * (len(shown) - 1)
    for compact in (False, True):
        widths = {column: column.natural(compact) for column in shown}
        if sum(widths.values()) <= budget:
            return [Placed(column, widths[column], compact) for column in shown]
    stages: list[Sequence[Column]] = [
        [c for c in shown if c.give == "header" or c.drop_rank is not None]
    ]
    if final:
        stages += [[c for c in shown if c.give == "wrap"], shown]
    for stage in stages:
        _shrink_widest_first(widths, stage, budget)
    if sum(widths.values()) > budget:
        return None
    return [Placed(column, widths[column], True) for column in shown]


def _shrink_widest_first(widths: dict[Column, int], columns: Sequence[Column], budget: int) -> None:
    excess = sum(widths.values()) - budget
    while excess > 0:
        candidates = [c for c in columns if widths[c] > c.narrowest(True)]
        if not candidates:
            return
        # Among equals, the one already shortened most: names still whole stay whole.
        widest = max(candidates, key=lambda column: (widths[column], column.natural(True)))
        widths[widest] -= 1
        excess -= 1


# --- shortening ---------------------------------------------------------------------------


def abbreviate(name: str, width: int, head: int = 1) -> str:
    """`name` in `width` cells, its middle replaced by `…`: `head` characters of its start
    and as much of its end as fits, the end starting at a separator when one is near
    (`train/loss` in 8 cells: `tr…/loss`)."""
    if cell_len(name) <= width:
        return name
    if width <= 1:
        return ELLIPSIS[:width]
    keep = width - 1
    head = min(head, keep)
    tail = name[len(name) - (keep - head) :] if keep > head else ""
    cut = next((i for i, char in enumerate(tail) if char in NAME_SEPARATORS), -1)
    if cut > 0:
        tail = tail[cut:]
        head = keep - len(tail)
    return set_cell_size(name[:head], head) + ELLIPSIS + tail


def abbreviate_distinct(names: Sequence[str], widths: Sequence[int]) -> list[str]:
    """Each name in its width, with more of their starts kept where two would read the same
    (and the names differ)."""
    heads = [1] * len(names)
    shown = [abbreviate(name, width) for name, width in zip(names, widths, strict=True)]
    for _ in range(max(widths, default=0)):
        seen: dict[str, set[str]] = {}
        for name, short in zip(names, shown, strict=True):
            seen.setdefault(short, set()).add(name)
        clashing = [
            index
            for index, short in enumerate(shown)
            if len(seen[short]) > 1 and short != names[index] and heads[index] < widths[index] - 1
        ]
        if not clashing:
            break
        for index in clashing:
            heads[index] += 1
            shown[index] = abbreviate(names[index], widths[index], heads[index])
    return shown


def _shorten_start(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return ELLIPSIS + text[len(text) - (width - 1) :] if width > 1 else ELLIPSIS[:width]


# --- the renderable -----------------------------------------------------------------------


class FittedTable:
    """A rich renderable: the columns fitted to the console's width when printed.

    `wide` shows every column in full, whatever the width.
    """

    def __init__(self, columns: Sequence[Column], *, wide: bool = False, title: str = "") -> None:
        self.columns = list(columns)
        self.wide = wide
        self.title = title

    def layout(self, width: int) -> list[Placed]:
        if self.wide:
            return [Placed(c, _full_width(c), False) for c in self.columns]
        return fit(self.columns, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        placed = self.layout(options.max_width)
        if self.title:
            yield Segment(self.title, Style(italic=True))
            yield Segment.line()
        yield from _line(_headers(placed), placed)
        shown = [_Shown(console, p, self.wide) for p in placed]
        rows = len(self.columns[0].cells) if self.columns else 0
        for index in range(rows):
            cells = [column.lines(index) for column in shown]
            for line in range(max(len(lines) for lines in cells)):
                yield from _line(
                    [lines[line] if line < len(lines) else _BLANK for lines in cells], placed
                )


_Piece = tuple[str, Style | None, int]
"""A cell's text on one line, fitted to its column: text, style, width in cells."""
_BLANK: _Piece = ("", None, 0)


class _Shown:
    """One placed column's cells as printed: shortened or wrapped to its width."""

    def __init__(self, console: Console, placed: Placed, wide: bool) -> None:
        self.console = console
        self.placed = placed
        column = placed.column
        cells = column.shown_cells(placed.compact)
        self.cells = column.full if wide and column.full is not None else cells
        self._distinct: list[str] | None = None

    def lines(self, index: int) -> list[_Piece]:
        cell = self.cells[index]
        plain, style = (cell.plain, _style(cell.style)) if isinstance(cell, Text) else (cell, None)
        width = self.placed.width
        length = cell_len(plain)
        if length <= width:
            return [(plain, style, length)]
        give = self.placed.column.give
        if give == "wrap":
            lines = Text(plain).wrap(self.console, width, overflow="fold")
            return [(line.plain, style, cell_len(line.plain)) for line in lines]
        if give == "start":
            short = _shorten_start(plain, width)
        else:
            if self._distinct is None:
                names = [_plain(cell) for cell in self.cells]
                self._distinct = abbreviate_distinct(names, [width] * len(names))
            short = self._distinct[index]
        return [(short, style, cell_len(short))]


def _style(style: str | Style) -> Style | None:
    return (Style.parse(style) if isinstance(style, str) else style) or None


def _full_width(column: Column) -> int:
    values = column.full if column.full is not None else [_plain(c) for c in column.cells]
    return max([cell_len(column.header), *(cell_len(v) for v in values)])


def _headers(placed: Sequence[Placed]) -> list[_Piece]:
    """Headers in their widths, bold; metric names shortened together, so they stay distinct."""
    shortened = [p for p in placed if p.column.give in ("header", "middle")]
    short = abbreviate_distinct([p.column.header for p in shortened], [p.width for p in shortened])
    by_column = dict(zip((p.column for p in shortened), short, strict=True))
    headers: list[_Piece] = []
    for p in placed:
        header = p.column.header
        if p.column in by_column:
            header = by_column[p.column]
        elif p.column.give == "start":
            header = _shorten_start(header, p.width)
        else:
            header = abbreviate(header, p.width)
        headers.append((header, HEADER_STYLE, cell_len(header)))
    return headers


def _line(parts: Sequence[_Piece], placed: Sequence[Placed]) -> Iterator[Segment]:
    last = len(placed) - 1
    for position, ((text, style, length), p) in enumerate(zip(parts, placed, strict=True)):
        if position:
            yield Segment(" " * GAP)
        padding = " " * max(p.width - length, 0)
        if padding and p.column.right:
            yield Segment(padding)
        yield Segment(text, style)
        if padding and not p.column.right and position < last:
            yield Segment(padding)
    yield Segment.line()


# --- choosing columns and printing -------------------------------------------------------


def choose(available: Sequence[Column], names: str, extra_help: str = "") -> list[Column]:
    """The columns named in a `--columns` value (comma-separated), in that order."""
    by_name = {column.name: column for column in available}
    chosen = []
    for name in (part.strip() for part in names.split(",")):
        if not name:
            continue
        if name not in by_name:
            known = ", ".join(by_name)
            raise InvalidValueError(
                f"--columns: no column {name!r}; choose from {known}{extra_help}"
            )
        chosen.append(by_name[name])
    if not chosen:
        raise InvalidValueError("--columns needs at least one column name")
    return [replace(column, drop_rank=None) for column in chosen]


def write_tsv(columns: Sequence[Column], out: IO[str]) -> None:
    """A header line of column names, then one line per row, tab-separated (quoted only
    where a value holds a tab, a newline or a quote)."""
    writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
    writer.writerow([column.name for column in columns])
    writer.writerows(zip(*(column.exact() for column in columns), strict=True))
