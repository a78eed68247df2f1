"""What the runs table draws: sideways steps end on whole columns however the rows came and
went, and a parent at any depth shows its fold marker."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import make_app
from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.widgets.runs_table import RunsTable


def _line(table: RunsTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


def _words_after_name(table: RunsTable, y: int, name: str) -> list[str]:
    words = _line(table, y).split()
    return words[words.index(name) + 1 :]


async def _press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_sideways_steps_show_whole_columns_after_the_rows_change(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    # 10 lines: the 8 runs need a vertical scrollbar, the one failed run does not.
    async with app.run_test(size=(80, 10)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        await _press(pilot, "3")
        assert len(table.runs) == 1
        await _press(pilot, "0")  # the scrollbar comes back with the rows
        assert len(table.runs) == 8
        await _press(pilot, *"l" * 15)
        assert table.scroll_x > 0
        labels = {column.label for column in table.columns_shown}
        header = _words_after_name(table, 0, "Name")
        assert header[0] in labels, _line(table, 0)
        assert set(header[:-1]) <= labels  # the last one may be cut at the right edge
        run_id = table.row_key_at(0)
        cells = {table.get_cell(run_id, column.key).plain for column in table.columns_shown}
        row = _words_after_name(table, 1, table.runs[0].info.run_name or "")
        assert row[0] in cells, _line(table, 1)


async def test_a_nested_parent_shows_its_fold_marker_and_opens(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("nested")
    start = 1_700_000_000_000
    parent = empty_client.create_run(experiment, run_name="parent", start_time=start)
    child = empty_client.create_run(
        experiment, run_name="child", start_time=start + 1, parent_run_id=parent.info.run_id
    )
    grandchild = empty_client.create_run(
        experiment, run_name="grandchild", start_time=start + 2, parent_run_id=child.info.run_id
    )
    app = make_app(empty_client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "nested")
        assert table.row_keys() == [parent.info.run_id]
        assert table.get_cell(parent.info.run_id, "name").plain == "▸ parent (1)"
        await _press(pilot, "z")  # open the parent: its child is itself a folded parent
        assert table.row_keys() == [parent.info.run_id, child.info.run_id]
        assert table.get_cell(child.info.run_id, "name").plain == "└ ▸ child (1)"
        await _press(pilot, "j", "z")  # open the child
        assert table.row_keys() == [parent.info.run_id, child.info.run_id, grandchild.info.run_id]
        assert table.get_cell(child.info.run_id, "name").plain == "└ ▾ child (1)"
        assert table.get_cell(grandchild.info.run_id, "name").plain == "  └ grandchild"
        await _press(pilot, "z")  # on the grandchild: folds its parent, the child
        assert table.row_keys() == [parent.info.run_id, child.info.run_id]
