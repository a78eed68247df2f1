"""MLflow-style calls, positional where MLflow code passes them so (issue 16, item 2).

tests/compat/test_mlflow_signatures.py checks the signatures; these check that what the
arguments MLflow has and tuitrack gained do reaches the store.
"""

from __future__ import annotations

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.sdk import run_stack


def _reader(sandbox: SdkSandbox) -> tuitrack.MlflowClient:
    """A second client on the same store: it sees only what was stored."""
    return tuitrack.MlflowClient(sandbox.tracking_uri, artifact_uri=sandbox.artifact_uri)


def test_start_run_in_mlflow_positional_order(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run(run_name="parent") as parent:
        experiment_id = parent.info.experiment_id
    child = tuitrack.start_run(
        None, experiment_id, "child", False, parent.info.run_id, {"team": "nlp"}, "notes", True
    )
    assert run_stack.own_runs()[-1].log_system_metrics is True
    tuitrack.end_run()
    with _reader(fluent_sandbox) as reader:
        stored = reader.get_run(child.info.run_id)
    assert stored.info.run_name == "child"
    assert stored.info.parent_run_id == parent.info.run_id
    assert stored.data.tags["team"] == "nlp"
    assert stored.data.tags["mlflow.note.content"] == "notes"


def test_synchronous_log_metric_is_stored_before_it_returns(fluent_sandbox: SdkSandbox) -> None:
    # Read at once after each call, ten times: the background writer (it wakes every 50 ms)
    # storing every one of them in time by chance is out of the question.
    with tuitrack.start_run() as run, _reader(fluent_sandbox) as reader:
        for step in range(10):
            tuitrack.log_metric("loss", step / 2, step, True, 1_700_000_000_000 + step)
            history = reader.get_metric_history(run.info.run_id, "loss")
            assert [(m.step, m.value) for m in history] == [(s, s / 2) for s in range(step + 1)]
        assert history[-1].timestamp == 1_700_000_000_009


def test_log_metric_to_another_run_by_id(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as first:
        pass
    with tuitrack.start_run() as second:
        tuitrack.log_metric("acc", 0.9, step=1, run_id=first.info.run_id, synchronous=True)
        tuitrack.log_metric("acc", 0.1, step=1)
    with _reader(fluent_sandbox) as reader:
        assert [m.value for m in reader.get_metric_history(first.info.run_id, "acc")] == [0.9]
        assert [m.value for m in reader.get_metric_history(second.info.run_id, "acc")] == [0.1]


def test_client_calls_in_mlflow_positional_order(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.MlflowClient(fluent_sandbox.tracking_uri, "ignored-registry") as client:
        experiment_id = client.create_experiment("client-order")
        run = client.create_run(experiment_id, 1_000, {"k": "v"}, "named")
        run_id = run.info.run_id
        client.log_metric(run_id, "loss", 1.5, 2_000, 4, True)
        client.log_param(run_id, "lr", 0.1, False)
        client.set_tag(run_id, "stage", "train", True)
        stored = client.get_run(run_id)
        found = client.search_runs([experiment_id])
    assert stored.info.start_time == 1_000
    assert stored.info.run_name == "named"
    assert stored.data.tags["k"] == "v"
    assert stored.data.tags["stage"] == "train"
    assert stored.data.params == {"lr": "0.1"}
    assert stored.data.metrics == {"loss": 1.5}
    assert [r.info.run_id for r in found] == [run_id]
