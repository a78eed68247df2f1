"""What a run screen says of an MLflow run: the source MLflow records in place of a
command line."""

from __future__ import annotations

import pytest

from tests.mlflow.fixtures import MlflowFixture
from tests.tui.test_cli import run_cli
from tuitrack.sdk.client import TrackingClient


def test_an_mlflow_run_shows_its_source_and_commit(
    writable_mlflow: MlflowFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = writable_mlflow.run("long")["run_id"]
    system_tags = {  # as MLflow's fluent start_run writes them for a script
        "mlflow.source.name": "/home/ana/vision/train.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.source.git.commit": "3f2a9c1",
    }
    with TrackingClient(writable_mlflow.uri) as client:
        for key, value in system_tags.items():
            client.set_tag(run_id, key, value)
    code, out, err = run_cli(capsys, "--uri", writable_mlflow.uri, "runs", "show", run_id)
    assert code == 0, err
    lines = [line.rstrip() for line in out.splitlines()]
    assert "Source      /home/ana/vision/train.py  (local)" in lines
    assert "Git commit  3f2a9c1" in lines
    assert not any(line.startswith("Command") for line in lines)
