"""The MLflow-style example runs unchanged with `import tuitrack as mlflow`."""

from __future__ import annotations

import json

from tests.sdk.processes import REPO_ROOT, SdkSandbox
from tuitrack import RunStatus


def test_mlflow_style_example_runs_and_records_the_sweep(sandbox: SdkSandbox) -> None:
    done = sandbox.run_file(REPO_ROOT / "examples" / "mlflow_style.py")
    assert done.returncode == 0, done.stderr
    assert "runs in the experiment: 4" in done.stdout
    assert "last run status: FINISHED" in done.stdout
    parent_id = done.stdout.split("parent run:")[1].split()[0]
    parent = sandbox.get_run(parent_id)
    assert parent.info.status is RunStatus.FINISHED
    assert parent.data.params["best_lr"] == "0.5"
    assert parent.data.tags["sweep"] == "learning-rate"
    experiment = sandbox.client.get_experiment_by_name("linear-regression")
    assert experiment is not None
    children = [
        run
        for run in sandbox.client.search_runs([experiment.experiment_id])
        if run.info.parent_run_id == parent_id
    ]
    assert sorted(run.data.params["lr"] for run in children) == ["0.01", "0.1", "0.5"]
    for child in children:
        assert len(sandbox.metric_values(child.info.run_id, "loss")) == 50
        weights = sandbox.client.artifact_store(child.info.run_id).read_bytes("model/weights.json")
        assert set(json.loads(weights)) == {"w", "b"}
    store = sandbox.client.artifact_store(parent_id)
    assert json.loads(store.read_bytes("report.json"))["best_lr"] == 0.5
    assert store.read_bytes("notes.txt") == b"trained with plain Python\n"
