"""Real MLflow in this process, for tests that compare tuitrack's output with MLflow's.

A test module imports both fixtures (`mlflow_root_fixture`, `real_mlflow_fixture`) and
asks for `real_mlflow`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="module", name="mlflow_root")
def mlflow_root_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store, created once per test module (its migrations take a while)."""
    mlflow = pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    return root


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
    mlflow.set_experiment(name)
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()
