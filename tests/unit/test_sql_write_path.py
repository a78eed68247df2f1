"""The SQL store's metric write path as a model: its modules import without a cycle, and a
block summary survives its metric_blocks row."""

from __future__ import annotations

import ast
import gc
import math
from pathlib import Path

import pytest

import tuitrack_sql
from tuitrack.core import registry
from tuitrack_sql.blocks import BlockSummary, block_from_row, block_row, series_blocks
from tuitrack_sql.floats import NAN
from tuitrack_sql.points import checked_columns
from tuitrack_sql.schema import metric_blocks
from tuitrack_sql.series import Series

PACKAGE = Path(tuitrack_sql.__file__).parent
SERIES = Series(series_id=7, run_uuid="a" * 32, key="loss")


def _imports(path: Path) -> set[str]:
    """The tuitrack_sql modules a module imports, under TYPE_CHECKING too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tuitrack_sql":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("tuitrack_sql."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tuitrack_sql."):
                    found.add(alias.name.split(".")[1])
    return found


def test_the_sql_modules_import_each_other_without_a_cycle() -> None:
    graph = {path.stem: _imports(path) for path in PACKAGE.glob("*.py")}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if module in done or module not in graph:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def _summaries(values: list[float], steps: list[int]) -> dict[int, BlockSummary]:
    columns = checked_columns(["loss"] * len(values), values, list(range(len(values))), steps)
    assert columns is not None
    (points,) = columns.per_series({"loss": SERIES})
    return series_blocks(points).blocks


@pytest.mark.parametrize(
    ("values", "steps"),
    [
        ([0.5, 0.25, 2.0, 1.0], [1, 2, 3, 300]),  # finite, rising steps, two blocks
        ([0.5, math.nan, math.inf, -math.inf], [3, 1, 2, 2]),  # every special value
        ([1.0, 1.0, math.nan], [5, 5, 4]),  # ties, one NaN
        ([math.nan], [0]),  # only a NaN: no lowest or highest point
    ],
)
def test_a_block_summary_survives_its_row(values: list[float], steps: list[int]) -> None:
    blocks = _summaries(values, steps)
    assert blocks
    for block, summary in blocks.items():
        row = block_row(SERIES, block, summary)
        assert set(row) == {column.name for column in metric_blocks.c}
        assert (row["run_uuid"], row["key"], row["block"]) == (SERIES.run_uuid, "loss", block)
        assert block_from_row(row) == summary


def test_a_block_summary_names_its_points() -> None:
    (summary,) = _summaries([0.5, math.nan, 3.0, 0.5], [4, 2, 2, 1]).values()
    assert (summary.points, summary.nans, summary.next_seq) == (4, 1, 4)
    # (step, timestamp): timestamps count from 0 in logging order, which is also the seq.
    assert (summary.first.step, summary.first.seq) == (1, 3)
    assert (summary.last.step, summary.last.seq) == (4, 0)
    assert summary.min is not None
    assert (summary.min.value, summary.min.step) == (0.5, 1)  # ties go to the earliest
    assert summary.max is not None
    assert (summary.max.value, summary.max.seq) == (3.0, 2)
    assert summary.nan is not None
    assert (summary.nan.kind, summary.nan.value, summary.nan.seq) == (NAN, None, 1)


def test_writing_columns_leaves_the_collector_idle(tmp_path: Path) -> None:
    """The rows of a 60,000-point write go to SQLite's executemany as they are made: a list
    of them, every tuple tracked by the collector, set off ~90 collections in the program
    that logs (the SDK's writer thread runs in the user's process, collector untouched)."""
    store = registry.get_tracking_store(f"sqlite:///{tmp_path / 'db'}", str(tmp_path / "a"))
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    try:
        run_id = store.create_run(store.create_experiment("gc")).info.run_id
        count = 60_000
        columns = (["m"] * count, [i / 3 for i in range(count)], [1] * count, list(range(count)))
        assert gc.isenabled()
        gc.callbacks.append(note)
        try:
            store.log_metric_columns(run_id, *columns)
        finally:
            gc.callbacks.remove(note)
        assert len(started) <= 10
        history = store.get_metric_history(run_id, "m")
        assert len(history) == count
        assert history[-1].value == (count - 1) / 3
    finally:
        store.close()
