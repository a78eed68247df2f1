"""A real framework integration that logs through MLflow runs unchanged against `tuitrack
server`: scikit-learn's autolog (`mlflow.sklearn.autolog(log_models=False)`) fits a model
in a subprocess whose MLFLOW_TRACKING_URI names the server, and the params, metrics, tags
and training dataset it wrote are read back through tuitrack's own SQLite store. Needs
MLflow and scikit-learn (installed with MLflow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.tuitrack_server import TuitrackServer
from tests.server_processes import scrubbed_environment
from tuitrack.entities import RunStatus

pytest.importorskip("mlflow", reason="MLflow is not installed (tuitrack's dev extra has it)")
pytest.importorskip("sklearn", reason="scikit-learn is not installed (MLflow's extras have it)")

# The experiment's artifacts go straight to a local folder (MLflow's client writes them
# there itself), so the run's files are checked on disk whatever the server offers.
_TRAINING_SCRIPT = """
import json, sys
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

experiment_id = mlflow.create_experiment("sklearn autolog", artifact_location=sys.argv[1])
mlflow.sklearn.autolog(log_models=False)
features, labels = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=300, C=0.5)
with mlflow.start_run(experiment_id=experiment_id) as run:
    model.fit(features, labels)
print(json.dumps({
    "run_id": run.info.run_id,
    "params": {name: str(value) for name, value in model.get_params().items()},
    "training_score": model.score(features, labels),
}))
"""


def test_sklearn_autolog_logs_into_the_server_unchanged(tmp_path: Path) -> None:
    artifacts = tmp_path / "experiment-artifacts"
    with TuitrackServer(tmp_path / "server") as server:
        environment = scrubbed_environment() | {
            "MLFLOW_TRACKING_URI": server.url,
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        }
        trained = subprocess.run(
            [sys.executable, "-c", _TRAINING_SCRIPT, artifacts.as_uri()],
            check=False,
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert trained.returncode == 0, trained.stderr + server.log_tail()
        sent = json.loads(trained.stdout.strip().splitlines()[-1])
        store = server.open_store()
        try:
            run = store.get_run(sent["run_id"])
        finally:
            store.close()

    assert run.info.status == RunStatus.FINISHED
    assert run.data.params == sent["params"]
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    training_metrics = {key for key in run.data.metrics if key.startswith("training_")}
    assert {"training_score", "training_accuracy_score", "training_f1_score"} <= training_metrics
    assert run.data.metrics["training_score"] == pytest.approx(sent["training_score"])
    contexts = {
        tag.value
        for dataset_input in run.inputs.dataset_inputs
        for tag in dataset_input.tags
        if tag.key == "mlflow.data.context"
    }
    assert contexts == {"train"}
    assert run.info.artifact_uri.startswith(artifacts.as_uri())
    logged_files = {path.name for path in artifacts.rglob("*") if path.is_file()}
    assert "estimator.html" in logged_files
