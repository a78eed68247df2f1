"""The contract suite on tuitrack_rest talking to a `tuitrack server` subprocess over
SQLite: one server for the session, its store emptied (read directly, every row deleted)
before each test; each test gets a REST store opened anew from the server's URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from tests.server.tuitrack_server import TuitrackServer
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import *  # noqa: F403
from tuitrack.testing.plugin import StoreFactory


@pytest.fixture(scope="session")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TuitrackServer]:
    with TuitrackServer(tmp_path_factory.mktemp("contract-server")) as running:
        yield running


# It replaces the plugin's placeholder fixture of the same name.
@pytest.fixture(scope="session")  # type: ignore[no-redef]
def tracking_store_factory(
    contract_server: TuitrackServer, tmp_path_factory: pytest.TempPathFactory
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
