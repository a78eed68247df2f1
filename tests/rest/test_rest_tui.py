"""The TUI opened on a live `mlflow server` (http://127.0.0.1:PORT), driven by keys: the
experiments list, the runs screen with an OR filter MLflow's server cannot evaluate (tuitrack
evaluates it and says so under the filter), a metric's chart, a run's artifacts (through the
server's proxy), live refresh of what another client logs, and the compare screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.rest.mlflow_server import MlflowServer
from tests.tui.conftest import make_app
from tests.tui.helpers import column_values, rendered_text, settle, wait_until
from tuitrack.entities import Metric, Param, RunStatus, RunTag
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.artifact_browser import ArtifactBrowser
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable
from tuitrack.tui.widgets.search_note import SearchNote

T0 = 1_749_990_000_000  # shortly before the app's fixed "now"
STEPS = 30
# name -> (optimizer, final loss); loss falls linearly from 1.0 to the final value.
RUNS = {
    "adam-1": ("adam", 0.2),
    "adam-2": ("adam", 0.4),
    "sgd-1": ("sgd", 0.6),
    "sgd-2": ("sgd", 0.8),
}
OR_FILTER = "metrics.loss < 0.3 OR params.optimizer = 'sgd'"
OR_MATCHES = {"adam-1", "sgd-1", "sgd-2"}


@dataclass
class ServerData:
    url: str
    artifact_root: str
    experiments: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)

    def client(self) -> TrackingClient:
        return TrackingClient(self.url, artifact_uri=self.artifact_root)


def loss_at(final: float, step: int) -> float:
    return 1.0 - (1.0 - final) * step / (STEPS - 1)


@pytest.fixture(scope="module")
def server_data(
    mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> ServerData:
    mlflow_server.empty()
    data = ServerData(mlflow_server.url, str(tmp_path_factory.mktemp("tui-artifacts")))
    with data.client() as client:
        experiment_id = client.create_experiment("rest-training", tags={"team": "vision"})
        data.experiments["rest-training"] = experiment_id
        data.experiments["rest-other"] = client.create_experiment("rest-other")
        for index, (name, (optimizer, final)) in enumerate(RUNS.items()):
            run_id = client.create_run(
                experiment_id, start_time=T0 + 1000 * index, run_name=name
            ).info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    Metric(key="loss", value=loss_at(final, step), timestamp=T0 + step, step=step)
                    for step in range(STEPS)
                ],
                params=[Param(key="optimizer", value=optimizer), Param(key="lr", value="0.01")],
                tags=[RunTag(key="team", value="vision")],
            )
            client.set_terminated(run_id, RunStatus.FINISHED, end_time=T0 + 1000 * index + 500)
            data.runs[name] = run_id
        first = data.runs["adam-1"]  # artifacts go through the server's mlflow-artifacts proxy
        client.log_dict(first, {"layers": 3, "optimizer": "adam"}, "config.json")
        client.log_text(first, "trained on the server", "notes.txt")
        client.log_dict(first, {"parameters": 1234}, "model/summary.json")
    return data


@pytest.fixture
def client(
    server_data: ServerData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackingClient]:
    """The app's client on the server; the user's own store, config and key map kept out."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TUITRACK_TRACKING_URI", raising=False)
    monkeypatch.delenv("TUITRACK_ARTIFACT_URI", raising=False)
    with server_data.client() as tracking_client:
        yield tracking_client


async def open_runs(pilot: Pilot[None], server_data: ServerData) -> RunsTable:
    await settle(pilot)
    experiments = pilot.app.screen.query_one(KeyTable)
    experiments.move_cursor(row=experiments.get_row_index(server_data.experiments["rest-training"]))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunsScreen)
    return pilot.app.screen.query_one(RunsTable)


def search_note(pilot: Pilot[None]) -> str | None:
    """The note under the filter: what the store had to do to answer the search."""
    note = pilot.app.screen.query_one(SearchNote)
    return note.note if note.has_class("-shown") else None


def shown_names(table: RunsTable) -> set[str]:
    return {run.info.run_name or "" for run in table.runs}


async def test_experiments_screen_lists_the_servers_experiments(
    client: TrackingClient, server_data: ServerData
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        names = column_values(app.screen.query_one(KeyTable), "name")
        assert {"rest-training", "rest-other"} <= set(names), names


async def test_runs_screen_and_an_or_filter_with_its_scan_note(
    client: TrackingClient, server_data: ServerData
) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_runs(pilot, server_data)
        assert shown_names(table) == set(RUNS)
        assert {"adam-1", "sgd-2"} <= set(column_values(table, "name"))
        assert search_note(pilot) is None

        await pilot.press("slash", *OR_FILTER, "enter")
        await settle(pilot)
        assert not app.screen.query_one(FilterBar).has_class("-error")
        assert shown_names(table) == OR_MATCHES
        note = search_note(pilot)  # tuitrack evaluated OR itself: the runs screen says so
        assert note is not None
        assert "OR" in note

        await pilot.press("slash", "ctrl+u", *"params.optimizer = 'adam'", "enter")
        await settle(pilot)
        assert shown_names(table) == {"adam-1", "adam-2"}
        assert search_note(pilot) is None  # the server answered this one exactly


async def test_chart_draws_a_runs_metric_from_the_server(
    client: TrackingClient, server_data: ServerData
) -> None:
    run_id = server_data.runs["adam-1"]
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_runs(pilot, server_data)
        table.move_to_run(run_id)
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        assert screen.run_ids == (run_id,)
        assert screen.keys == ("loss",)
        (chart,) = screen.charts
        assert chart.drawn_version == chart.version
        assert chart.spec is not None
        assert not chart.spec.empty
        (series,) = chart.series
        points = series.points
        assert list(points.steps) == list(range(STEPS))
        expected = [loss_at(RUNS["adam-1"][1], step) for step in range(STEPS)]
        assert list(points.values) == pytest.approx(expected)


async def test_artifacts_of_a_run_on_the_server_are_listed_and_previewed(
    client: TrackingClient, server_data: ServerData
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_runs(pilot, server_data)
        table.move_to_run(server_data.runs["adam-1"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        browser = app.screen.query_one(ArtifactBrowser)
        labels = [str(node.label).split()[0] for node in browser.file_tree.root.children]
        assert labels == ["config.json", "model/", "notes.txt"]
        await pilot.press("j")  # config.json
        await settle(pilot)
        preview = rendered_text(browser.query_one("#artifact-preview", Static))
        assert "layers" in preview
        assert "adam" in preview


async def test_live_refresh_shows_what_another_client_logs_to_the_server(
    client: TrackingClient, server_data: ServerData
) -> None:
    with server_data.client() as writer:
        experiment_id = writer.create_experiment("rest-live")
        first = writer.create_run(experiment_id, run_name="first").info.run_id
        writer.log_metric(first, "loss", 1.0, step=0)
        app = TuitrackApp(client, refresh_seconds=0.2)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            experiments = app.screen.query_one(KeyTable)
            experiments.move_cursor(row=experiments.get_row_index(experiment_id))
            await pilot.press("enter")
            await settle(pilot)
            table = app.screen.query_one(RunsTable)
            assert shown_names(table) == {"first"}
            writer.create_run(experiment_id, run_name="second")
            await wait_until(pilot, lambda: shown_names(table) == {"first", "second"})
            writer.log_metric(first, "loss", 0.25, step=1)
            await wait_until(pilot, lambda: str(table.get_cell(first, "metric:loss")) == "0.25")


async def test_compare_screen_opens_for_two_marked_runs(
    client: TrackingClient, server_data: ServerData
) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_runs(pilot, server_data)
        await pilot.press("space", "space")
        marked = [run.info.run_id for run in table.runs[:2]]
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.run_ids == tuple(marked)
        assert screen.comparison is not None
        rows = {str(key.value) for key in screen.query_one("#compare-table", KeyTable).rows}
        assert {"param:lr", "param:optimizer", "tag:team"} <= rows
