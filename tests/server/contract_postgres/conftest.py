"""The contract suite on tuitrack_rest talking to `tuitrack server --workers 4` over
PostgreSQL (TUITRACK_TEST_POSTGRES_URL; skipped without it): one server and one fresh
database for the session, every row deleted before each test; each test gets a REST store
opened anew from the server's URL. Consecutive requests land on different workers, so
every test also checks that no worker keeps state of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from tests.databases import fresh_database, skip_reason
from tests.server.contract_postgres.workers_server import WorkersServer
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
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
    from tuitrack_sql import schema

    direct = contract_server.open_store()
    artifacts = str(tmp_path_factory.mktemp("rest-artifacts"))
    opened: list[TrackingStore] = []

    def emptied() -> TrackingStore:
        while opened:
            opened.pop().close()
        with direct.engine.begin() as connection:  # type: ignore[attr-defined]
            for table in reversed(schema.metadata.sorted_tables):
                connection.execute(delete(table))
        store = registry.get_tracking_store(contract_server.url, artifacts)
        opened.append(store)
        return store

    yield emptied
    while opened:
        opened.pop().close()
    direct.close()
