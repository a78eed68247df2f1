"""Each MLflow fixture, copied once per session for reading and per test for writing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mlflow.fixtures import NAMES, MlflowFixture, copy_fixture
from tests.mlflow.servers import SERVER_NAMES, server_fixture, server_skip_reason
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TUITRACK_TRACKING_URI", raising=False)
    monkeypatch.delenv("TUITRACK_ARTIFACT_URI", raising=False)


@pytest.fixture(scope="session", params=[*NAMES, *SERVER_NAMES])
def mlflow_data(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowFixture]:
    """A shared, read-only copy: tests using it must not write. The server ones are the
    mlflow3_sqlite fixture in MLflow's PostgreSQL / MySQL schema (see servers.py)."""
    name: str = request.param
    if name not in SERVER_NAMES:
        yield copy_fixture(name, tmp_path_factory.mktemp(name))
        return
    reason = server_skip_reason(name)
    if reason:
        pytest.skip(reason)
    with server_fixture(name, tmp_path_factory.mktemp(name)) as fixture:
        yield fixture


@pytest.fixture(scope="session")
def mlflow_store(
    mlflow_data: MlflowFixture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    store = registry.get_tracking_store(mlflow_data.uri, str(tmp_path_factory.mktemp("unused")))
    yield store
    store.close()  # before a server fixture drops its database


@pytest.fixture(params=NAMES)
def writable_mlflow(request: pytest.FixtureRequest, tmp_path: Path) -> MlflowFixture:
    """A private copy a test may change."""
    return copy_fixture(request.param, tmp_path / request.param)
