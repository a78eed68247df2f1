"""The runs table's model: its columns, the runs held as rows (children nested under their
parents, folded or open) and each row's cells as rich text. No Textual here: the widget
(tuitrack/tui/widgets/runs_table.py) draws what this holds."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace

from rich.text import Text

from tuitrack.core.orphans import Orphan
from tuitrack.entities import Run, RunStatus
from tuitrack.tui.formatting import (
    format_duration,
    format_metric,
    format_timestamp_short,
    run_duration_ms,
    truncate,
)
from tuitrack.tui.queries import ColumnChoice, order_clause
from tuitrack.tui.status import shown_status, status_glyph

NAME_WIDTH = 28
VALUE_WIDTH = 14
MARK = Text("▌", style="bold yellow")


@dataclass(frozen=True)
class RunColumn:
    key: str
    label: str
    kind: str
    """`attributes`, `params`, `metrics`, or `derived` (shown, not sortable)."""
    field: str

    @property
    def sortable(self) -> bool:
        return self.kind != "derived"

    def order_by(self, ascending: bool) -> str:
        return order_clause(self.kind, self.field, ascending)


MARK_COLUMN = RunColumn("mark", " ", "derived", "mark")
STATUS_COLUMN = RunColumn("status", " ", "attributes", "status")
NAME_COLUMN = RunColumn("name", "Name", "attributes", "run_name")
FIXED_COLUMNS = (
    MARK_COLUMN,
    STATUS_COLUMN,
    NAME_COLUMN,
    RunColumn("start", "Start", "attributes", "start_time"),
    RunColumn("duration", "Duration", "derived", "duration"),
    RunColumn("user", "User", "attributes", "user_id"),
)
PINNED = 3
"""The first columns (mark, status, name) do not scroll sideways."""
EXPERIMENT_COLUMN = RunColumn("experiment", "Experiment", "attributes", "experiment_id")


def data_columns(choice: ColumnChoice) -> list[RunColumn]:
    return [RunColumn(f"param:{k}", k, "params", k) for k in choice.params] + [
        RunColumn(f"metric:{k}", k, "metrics", k) for k in choice.metrics
    ]


def shown_columns(choice: ColumnChoice, show_experiment: bool = False) -> list[RunColumn]:
    """The fixed columns (and the experiment's, over several), then the chosen data."""
    fixed = list(FIXED_COLUMNS) + ([EXPERIMENT_COLUMN] if show_experiment else [])
    return fixed + data_columns(choice)


@dataclass(frozen=True)
class TreeRow:
    run: Run
    depth: int
    children: int
    last_child: bool = False
    orphan_child: bool = False
    """Its parent run is not among the loaded runs."""


def tree_rows(runs: Sequence[Run], expanded: Collection[str]) -> Iterator[TreeRow]:
    """Runs in the given order, each loaded child right under its parent when that parent is
    in `expanded` (parents start folded)."""
    loaded = {run.info.run_id for run in runs}
    children: dict[str, list[Run]] = {}
    roots: list[Run] = []
    for run in runs:
        parent = run.info.parent_run_id
        if parent and parent in loaded and parent != run.info.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)

    def walk(run: Run, depth: int, last: bool, seen: frozenset[str]) -> Iterator[TreeRow]:
        run_id = run.info.run_id
        kids = children.get(run_id, [])
        orphan = depth == 0 and bool(run.info.parent_run_id)
        yield TreeRow(run, depth, len(kids), last, orphan)
        if run_id not in expanded or run_id in seen:
            return
        for index, kid in enumerate(kids):
            yield from walk(kid, depth + 1, index == len(kids) - 1, seen | {run_id})

    for root in roots:
        if root.info.run_id in children:
            yield from walk(root, 0, False, frozenset())
        else:  # the common case, kept cheap for big flat lists
            yield TreeRow(root, 0, 0, False, bool(root.info.parent_run_id))


class RunRows:
    """The runs held (the pages loaded around the cursor) and their rows, top to bottom.

    Parents start folded; `expanded` holds the open ones. `orphans` is the verdict on the
    runs held that lost their process."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.rows: list[TreeRow] = []
        self.index: dict[str, int] = {}
        """Each run's row, by run id (a folded child has none)."""
        self.expanded: set[str] = set()
        self.orphans: dict[str, Orphan] = {}
        self.parents: set[str] = set()
        self.loaded: set[str] = set()
        """The ids of `runs`, kept as pages arrive (a page's cost must not grow with them)."""

    def key_at(self, index: int) -> str:
        return self.rows[index].run.info.run_id

    def running_run_ids(self) -> list[str]:
        return [r.info.run_id for r in self.runs if r.info.status is RunStatus.RUNNING]

    def build(self) -> None:
        """Rows from the runs held."""
        self.rows = list(tree_rows(self.runs, self.expanded))
        self.index = {row.run.info.run_id: index for index, row in enumerate(self.rows)}

    def hold(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None = None) -> None:
        """Hold `runs` instead of the runs held, with the orphan verdicts on them when given
        (else those kept on the runs still held), and build their rows."""
        self.runs = list(runs)
        self.loaded = {run.info.run_id for run in self.runs}
        self.parents = {r.info.parent_run_id for r in self.runs if r.info.parent_run_id}
        if orphans is not None:
            self.orphans = dict(orphans)
        else:
            self.orphans = {k: v for k, v in self.orphans.items() if k in self.loaded}
        self.build()

    def new_runs(self, runs: Sequence[Run], orphans: dict[str, Orphan] | None) -> list[Run]:
        """The runs of a page not held already (a page read again after runs moved); the
        orphan verdicts are kept."""
        self.orphans.update(orphans or {})
        return [run for run in runs if run.info.run_id not in self.loaded]

    def append(self, runs: list[Run]) -> bool:
        """Add new runs after those held; only their rows are built unless one nests.
        Returns whether every row was built again (one nests)."""
        new_ids = {run.info.run_id for run in runs}
        nests = any(r.info.parent_run_id in self.loaded for r in runs)
        nests = nests or bool(new_ids & self.parents)
        self.runs.extend(runs)
        self.loaded |= new_ids
        self.parents.update(r.info.parent_run_id for r in runs if r.info.parent_run_id)
        if nests:
            self.build()
            return True
        start = len(self.rows)
        self.rows.extend(tree_rows(runs, self.expanded))
        for index in range(start, len(self.rows)):
            self.index[self.rows[index].run.info.run_id] = index
        return False

    def update(self, updated: Sequence[Run], orphans: dict[str, Orphan]) -> list[str]:
        """Replace these runs' data (live refresh); `orphans` is the verdict on each of them.
        Returns their ids."""
        by_id = {run.info.run_id: run for run in updated}
        self.runs = [by_id.get(run.info.run_id, run) for run in self.runs]
        for run_id in by_id:
            self.orphans.pop(run_id, None)
        self.orphans.update(orphans)
        for run_id, run in by_id.items():
            index = self.index.get(run_id)
            if index is not None:
                self.rows[index] = replace(self.rows[index], run=run)
        return list(by_id)

    def fold_target(self, run: Run) -> str:
        """The run whose children a fold at `run` opens or closes: itself, or its parent."""
        target = run.info.run_id
        if target not in self.parents and run.info.parent_run_id in self.index:
            target = run.info.parent_run_id or target
        return target


def header_cell(column: RunColumn, sort_key: str | None, ascending: bool) -> Text:
    label = Text(
        truncate(column.label, VALUE_WIDTH)
        if column.kind in ("params", "metrics")
        else column.label
    )
    if column.kind == "params":
        label.stylize("italic")
    if column.key == sort_key:
        label.append(" ▲" if ascending else " ▼", style="bold")
    return label


def name_cell(row: TreeRow, expanded: Collection[str]) -> Text:
    # The first part's style is the whole cell's: children dim, parents bold.
    name = truncate(row.run.info.run_name or row.run.info.run_id[:8], NAME_WIDTH)
    if row.depth:
        branch = "└ " if row.last_child else "├ "
        text = Text("  " * (row.depth - 1) + branch, style="dim")
    elif row.children:
        text = Text(style="bold")
    elif row.orphan_child:
        return Text("↳ ", style="dim") + Text(name)
    else:
        return Text(name)
    if row.children:  # a parent at any depth shows whether it is open, and how many
        text.append("▾ " if row.run.info.run_id in expanded else "▸ ", style="bold")
        text.append(name)
        text.append(f" ({row.children})", style="dim")
    else:
        text.append(name)
    return text


@dataclass(frozen=True)
class CellContext:
    """What a row's cells show besides its run: marks, orphans, folds, experiment names."""

    marked: Collection[str]
    orphans: dict[str, Orphan]
    expanded: Collection[str]
    experiment_names: dict[str, str]
    now: int


def row_cells(row: TreeRow, columns: Sequence[RunColumn], context: CellContext) -> list[Text]:
    info, data = row.run.info, row.run.data
    cells: list[Text] = []
    for column in columns:
        key = column.key
        if key == "mark":
            cells.append(MARK if info.run_id in context.marked else Text(" "))
        elif key == "status":
            cells.append(status_glyph(shown_status(info, context.orphans.get(info.run_id))))
        elif key == "name":
            cells.append(name_cell(row, context.expanded))
        elif key == "start":
            cells.append(Text(format_timestamp_short(info.start_time)))
        elif key == "duration":
            orphan = context.orphans.get(info.run_id)
            duration = format_duration(run_duration_ms(info, context.now, orphan))
            cells.append(Text(duration, justify="right"))
        elif key == "user":
            cells.append(Text(truncate(info.user_id or "", 12)))
        elif key == "experiment":
            name = context.experiment_names.get(info.experiment_id, info.experiment_id)
            cells.append(Text(truncate(name, 20)))
        elif column.kind == "params":
            cells.append(Text(truncate(data.params.get(column.field, ""), VALUE_WIDTH)))
        else:
            value = data.metrics.get(column.field)
            cells.append(Text(format_metric(value), justify="right"))
    return cells
