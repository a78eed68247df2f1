"""A real `tuitrack server` subprocess for tests: a temporary SQLite store and artifact
folder, on a free 127.0.0.1 port.

    with TuitrackServer(tmp_path) as server:
        httpx.get(f"{server.url}/health")
        store = server.open_store()  # the same SQLite store, read directly

The server runs in its own session (Ctrl-C in the terminal does not reach it) and is
stopped with its whole process group when the `with` block ends, and at interpreter exit
as a last resort (see tests/server_processes.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete

from tests.server_processes import ServerProcess, ServerProcessError, scrubbed_environment
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import StoreFactory


class TuitrackServerError(ServerProcessError):
    """The server did not start; the message carries its log."""


class TuitrackServer(ServerProcess):
    name = "tuitrack server"
    error_type = TuitrackServerError
    start_timeout_seconds = 60.0
    stop_grace_seconds = 5.0

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(root)
        self.store_uri = f"sqlite:///{root / 'tuitrack.db'}"
        self.artifact_root = str(root / "artifacts")

    def command(self) -> list[str]:
        return [
            sys.executable,
            *("-m", "tuitrack.cli", "server"),
            *("--backend-store-uri", self.store_uri),
            *("--default-artifact-root", self.artifact_root),
            *("--host", "127.0.0.1"),
            *("--port", str(self.port)),
        ]

    def environment(self) -> dict[str, str]:
        return scrubbed_environment() | {"XDG_DATA_HOME": str(self.root / "data")}

    def open_store(self) -> TrackingStore:
        """The server's store, opened directly (not through the server)."""
        return registry.get_tracking_store(self.store_uri, self.artifact_root)


def emptied_rest_stores(server: TuitrackServer, artifact_root: str) -> Iterator[StoreFactory]:
    """The contract suite's `tracking_store_factory` over `server`: each call deletes every
    row of the server's store (read directly) and opens a REST store anew from its URL.
    A generator for a session fixture to `yield from`: it closes them all at the end."""
    from tuitrack_sql import schema

    direct = server.open_store()
    opened: list[TrackingStore] = []

    def emptied() -> TrackingStore:
        while opened:
            opened.pop().close()
        with direct.engine.begin() as connection:  # type: ignore[attr-defined]
            for table in reversed(schema.metadata.sorted_tables):
                connection.execute(delete(table))
        store = registry.get_tracking_store(server.url, artifact_root)
        opened.append(store)
        return store

    yield emptied
    while opened:
        opened.pop().close()
    direct.close()
