"""Each MLflow fixture, copied once per session for reading and per test for writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mlflow.fixtures import NAMES, MlflowFixture, copy_fixture
from tuitrack import registry
from tuitrack.store import TrackingStore


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TUITRACK_TRACKING_URI", raising=False)
    monkeypatch.delenv("TUITRACK_ARTIFACT_URI", raising=False)


@pytest.fixture(scope="session", params=NAMES)
def mlflow_data(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MlflowFixture:
    """A shared, read-only copy: tests using it must not write."""
    return copy_fixture(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="session")
def mlflow_store(
    mlflow_data: MlflowFixture, tmp_path_factory: pytest.TempPathFactory
) -> TrackingStore:
    return registry.get_tracking_store(mlflow_data.uri, str(tmp_path_factory.mktemp("unused")))


@pytest.fixture(params=NAMES)
def writable_mlflow(request: pytest.FixtureRequest, tmp_path: Path) -> MlflowFixture:
    """A private copy a test may change."""
    return copy_fixture(request.param, tmp_path / request.param)
