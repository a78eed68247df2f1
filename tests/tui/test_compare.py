"""The compare view, driven by keys against real stores, then SVG snapshots."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import DemoStore, make_app
from tests.tui.helpers import settle
from tests.tui.test_chart import run_ids_by_name
from tuitrack.entities import Metric, Param
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.compare_model import PENDING
from tuitrack.tui.screens.base import ErrorLine
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
MNIST_RUNS = ("cnn-000", "cnn-001", "cnn-002")
Steps = Callable[[Pilot[None]], Awaitable[None]]


def compare_screen(pilot: Pilot[None]) -> CompareScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def open_compare(pilot: Pilot[None], run_ids: list[str]) -> CompareScreen:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, TuitrackApp)
    app.push_screen(CompareScreen(app.session, run_ids))
    await settle(pilot)
    return compare_screen(pilot)


def shown_rows(screen: CompareScreen) -> list[str]:
    table = screen.query_one("#compare-table", KeyTable)
    return [str(key.value) for key in table.rows]


def cell(screen: CompareScreen, row: str, run_index: int) -> str:
    table = screen.query_one("#compare-table", KeyTable)
    return str(table.get_cell(row, f"run:{run_index}"))


async def open_mnist_runs(pilot: Pilot[None], client: TrackingClient) -> RunsTable:
    await settle(pilot)
    experiments = pilot.app.screen.query_one(KeyTable)
    experiment = client.get_experiment_by_name("mnist-cnn")
    assert experiment is not None
    experiments.move_cursor(row=experiments.get_row_index(experiment.experiment_id))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunsScreen)
    return pilot.app.screen.query_one(RunsTable)


async def test_shift_c_compares_the_marked_runs(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_mnist_runs(pilot, client)
        await pilot.press("space", "space", "space")
        marked = [run.info.run_id for run in table.runs[:3]]
        await pilot.press("C")
        await settle(pilot)
        screen = compare_screen(pilot)
        assert screen.run_ids == tuple(marked)
        comparison = screen.comparison
        assert comparison is not None
        assert comparison.steps_loaded
        rows = shown_rows(screen)
        assert rows[0] == "section:run"
        assert {"param:lr", "param:optimizer", "metric:val/loss:best step", "tag:model"} <= set(
            rows
        )


async def test_compare_needs_two_marked_runs(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_mnist_runs(pilot, client)
        await pilot.press("space", "C")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        assert any("Mark 2 to 50 runs" in n.message for n in app._notifications)


async def test_d_shows_only_the_rows_that_differ(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compare(pilot, run_ids)
        every = shown_rows(screen)
        assert "param:optimizer" in every  # adam for all three
        await pilot.press("d")
        differing = shown_rows(screen)
        assert "param:optimizer" not in differing
        assert "param:seed" in differing
        assert len(differing) < len(every)
        await pilot.press("d")
        assert shown_rows(screen) == every


async def test_metric_stats_and_best_step_match_the_full_history(
    client: TrackingClient,
) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_compare(pilot, run_ids)
        for index, run_id in enumerate(run_ids):
            history = client.get_metric_history(run_id, "val/loss")
            finite = [m for m in history if not math.isnan(m.value)]
            lowest = min(finite, key=lambda m: (m.value, m.step))
            assert cell(screen, "metric:val/loss:best step", index) == str(lowest.step)
            shown_min = float(cell(screen, "metric:val/loss:min", index))
            assert shown_min == pytest.approx(lowest.value, rel=1e-4)
            highest = max(finite, key=lambda m: m.value)
            assert float(cell(screen, "metric:val/loss:max", index)) == pytest.approx(
                highest.value, rel=1e-4
            )


async def test_runs_of_two_experiments_compare_side_by_side(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", ("cnn-000",)) + run_ids_by_name(
        client, "bert-glue", ("bert-sst2-00",)
    )
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compare(pilot, run_ids)
        assert cell(screen, "run:experiment", 0) == "mnist-cnn"
        assert cell(screen, "run:experiment", 1) == "bert-glue"
        assert cell(screen, "param:task", 0) == "-"
        assert "2 experiments" in str(screen.query_one("#title").content)


async def test_v_on_a_metric_row_charts_that_metric_for_every_compared_run(
    client: TrackingClient,
) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compare(pilot, run_ids)
        table = screen.query_one("#compare-table", KeyTable)
        await pilot.press("v")  # the cursor starts on a heading: nothing to chart
        assert app.screen is screen
        table.move_cursor(row=table.get_row_index("metric:val/accuracy:max"))
        await pilot.press("v")
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        assert chart.run_ids == tuple(run_ids)
        assert chart.keys == ("val/accuracy",)
        await pilot.press("escape")
        table.move_cursor(row=table.get_row_index("metric:train/loss:latest"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.keys == ("train/loss",)


async def test_fifty_runs_compare_and_fifty_one_are_refused(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("many")
    run_ids = []
    for index in range(51):
        run = empty_client.create_run(experiment, run_name=f"r{index:02d}")
        empty_client.log_batch(
            run.info.run_id,
            metrics=[
                Metric(key="loss", value=1.0 / (1 + index + s), timestamp=s, step=s)
                for s in range(5)
            ],
            params=[Param(key="lr", value=str(index % 3)), Param(key="opt", value="adam")],
        )
        run_ids.append(run.info.run_id)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compare(pilot, run_ids[:50])
        table = screen.query_one("#compare-table", KeyTable)
        assert len(table.columns) == 51
        assert cell(screen, "metric:loss:best step", 49) == "4"
        await pilot.press("escape")
        screen = await open_compare(pilot, run_ids)
        assert "1 to 50 runs" in str(screen.query_one(ErrorLine).content)


async def test_best_steps_are_pending_until_read(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = CompareScreen(app.session, run_ids)
        screen.load_stats = lambda data: None  # type: ignore[method-assign]
        app.push_screen(screen)
        await settle(pilot)
        assert cell(screen, "metric:val/loss:best step", 0) == PENDING
        assert "finding best steps" in str(screen.query_one("#title").content)


# --- snapshots ----------------------------------------------------------------------------


def compare_steps(store: DemoStore, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        with store.client() as client:
            run_ids = run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)
        await open_compare(pilot, run_ids)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)

    return steps


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys", [pytest.param((), id="all"), pytest.param(("d", "G"), id="only_differences")]
)
def test_compare_snapshot(
    snap_compare: Any, snapshot_store: DemoStore, keys: tuple[str, ...], size: tuple[int, int]
) -> None:
    with snapshot_store.client() as client:
        app = make_app(client)
        assert snap_compare(
            app, run_before=compare_steps(snapshot_store, *keys), terminal_size=size
        )
