"""`tuitrack import http://...`: a team's MLflow server copied into a tuitrack store, the
artifacts through the server's proxy, as from any other store."""

from __future__ import annotations

import math
from pathlib import Path

import mlflow

from tests.mlflow.test_import import Target, assert_same_content
from tests.rest.mlflow_server import MlflowServer


def test_a_server_is_imported_whole_and_once(
    empty_mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    client = mlflow.MlflowClient(tracking_uri=empty_mlflow_server.url)
    experiment_id = client.create_experiment("served", tags={"team": "vision"})
    parent = client.create_run(experiment_id, run_name="sweep")
    child = client.create_run(
        experiment_id, run_name="trial", tags={"mlflow.parentRunId": parent.info.run_id}
    )
    for run in (parent, child):
        client.log_param(run.info.run_id, "lr", "0.1")
        for step, value in enumerate([1.0, math.nan, 0.25]):
            client.log_metric(run.info.run_id, "loss", value, step=step, timestamp=1_000 + step)
        client.log_text(run.info.run_id, "hello", "notes/hello.txt")
        client.set_terminated(run.info.run_id)
    target = Target(tmp_path / "copy")
    report = target.run_import(empty_mlflow_server.url)
    assert report.warnings == []
    assert (report.runs_copied, report.artifact_files) == (2, 2)
    assert_same_content(empty_mlflow_server.url, target)
    again = target.run_import(empty_mlflow_server.url)
    assert (again.runs_copied, again.metric_points, again.artifact_files) == (0, 0, 0)
