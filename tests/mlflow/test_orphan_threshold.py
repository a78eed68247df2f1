"""Orphans on MLflow stores, whose runs never send heartbeats: `--older-than` sets how long
such a run may stay silent, the CLI and the TUI judge by the same rule, and an orphan's
duration stops at its last logged metric."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.mlflow.fixtures import MlflowFixture
from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment
from tests.tui.test_cli import run_cli
from tuitrack.core.orphans import OrphanPolicy
from tuitrack.core.store import now_ms
from tuitrack.entities import RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.runs import RunsScreen

MINUTE_MS = 60_000
SILENT_MS = 9 * MINUTE_MS
STARTED_BEFORE_LAST_LOG_MS = 50 * MINUTE_MS


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("TUITRACK_ORPHAN_SILENCE_SECONDS", "TUITRACK_ORPHAN_AFTER_SECONDS"):
        monkeypatch.delenv(name, raising=False)


def _move_to(fixture: MlflowFixture, run_id: str, last_log: int) -> None:
    """Rewrite the run's times as MLflow would have written them had it started
    50 minutes before `last_log` and logged its last metric then."""
    start = last_log - STARTED_BEFORE_LAST_LOG_MS
    if fixture.is_sqlite:
        connection = sqlite3.connect(fixture.uri)
        with connection:
            (latest,) = connection.execute(
                "SELECT max(timestamp) FROM metrics WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            shift = last_log - latest
            connection.execute("UPDATE runs SET start_time = ? WHERE run_uuid = ?", (start, run_id))
            for table in ("metrics", "latest_metrics"):
                connection.execute(
                    f"UPDATE {table} SET timestamp = timestamp + ? WHERE run_uuid = ?",
                    (shift, run_id),
                )
        connection.close()
        return
    (run_folder,) = Path(fixture.uri).glob(f"*/{run_id}")
    meta = run_folder / "meta.yaml"
    lines = meta.read_text(encoding="utf-8").splitlines()
    meta.write_text(
        "".join(
            f"start_time: {start}\n" if line.startswith("start_time:") else f"{line}\n"
            for line in lines
        ),
        encoding="utf-8",
    )
    series = list((run_folder / "metrics").rglob("*"))
    points = [
        line.split() for path in series if path.is_file() for line in path.read_text().splitlines()
    ]
    shift = last_log - max(int(timestamp) for timestamp, _, _ in points)
    for path in series:
        if path.is_file():
            moved = [line.split() for line in path.read_text().splitlines()]
            path.write_text("".join(f"{int(t) + shift} {v} {s}\n" for t, v, s in moved))


def _silent_running_run(fixture: MlflowFixture) -> tuple[str, int]:
    """The fixture's RUNNING run, made to have last logged 9 minutes ago; its id and then."""
    run_id = fixture.run("running")["run_id"]
    last_log = now_ms() - SILENT_MS
    _move_to(fixture, run_id, last_log)
    return run_id, last_log


def _listed(capsys: pytest.CaptureFixture[str], uri: str, *extra: str) -> list[str]:
    code, out, err = run_cli(capsys, "--uri", uri, "runs", "orphans", "--json", *extra)
    assert code == 0, err
    return [row["run_id"] for row in json.loads(out)]


def test_older_than_sets_the_silence_threshold_of_runs_without_heartbeats(
    writable_mlflow: MlflowFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id, last_log = _silent_running_run(writable_mlflow)
    uri = writable_mlflow.uri
    assert _listed(capsys, uri) == []  # the default: 30 minutes without logging
    assert _listed(capsys, uri, "--older-than", "10m") == []
    assert _listed(capsys, uri, "--older-than", "1m") == [run_id]
    code, out, err = run_cli(
        capsys, "--uri", uri, "runs", "orphans", "--older-than", "1m", "--mark-failed", "--yes"
    )
    assert code == 0, err
    assert f"marked {run_id[:8]} FAILED (no heartbeat; silent 9m)" in out
    with TrackingClient(uri) as client:
        info = client.get_run(run_id).info
    assert (info.status, info.end_time) == (RunStatus.FAILED, last_log)


async def test_the_tui_judges_by_the_same_threshold_and_freezes_the_duration(
    writable_mlflow: MlflowFixture,
) -> None:
    run_id, last_log = _silent_running_run(writable_mlflow)
    now = last_log + SILENT_MS
    with TrackingClient(writable_mlflow.uri) as client:
        default = TuitrackApp(client, clock=lambda: now, refresh_seconds=0)
        async with default.run_test(size=(120, 40)) as pilot:
            table = await open_experiment(pilot, client, "fixture")
            assert str(table.get_cell(run_id, "status")) == "●"
            assert str(table.get_cell(run_id, "duration")) == "59m00s"  # running: up to now

        policy = OrphanPolicy.from_environment().older_than(60)
        app = TuitrackApp(client, clock=lambda: now, refresh_seconds=0, orphan_policy=policy)
        async with app.run_test(size=(120, 40)) as pilot:
            table = await open_experiment(pilot, client, "fixture")
            assert str(table.get_cell(run_id, "status")) == "?"
            # Dead since its last metric: the duration stops there, not at "now".
            assert str(table.get_cell(run_id, "duration")) == "50m00s"
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RunsScreen)
            assert set(screen.orphans) == {run_id}  # what `5` shows and `F` offers to mark
