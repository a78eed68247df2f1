"""The contract suite on tuitrack_rest talking to a `tuitrack server` subprocess over
SQLite: one server for the session, its store emptied (read directly, every row deleted)
before each test; each test gets a REST store opened anew from the server's URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.tuitrack_server import TuitrackServer, emptied_rest_stores
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
    artifacts = str(tmp_path_factory.mktemp("rest-artifacts"))
    yield from emptied_rest_stores(contract_server, artifacts)
