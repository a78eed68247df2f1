"""One `tuitrack server` per test module (it takes a second or two to start), over a
temporary SQLite store; tests read that store directly to check what the server wrote."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.tuitrack_server import TuitrackServer
from tuitrack.core.store import TrackingStore


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TuitrackServer]:
    with TuitrackServer(tmp_path_factory.mktemp("tuitrack-server")) as running:
        yield running


@pytest.fixture(scope="module")
def store(server: TuitrackServer) -> Iterator[TrackingStore]:
    """The server's store, opened directly in this process."""
    opened = server.open_store()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def http(server: TuitrackServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
