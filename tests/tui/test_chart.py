"""The chart view, driven by keys against real stores: opening it, smoothing, log y, axes,
zooming with detail read from the store, live runs gaining points; then SVG snapshots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import FIXED_NOW, DemoStore, make_app
from tests.tui.helpers import settle, wait_until
from tuitrack.entities import Metric, RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.charting import PAN_FRACTION, pan_window
from tuitrack.tui.history_queries import points_budget
from tuitrack.tui.screens.base import ErrorLine
from tuitrack.tui.screens.chart import ChartScreen, ChartStale
from tuitrack.tui.screens.help import HelpScreen, binding_rows
from tuitrack.tui.screens.metric_picker import MetricPickerScreen
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.metric_chart import MetricChart
from tuitrack.tui.widgets.runs_table import RunsTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
CHART_RUNS = ("cnn-000", "cnn-001", "cnn-004")
T0 = FIXED_NOW - 3_600_000
Steps = Callable[[Pilot[None]], Awaitable[None]]


def run_ids_by_name(client: TrackingClient, experiment: str, names: tuple[str, ...]) -> list[str]:
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    runs = {r.info.run_name: r.info.run_id for r in client.search_runs([found.experiment_id])}
    return [runs[name] for name in names]


def chart_screen(pilot: Pilot[None]) -> ChartScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChartScreen)
    return screen


def only_chart(pilot: Pilot[None]) -> MetricChart:
    (chart,) = chart_screen(pilot).charts
    return chart


async def open_chart(pilot: Pilot[None], run_ids: list[str], keys: tuple[str, ...]) -> None:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, TuitrackApp)
    app.push_screen(ChartScreen(app.session, run_ids, keys))
    await settle(pilot)


def log_points(
    client: TrackingClient, run_id: str, key: str, values: list[float], first_step: int = 0
) -> None:
    client.log_batch(
        run_id,
        metrics=[
            Metric(key=key, value=v, timestamp=T0 + (first_step + i) * 1000, step=first_step + i)
            for i, v in enumerate(values)
        ],
    )


# --- opening the chart ------------------------------------------------------------------


async def test_v_on_the_run_screen_charts_the_metric_under_the_cursor(
    client: TrackingClient,
) -> None:
    (run_id,) = run_ids_by_name(client, "mnist-cnn", ("cnn-000",))
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(RunScreen(app.session, run_id))
        await settle(pilot)
        await pilot.press("m", "j")  # the metrics tab, second metric
        metric = app.screen.query_one("#metrics-table", KeyTable).current_row_key()
        await pilot.press("v")
        await settle(pilot)
        screen = chart_screen(pilot)
        assert screen.run_ids == (run_id,)
        assert screen.keys == (metric,)
        chart = only_chart(pilot)
        assert chart.drawn_version == chart.version
        assert chart.spec is not None
        assert not chart.spec.empty
        assert chart.spec.title == metric


async def test_v_on_the_runs_screen_overlays_the_marked_runs_in_table_order(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        experiments = app.screen.query_one(KeyTable)
        experiment = client.get_experiment_by_name("mnist-cnn")
        assert experiment is not None
        experiments.move_cursor(row=experiments.get_row_index(experiment.experiment_id))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one(RunsTable)
        await pilot.press("space", "j", "space")  # mark the first and the third run
        marked = [table.runs[0].info.run_id, table.runs[2].info.run_id]
        await pilot.press("v")
        await settle(pilot)
        screen = chart_screen(pilot)
        assert list(screen.run_ids) == marked
        assert screen.keys == ("train/loss",)  # the first metric column of the table
        assert [s.label for s in only_chart(pilot).series] == [
            table.runs[0].info.run_name,
            table.runs[2].info.run_name,
        ]
        # Sorted by a metric, the chart shows that metric.
        await pilot.press("escape")
        table.sort_key = "metric:val/accuracy"
        await pilot.press("v")
        await settle(pilot)
        assert chart_screen(pilot).keys == ("val/accuracy",)


async def test_an_unknown_run_is_reported_in_the_error_line(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, ["0" * 32], ("loss",))
        line = app.screen.query_one(ErrorLine)
        assert line.display
        assert "0" * 32 in str(line.content)


async def test_the_help_screen_lists_every_chart_key_with_its_id(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        ids = {ident for _, _, ident in binding_rows(app.screen)}
        assert {
            "chart.zoom_in",
            "chart.zoom_out",
            "chart.pan_left",
            "chart.pan_right",
            "chart.reset_zoom",
            "chart.smooth",
            "chart.smooth_more",
            "chart.smooth_less",
            "chart.x_axis",
            "chart.log_y",
            "chart.metrics",
        } <= ids
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


# --- options ------------------------------------------------------------------------------


async def test_smoothing_log_y_and_x_axis_keys_change_what_is_drawn(
    client: TrackingClient,
) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        chart = only_chart(pilot)
        assert chart.spec is not None
        # Smoothing is on: each run has a faint raw curve behind its smoothed one.
        assert sum(line.faint for line in chart.spec.lines) == 3
        await pilot.press("s")
        await pilot.pause()
        assert not any(line.faint for line in chart.spec.lines)
        await pilot.press("right_square_bracket")  # stronger smoothing switches it back on
        await pilot.pause()
        assert chart.options.smooth
        assert chart.options.smoothing == 0.7
        await pilot.press("y")
        await pilot.pause()
        assert chart.spec.log_y
        await pilot.press("x")
        await pilot.pause()
        assert chart.options.x_mode == "time"
        assert chart.spec.x_range is not None
        assert chart.spec.x_range[0] > 1e9  # seconds since the epoch
        await pilot.press("x")
        await pilot.pause()
        assert chart.options.x_mode == "relative"
        assert 0 <= chart.spec.x_range[0] < 3600


async def test_the_metric_picker_shows_one_chart_per_chosen_metric(
    client: TrackingClient,
) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS[:2])
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        await pilot.press("m")
        assert isinstance(app.screen, MetricPickerScreen)
        await pilot.press("space")  # train/loss, listed first
        await pilot.press("enter")
        await settle(pilot)
        screen = chart_screen(pilot)
        assert screen.keys == ("train/loss", "val/loss")
        assert [chart.key for chart in screen.charts] == ["train/loss", "val/loss"]
        assert all(chart.spec is not None and not chart.spec.empty for chart in screen.charts)


# --- zoom and long histories --------------------------------------------------------------


async def test_zoom_reads_the_zoomed_range_again_with_full_detail(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("long")
    run = empty_client.create_run(experiment, run_name="long", start_time=T0)
    log_points(empty_client, run.info.run_id, "loss", [1 / (1 + i) for i in range(6000)])
    empty_client.set_terminated(run.info.run_id, RunStatus.FINISHED)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, [run.info.run_id], ("loss",))
        screen = chart_screen(pilot)
        budget = points_budget(80)
        overview = screen.overview[run.info.run_id, "loss"]
        assert len(overview) <= budget  # downsampled by the store
        assert overview.first_step == 0
        assert overview.last_step == 5999
        for _ in range(5):
            await pilot.press("plus")
        await settle(pilot)
        window = screen.window
        assert window is not None
        assert window.width < budget
        assert screen.detail_window == window
        assert screen.detail is not None
        detail = screen.detail[run.info.run_id, "loss"]
        # The overview held a few points of this range; the detail holds every one.
        assert len(overview.within(window)) < len(detail) // 4
        assert detail.steps == list(range(window.lo, window.hi + 1))
        chart = only_chart(pilot)
        assert chart.spec is not None
        assert chart.spec.x_range == (window.lo, window.hi)
        await pilot.press("l")
        await settle(pilot)
        assert screen.window == pan_window(window, screen.extent, PAN_FRACTION)
        assert screen.window is not None
        assert screen.window.lo > window.lo
        await pilot.press("0")
        await settle(pilot)
        assert screen.window is None
        assert chart.spec.x_range == (0, 5999)


async def test_the_chart_follows_the_terminal_size(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        screen = chart_screen(pilot)
        chart = only_chart(pilot)
        assert screen.budget == points_budget(80, len(run_ids))
        first = chart.spec
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        # Much wider: the points are read again for the new width, and drawn at it.
        assert screen.budget == points_budget(200, len(run_ids))
        assert chart.size.width > 150
        assert chart.spec is not first
        assert chart.drawn_version == chart.version


async def test_nan_points_in_the_store_become_gaps(empty_client: TrackingClient) -> None:
    experiment = empty_client.create_experiment("gaps")
    run = empty_client.create_run(experiment, run_name="gappy", start_time=T0)
    nan = float("nan")
    log_points(empty_client, run.info.run_id, "loss", [1.0, 0.9, nan, nan, 0.7, 0.6])
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, [run.info.run_id], ("loss",))
        await pilot.press("s")  # raw curve only
        await pilot.pause()
        spec = only_chart(pilot).spec
        assert spec is not None
        assert [line.xs for line in spec.lines] == [[0, 1], [4, 5]]


# --- live ---------------------------------------------------------------------------------


async def test_a_live_run_gains_points_fetched_incrementally(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("live")
    run = empty_client.create_run(experiment, run_name="live", start_time=T0)
    run_id = run.info.run_id
    log_points(empty_client, run_id, "loss", [1.0 / (1 + i) for i in range(20)])
    app = TuitrackApp(empty_client, clock=lambda: FIXED_NOW, refresh_seconds=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, [run_id], ("loss",))
        screen = chart_screen(pilot)
        chart = only_chart(pilot)
        assert screen.overview[run_id, "loss"].last_step == 19
        log_points(empty_client, run_id, "loss", [0.01] * 10, first_step=20)
        await wait_until(pilot, lambda: screen.overview[run_id, "loss"].last_step == 29)
        # Appended, not read again: every step once, in order.
        assert screen.overview[run_id, "loss"].steps == list(range(30))
        await wait_until(pilot, lambda: chart.drawn_version == chart.version)
        assert chart.spec is not None
        assert chart.spec.x_range == (0, 29)


async def test_a_burst_of_updates_is_drawn_once(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS)
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        screen = chart_screen(pilot)
        chart = only_chart(pilot)
        before = chart.version
        for _ in range(5):
            screen.post_message(ChartStale())
        await settle(pilot)
        assert chart.version == before + 1
        assert chart.drawn_version == chart.version


# --- snapshots ----------------------------------------------------------------------------


def chart_steps(store: DemoStore, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        with store.client() as client:
            run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS)
        await open_chart(pilot, run_ids, ("val/loss",))
        for key in keys:
            await pilot.press(key)
        await settle(pilot)

    return steps


CHART_SCENARIOS = {
    "smoothed": (),
    "raw": ("s",),
    "log_y": ("y",),
    "zoomed": ("plus",),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", list(CHART_SCENARIOS))
def test_chart_snapshot(
    snap_compare: Any, snapshot_store: DemoStore, scenario: str, size: tuple[int, int]
) -> None:
    with snapshot_store.client() as client:
        app = make_app(client)
        steps = chart_steps(snapshot_store, *CHART_SCENARIOS[scenario])
        assert snap_compare(app, run_before=steps, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_live_chart_snapshot(snap_compare: Any, tmp_path: Any, size: tuple[int, int]) -> None:
    """A running run that gains points while its chart is open."""
    with TrackingClient(
        f"sqlite:///{tmp_path / 'live.db'}", artifact_uri=str(tmp_path / "art")
    ) as client:
        experiment = client.create_experiment("live")
        run = client.create_run(experiment, run_name="pretrain", start_time=T0)
        run_id = run.info.run_id
        log_points(client, run_id, "loss", [2.0 * 0.97**i for i in range(60)])

        async def steps(pilot: Pilot[None]) -> None:
            await open_chart(pilot, [run_id], ("loss",))
            screen = chart_screen(pilot)
            log_points(client, run_id, "loss", [0.4 + 0.02 * (i % 3) for i in range(30)], 60)
            await wait_until(pilot, lambda: screen.overview[run_id, "loss"].last_step == 89)
            await settle(pilot)

        app = TuitrackApp(client, clock=lambda: FIXED_NOW, refresh_seconds=0.1)
        assert snap_compare(app, run_before=steps, terminal_size=size)
