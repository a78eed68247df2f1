"""Real MLflow in this process, for tests that compare tuitrack's output with MLflow's.

A test module imports both fixtures (`mlflow_root_fixture`, `real_mlflow_fixture`) and
asks for `real_mlflow`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

URI_VARIABLE = "MLFLOW_TRACKING_URI"
EXPERIMENT_VARIABLE = "MLFLOW_EXPERIMENT_ID"


@pytest.fixture(scope="module", name="mlflow_root")
def mlflow_root_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An MLflow SQLite store, created once per test module (its migrations take a while).

    MLflow's set_tracking_uri also sets MLFLOW_TRACKING_URI in os.environ, which tuitrack
    honours: the variable is put back as it was at once, and MLflow's URI unset after."""
    mlflow = pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow")
    before = os.environ.get(URI_VARIABLE)
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    _restore(before)
    # MLflow fixes a new store's default artifact root (./mlruns) from the working
    # directory when it first opens the store: open it here, so that experiments made
    # without a location keep their artifacts under root, not in the repository.
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        mlflow.MlflowClient().search_experiments()
    yield root
    mlflow.set_tracking_uri(None)
    _restore(before)


def _restore(value: str | None) -> None:
    if value is None:
        os.environ.pop(URI_VARIABLE, None)
    else:
        os.environ[URI_VARIABLE] = value


@pytest.fixture(name="real_mlflow")
def real_mlflow_fixture(
    mlflow_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """MLflow, logging synchronously into a new experiment of its own (artifacts under
    tmp_path/mlflow-artifacts)."""
    import mlflow

    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    name = f"compare-{uuid.uuid4().hex[:8]}"
    mlflow.create_experiment(name, artifact_location=str(tmp_path / "mlflow-artifacts"))
    # MLflow's set_experiment also sets MLFLOW_EXPERIMENT_ID, which tuitrack honours.
    monkeypatch.setenv(EXPERIMENT_VARIABLE, "")  # restored as it was after the test
    mlflow.set_experiment(name)
    os.environ.pop(EXPERIMENT_VARIABLE, None)
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()
