"""A `tuitrack server --workers N` subprocess over a given store (SQLite or a database
server), on a free 127.0.0.1 port, for tests of several workers over one store."""

from __future__ import annotations

from pathlib import Path

from tests.server.tuitrack_server import TuitrackServer


class WorkersServer(TuitrackServer):
    name = "tuitrack server --workers"

    def __init__(self, root: Path, workers: int, store_uri: str | None = None) -> None:
        super().__init__(root)
        self.workers = workers
        if store_uri is not None:
            self.store_uri = store_uri

    def command(self) -> list[str]:
        return [*super().command(), "--workers", str(self.workers)]
