"""The TUI on stores written by real MLflow: the runs screen lists the fixture's runs and a
chart of a run's metric draws the points the store has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mlflow.fixtures import MlflowFixture
from tests.tui.conftest import make_app
from tests.tui.helpers import column_values, settle
from tests.tui.test_app import open_experiment
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.runs import RunsScreen


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def test_runs_screen_and_chart_on_mlflow_data(writable_mlflow: MlflowFixture) -> None:
    fixture = writable_mlflow
    expected = {
        r["run_name"]
        for r in fixture.answers["runs"]
        if r["experiment_id"] == fixture.experiment("fixture")["experiment_id"]
        and r["lifecycle_stage"] == "active"
    }
    long_id = fixture.run("long")["run_id"]
    with TrackingClient(fixture.uri) as client:
        store_points = client.get_metric_history(long_id, "loss")
        app = make_app(client)
        async with app.run_test(size=(120, 40)) as pilot:
            table = await open_experiment(pilot, client, "fixture")
            # Nested runs (MLflow's parent tag) come folded under their parent.
            folded = column_values(table, "name")
            assert {"long", "special-values", "running", "artifacts"} <= set(folded)
            assert any(name.startswith("▸ sweep") for name in folded), folded
            await pilot.press("Z")  # open everything
            await settle(pilot)
            names = column_values(table, "name")
            shown = {name.strip(" ▸▾├└").removesuffix(" (3)") for name in names}
            assert expected <= shown, names
            assert "▾ sweep (3)" in names
            assert "deleted" not in " ".join(names)
            assert isinstance(app.screen, RunsScreen)

            table.move_to_run(long_id)
            table.sort_key = "metric:loss"
            await settle(pilot)
            table.move_to_run(long_id)
            await pilot.press("v")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ChartScreen)
            assert screen.run_ids == (long_id,)
            assert screen.keys == ("loss",)
            (chart,) = screen.charts
            assert chart.drawn_version == chart.version
            assert chart.spec is not None
            assert not chart.spec.empty
            assert chart.spec.title == "loss"
            (series,) = chart.series
            points = series.points
            assert 20 <= len(points) <= len(store_points)
            by_step = {m.step: m.value for m in store_points}
            assert points.steps[0] == store_points[0].step
            assert points.steps[-1] == store_points[-1].step
            assert all(by_step[s] == v for s, v in zip(points.steps, points.values, strict=True))
