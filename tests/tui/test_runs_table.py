"""The virtual runs table: pages read as you scroll, `G` reads them all, counts from the
store, pinned columns, mouse, the tag picker and empty states; the run screen's metric
summaries from the store."""

from __future__ import annotations

import math

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.tui.conftest import make_app
from tests.tui.helpers import rendered_text, settle
from tests.tui.test_app import open_experiment, run_names
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.screens import runs as runs_screen
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.screens.tag_picker import TagPickerScreen, tag_condition
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable

RUNS = 250


@pytest.fixture
def many_runs(empty_client: TrackingClient) -> TrackingClient:
    experiment = empty_client.create_experiment("many")
    for index in range(RUNS):
        run = empty_client.create_run(
            experiment, run_name=f"run-{index:03d}", start_time=1_700_000_000_000 + index * 1000
        )
        empty_client.set_terminated(run.info.run_id)
    return empty_client


def _title(screen: RunsScreen) -> str:
    return str(screen.query_one(TitleLine).content)


async def test_pages_arrive_as_you_scroll_and_g_reads_the_rest(
    many_runs: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs_screen, "MORE_PAGE_SIZE", 60)
    app = make_app(many_runs)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, many_runs, "many")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        assert table.row_count == 100
        assert f"100 of {RUNS} runs" in _title(screen)  # counted in the store
        for _ in range(5):
            await pilot.press("pagedown")
        await settle(pilot)
        assert table.row_count == 160  # one more page, read near the end
        await pilot.press("G")
        await settle(pilot)
        assert table.row_count == RUNS
        assert table.cursor_row == RUNS - 1
        assert f"{RUNS} runs" in _title(screen)
        names = run_names(table)
        assert names == [f"run-{i:03d}" for i in reversed(range(RUNS))]
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_children_and_parents_in_later_pages_nest(
    empty_client: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose runs have a parent in an earlier page, or are the parent of runs shown
    already, folds those children under their parents."""
    monkeypatch.setattr(runs_screen, "MORE_PAGE_SIZE", 30)
    experiment = empty_client.create_experiment("nested")
    start = 1_700_000_000_000
    ids: dict[int, str] = {}
    # child index -> parent index. Newest first: page 1 holds runs 149-50, page 2 runs
    # 49-20, page 3 runs 19-0.
    parents = {40: 120, 149: 5}
    for index in [5, 120, *(i for i in range(150) if i not in (5, 120))]:
        parent = ids.get(parents[index]) if index in parents else None
        run = empty_client.create_run(
            experiment,
            run_name=f"run-{index:03d}",
            start_time=start + index * 1000,
            parent_run_id=parent,
        )
        ids[index] = run.info.run_id
        empty_client.set_terminated(run.info.run_id)

    async def next_page(pilot: Pilot[None], table: RunsTable) -> None:
        loaded = len(table.runs)
        while len(table.runs) == loaded:
            await pilot.press("pagedown")
            await settle(pilot)

    app = make_app(empty_client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "nested")
        assert table.row_count == 100
        await next_page(pilot, table)  # run-040 arrives: its parent is shown
        assert len(table.runs) == 130
        assert table.row_count == 129
        assert ids[40] not in table.row_keys()
        assert ids[149] in table.row_keys()  # its parent is not loaded yet
        await next_page(pilot, table)  # run-005 arrives: its child is shown
        assert len(table.runs) == 150
        assert table.row_count == 148
        assert ids[149] not in table.row_keys()
        await pilot.press("Z")  # open everything: each child right under its parent
        rows = table.row_keys()
        assert rows[rows.index(ids[5]) + 1] == ids[149]
        assert rows[rows.index(ids[120]) + 1] == ids[40]


async def test_pinned_columns_stay_while_the_rest_scroll_a_column_at_a_time(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        first = table.runs[0].info.run_name or ""
        header_before = "".join(s.text for s in table.render_line(0))
        await pilot.press("l")
        await pilot.pause()
        header_after = "".join(s.text for s in table.render_line(0))
        row = "".join(s.text for s in table.render_line(1))
        assert table.scroll_x > 0
        assert "Name" in header_after  # the name column stays
        assert first in row
        assert "Start" in header_before
        assert "Start" not in header_after
        await pilot.press("h")
        assert table.scroll_x == 0


async def test_clicks_sort_by_a_header_and_open_the_row_under_the_cursor(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        header = "".join(s.text for s in table.render_line(0))
        await pilot.click(RunsTable, offset=(header.index("User") + 1, 0))
        await settle(pilot)
        assert table.sort_key == "user"
        users = [run.info.user_id or "" for run in table.runs]
        assert users == sorted(users)
        await pilot.click(RunsTable, offset=(10, 3))  # the third row: the cursor moves there
        assert table.cursor_row == 2
        await pilot.click(RunsTable, offset=(10, 3))  # again: open it
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        assert app.screen.run_id == table.runs[2].info.run_id


async def test_tag_picker_adds_a_tag_condition_to_the_filter(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        every_run = list(table.runs)
        await pilot.press("t")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TagPickerScreen)
        options = picker.query_one(OptionList)
        keys = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert {"dataset", "git.commit", "model"} <= set(keys)
        options.highlighted = keys.index("git.commit")
        await pilot.press("enter")  # its values, most common first
        commit = picker.values[0]
        assert commit in str(options.get_option_at_index(0).prompt)
        assert options.option_count == 8 + 2  # and "any value", "no value"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        condition = f"tags.git.commit = '{commit}'"
        assert app.screen.query_one(FilterBar).value == condition
        expected = {r.info.run_id for r in every_run if r.data.tags["git.commit"] == commit}
        assert {r.info.run_id for r in table.runs} == expected


def test_tag_conditions_quote_keys_and_values() -> None:
    assert tag_condition("env", "prod") == "tags.env = 'prod'"
    assert tag_condition("team name", "it's") == "tags.`team name` = 'it''s'"
    assert tag_condition("env", None) == "tags.env IS NOT NULL"
    assert tag_condition("env", None, present=False) == "tags.env IS NULL"


async def test_empty_experiment_and_empty_filter_say_so(empty_client: TrackingClient) -> None:
    empty_client.create_experiment("nothing yet")
    app = make_app(empty_client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "nothing yet")
        assert table.row_count == 0
        assert table.empty_message == "No runs in this experiment yet."
        line = "".join(s.text for s in table.render_line(1))
        assert "No runs in this experiment yet." in line
        await pilot.press("slash", *"metrics.loss < 1", "enter")
        await settle(pilot)
        assert table.empty_message.startswith("No runs match this filter.")


async def test_experiments_screen_of_an_empty_store_says_what_to_do(
    empty_client: TrackingClient,
) -> None:
    app = make_app(empty_client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if app.screen.query_one(KeyTable).row_count:
            pytest.skip("this store starts with a default experiment")
        note = app.screen.query_one("#experiments-empty", Static)
        assert note.display
        assert "tuitrack demo" in rendered_text(note)


async def test_run_screen_metrics_come_from_the_store_summaries(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        run = table.runs[0]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        metrics = screen.query_one("#metrics-table", KeyTable)
        for key in run.data.metrics:
            history = client.get_metric_history(run.info.run_id, key)
            finite = [m.value for m in history if not math.isnan(m.value)]
            assert str(metrics.get_cell(key, "min")) == _shown(min(finite))
            assert str(metrics.get_cell(key, "max")) == _shown(max(finite))
            assert str(metrics.get_cell(key, "step")) == str(history[-1].step)
            assert str(metrics.get_cell(key, "trend"))  # a sparkline of the whole series


async def test_run_without_params_or_metrics_says_so(empty_client: TrackingClient) -> None:
    experiment = empty_client.create_experiment("bare")
    empty_client.create_run(experiment, run_name="bare-run")
    app = make_app(empty_client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, empty_client, "bare")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        for tab in ("params", "metrics"):
            note = screen.query_one(f"#{tab}-empty", Static)
            assert note.display
            assert not screen.query_one(f"#{tab}-table", KeyTable).display
        assert "no params" in rendered_text(screen.query_one("#params-empty", Static))


def _shown(value: float) -> str:
    from tuitrack.tui.formatting import format_metric

    return format_metric(value)
