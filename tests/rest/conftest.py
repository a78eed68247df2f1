"""Fixtures of the REST backend's tests: one real `mlflow server` per test process (per
pytest-xdist worker), started when a test first asks for it and stopped at the session's
end, Ctrl-C included (and by its watchdog if this process is killed outright)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator

import pytest

from tests.rest.mlflow_server import MlflowServer, shared_server

MLFLOW_MISSING = (
    "MLflow is not installed (`mlflow` not importable or its `mlflow` command not on PATH): "
    "install tuitrack's dev extra to run the tests against a real `mlflow server`"
)


def mlflow_missing_reason() -> str | None:
    """Why a real `mlflow server` cannot be started here, or None when it can."""
    if importlib.util.find_spec("mlflow") is None or shutil.which("mlflow") is None:
        return MLFLOW_MISSING
    return None


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A running `mlflow server` shared by this process's tests (the contract suite's
    too); each test that writes starts from `empty_mlflow_server` instead."""
    reason = mlflow_missing_reason()
    if reason:
        pytest.skip(reason)
    with shared_server(tmp_path_factory.getbasetemp()) as server:
        yield server


@pytest.fixture
def empty_mlflow_server(mlflow_server: MlflowServer) -> MlflowServer:
    """The shared server, emptied: only MLflow's Default experiment "0" is left."""
    mlflow_server.empty()
    return mlflow_server
