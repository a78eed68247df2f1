"""The contract suite on tuitrack_rest talking to `tuitrack server --workers 4` over
PostgreSQL (TUITRACK_TEST_POSTGRES_URL; skipped without it): one server and one fresh
database for the session, every row deleted before each test; each test gets a REST store
opened anew from the server's URL. Consecutive requests land on different workers, so
every test also checks that no worker keeps state of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import fresh_database, skip_reason
from tests.server.contract_postgres.workers_server import WorkersServer
from tests.server.tuitrack_server import emptied_rest_stores
from tuitrack.testing.plugin import *  # noqa: F403
from tuitrack.testing.plugin import StoreFactory

WORKERS = 4


@pytest.fixture(scope="session")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkersServer]:
    reason = skip_reason("postgresql")
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("contract-server-postgres")
    with (
        fresh_database("postgresql", root) as database_uri,
        WorkersServer(root, WORKERS, store_uri=database_uri) as running,
    ):
        yield running


# It replaces the plugin's placeholder fixture of the same name.
@pytest.fixture(scope="session")  # type: ignore[no-redef]
def tracking_store_factory(
    contract_server: WorkersServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreFactory]:
    artifacts = str(tmp_path_factory.mktemp("rest-artifacts"))
    yield from emptied_rest_stores(contract_server, artifacts)
