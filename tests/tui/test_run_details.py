"""The run's details say what is true of it: how an SDK or demo run was started, an
orphan's duration stopped at its last sign of life (run screen, runs table, compare), and
`v` charting a metric the run has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.sdk.processes import SdkSandbox
from tests.tui.conftest import make_app
from tests.tui.helpers import rendered_text, settle
from tests.tui.test_app import open_experiment
from tests.tui.test_cli import run_cli
from tuitrack.cli.plot import load_comparison
from tuitrack.core.store import now_ms
from tuitrack.entities import Metric, RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.compare_model import Comparison
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.run import RunScreen

HOUR_MS = 3_600_000
ELSEWHERE = "gpu-node-17.example"
TRAIN_SCRIPT = """\
import tuitrack
with tuitrack.start_run() as run:
    tuitrack.log_metric("loss", 0.5)
print(run.info.run_id)
"""


async def open_run(pilot: Pilot[None], run_id: str) -> str:
    """The run screen's overview, as text."""
    app = pilot.app
    assert isinstance(app, TuitrackApp)
    await settle(pilot)
    app.push_screen(RunScreen(app.session, run_id))
    await settle(pilot)
    return rendered_text(app.screen.query_one("#overview-body", Static))


def overview_line(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(label)).rstrip()


async def test_an_sdk_run_shows_the_command_that_started_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SdkSandbox(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), "--lr", "0.1"],
        env=sandbox.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    command = f"{script} --lr 0.1"
    try:
        app = make_app(sandbox.client)
        async with app.run_test(size=(120, 40)) as pilot:
            text = await open_run(pilot, run_id)
        assert command in overview_line(text, "Command"), text
        code, out, _ = run_cli(capsys, "--uri", sandbox.tracking_uri, "runs", "show", run_id)
        assert code == 0
        assert command in overview_line(out, "Command")
    finally:
        sandbox.close()


async def test_a_demo_run_shows_its_command(client: TrackingClient) -> None:
    experiment = client.get_experiment_by_name("mnist-cnn")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id], "run_name = 'cnn-001'")
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await open_run(pilot, run.info.run_id)
    assert "python train.py --run cnn-001" in overview_line(text, "Command")


def _orphan_and_finished(client: TrackingClient, now: int) -> tuple[str, str]:
    """A run whose process died an hour ago after two hours of work (last heartbeat), and
    a finished run of 30 minutes."""
    experiment = client.create_experiment("orphans")
    dead = client.create_run(
        experiment, run_name="dead", start_time=now - 3 * HOUR_MS, host=ELSEWHERE
    )
    dead_id = dead.info.run_id
    point = Metric(key="loss", value=1.0, timestamp=now - 2 * HOUR_MS, step=0)
    client.log_batch(dead_id, metrics=[point])
    client.store.record_heartbeat(dead_id, now - HOUR_MS)
    done = client.create_run(experiment, run_name="done", start_time=now - HOUR_MS, host=ELSEWHERE)
    client.store.update_run_info(
        done.info.run_id, status=RunStatus.FINISHED, end_time=now - HOUR_MS // 2
    )
    return dead_id, done.info.run_id


def _duration_row(comparison: Comparison) -> tuple[object, ...]:
    return next(row.values for row in comparison.rows if row.key == "run:duration")


async def test_an_orphans_duration_stops_at_its_last_sign_of_life(
    empty_client: TrackingClient,
) -> None:
    now = now_ms()
    dead_id, done_id = _orphan_and_finished(empty_client, now)
    app = TuitrackApp(empty_client, clock=lambda: now, refresh_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_experiment(pilot, empty_client, "orphans")
        assert str(table.get_cell(dead_id, "status")) == "?"
        assert str(table.get_cell(dead_id, "duration")) == "2h00m"
        assert str(table.get_cell(done_id, "duration")) == "30m00s"

        text = await open_run(pilot, dead_id)
        assert overview_line(text, "Duration") == "Duration    2h00m   last seen 1h00m ago"
        assert "orphaned" in overview_line(text, "Status")
        await pilot.press("escape")

        app.push_screen(CompareScreen(app.session, [dead_id, done_id]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.comparison is not None
        assert _duration_row(screen.comparison) == ("2h00m", "30m00s")
    # `tuitrack compare` judges on the real clock: the duration is as frozen there.
    assert _duration_row(load_comparison(empty_client, [dead_id, done_id])) == ("2h00m", "30m00s")


async def test_v_charts_a_metric_the_run_has_and_says_which_it_lacks(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("mixed")
    both = empty_client.create_run(experiment, run_name="both", start_time=1_000)
    empty_client.log_batch(
        both.info.run_id,
        metrics=[
            Metric(key="acc", value=0.9, timestamp=1_000, step=0),
            Metric(key="loss", value=0.5, timestamp=1_000, step=0),
        ],
    )
    only_loss = empty_client.create_run(experiment, run_name="only-loss", start_time=2_000)
    empty_client.log_batch(
        only_loss.info.run_id, metrics=[Metric(key="loss", value=0.7, timestamp=2_000, step=0)]
    )
    app = make_app(empty_client)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_experiment(pilot, empty_client, "mixed")
        table.move_to_run(only_loss.info.run_id)
        await pilot.press("v")  # the table's first metric column is `acc`: this run has none
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        assert screen.keys == ("loss",)
        (chart,) = screen.charts
        assert chart.spec is not None
        assert not chart.spec.empty
        messages = [n.message for n in app._notifications]
        assert "This run has no metric 'acc'; showing 'loss'." in messages
