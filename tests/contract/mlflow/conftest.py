"""The contract suite on tuitrack_mlflow: MLflow 3's SQL store on SQLite, PostgreSQL and
MariaDB, and MLflow 2's mlruns folder. These stores create no runs, so the suite's reading
tests check the fixtures' data and its writing tests skip, naming what MLflow stores lack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mlflow.fixtures import copy_fixture
from tests.mlflow.servers import SERVER_NAMES, server_fixture, server_skip_reason
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import StoreFactory

KINDS = ("mlflow3_sqlite", "mlflow3_postgresql", "mlflow3_mysql", "mlflow2_mlruns")


@pytest.fixture(scope="session", params=KINDS)
def mlflow_contract_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    """A copy of the fixture of its own: the suite writes tags and closes runs in it."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(name)
    artifacts = str(tmp_path_factory.mktemp("unused"))
    if name not in SERVER_NAMES:
        store = registry.get_tracking_store(copy_fixture(name, folder).uri, artifacts)
        yield store
        store.close()
        return
    reason = server_skip_reason(name)
    if reason:
        pytest.skip(reason)
    with server_fixture(name, folder) as fixture:
        store = registry.get_tracking_store(fixture.uri, artifacts)
        yield store
        store.close()  # before the server fixture drops its database


@pytest.fixture(scope="session")
def tracking_store_factory(mlflow_contract_store: TrackingStore) -> StoreFactory:
    return lambda: mlflow_contract_store
