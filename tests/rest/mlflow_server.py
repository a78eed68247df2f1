"""A real `mlflow server` for the REST backend's tests: SQLite backend store, local artifact
folder served through the server (`--serve-artifacts`), on a free 127.0.0.1 port.

    with MlflowServer() as server:
        store = registry.get_tracking_store(server.url, artifact_root)
        ...
        server.empty()  # back to MLflow's Default experiment alone

The server runs in a session of its own (Ctrl-C in the terminal does not reach it) under a
small watchdog that stops it when the process that started it is gone, even when that one was
killed without a chance to clean up. `stop()` (also at the `with` block's end and at
interpreter exit) stops the whole process group and removes the server's folder.

This file is also the watchdog's script: `python mlflow_server.py <owner pid> <command...>`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.server_processes import ServerProcess, ServerProcessError, scrubbed_environment

_STOP_GRACE_SECONDS = 2.0
_WATCH_INTERVAL_SECONDS = 0.5
# Rows MLflow writes when it builds its schema (the Default experiment, the default
# workspace) are put back by `empty()`; the schema's revision is never touched.
_KEPT_TABLES = frozenset({"alembic_version"})


class MlflowServerError(ServerProcessError):
    """The server did not start, or did not take a change; the message says why."""


# MLflow's job runner (GenAI scoring, trace archival) starts seven huey consumer processes
# that each load MLflow, cost seconds of CPU at every start, and make the Default experiment
# again behind `empty()`'s back. The tracking API needs none of it.
_SERVER_SETTINGS = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


class MlflowServer(ServerProcess):
    """One `mlflow server` owned by this process, in a temporary folder of its own."""

    name = "mlflow server"
    error_type = MlflowServerError
    start_timeout_seconds = 90.0
    stop_grace_seconds = _STOP_GRACE_SECONDS

    def __init__(self, root: Path | None = None, *, filled: bool = False) -> None:
        """`filled`: its database is written at `database_path` before it starts (a
        benchmark's), so it is not checked to hold only the Default experiment, and
        `empty()` is not for it."""
        super().__init__(Path(tempfile.mkdtemp(prefix="tuitrack-mlflow-server-", dir=root)))
        self.database_path = self.root / "mlflow.db"
        self.artifacts_path = self.root / "artifacts"
        self.filled = filled
        self._baseline: dict[str, list[tuple[object, ...]]] = {}

    # --- lifecycle ---------------------------------------------------------------------

    def command(self) -> list[str]:
        mlflow = shutil.which("mlflow") or "mlflow"
        return [
            mlflow,
            "server",
            *("--backend-store-uri", f"sqlite:///{self.database_path}"),
            *("--artifacts-destination", str(self.artifacts_path)),
            "--serve-artifacts",
            *("--host", "127.0.0.1"),
            *("--port", str(self.port)),
            *("--workers", "1"),
        ]

    def launch_command(self) -> list[str]:
        """The server under this file's watchdog."""
        watchdog = [sys.executable, str(Path(__file__).resolve()), str(os.getpid())]
        return [*watchdog, *self.command()]

    def environment(self) -> dict[str, str]:
        return scrubbed_environment() | _SERVER_SETTINGS

    def wait_until_ready(self) -> None:
        super().wait_until_ready()
        if self.filled:
            return
        # The server opens its store at the first API request, and makes the Default
        # experiment then when there is none: ask once, so that `empty()` finds it made.
        self._check_experiments(["0"])
        self._baseline = self._read_rows()

    def stop(self) -> None:
        """Stop the server's whole process group (SIGTERM, then SIGKILL) and remove its
        folder. Safe to call more than once."""
        super().stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- data --------------------------------------------------------------------------

    def empty(self, keep_default_experiment: bool = True) -> None:
        """Delete every row of MLflow's tables, keeping only what MLflow wrote when it
        made its schema (the Default experiment "0", unless `keep_default_experiment` is
        False: the contract suite starts from no experiment at all); remove the stored
        artifacts. The server keeps no cache of these rows: checked by asking it for its
        experiments."""
        with self._database() as connection:
            for table in self._tables(connection):
                connection.execute(f'DELETE FROM "{table}"')
                for row in self._baseline.get(table, []):
                    if table == "experiments" and not keep_default_experiment:
                        continue
                    marks = ", ".join("?" * len(row))
                    connection.execute(f'INSERT INTO "{table}" VALUES ({marks})', row)
        for child in self.artifacts_path.glob("*"):
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        self._check_experiments(["0"] if keep_default_experiment else [])

    def _check_experiments(self, expected: list[str]) -> None:
        answer = self.get_json(
            "/api/2.0/mlflow/experiments/search",
            {"max_results": "10", "view_type": "ALL"},
        )
        ids = [experiment["experiment_id"] for experiment in answer.get("experiments", [])]
        if ids != expected:
            raise MlflowServerError(
                f"mlflow server on {self.url} lists experiments {ids} after its database "
                f"{self.database_path} was emptied (expected {expected})"
            )

    def get_json(self, endpoint: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET one of the server's JSON endpoints (for the harness's own checks)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{endpoint}{query}", timeout=10) as answer:
            data: dict[str, Any] = json.loads(answer.read())
            return data

    def _database(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return _transaction(self.database_path)

    @staticmethod
    def _tables(connection: sqlite3.Connection) -> list[str]:
        names = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [name for (name,) in names if name not in _KEPT_TABLES]

    def _read_rows(self) -> dict[str, list[tuple[object, ...]]]:
        """The rows of each table now (after MLflow built its schema)."""
        with self._database() as connection:
            rows = {
                table: connection.execute(f'SELECT * FROM "{table}"').fetchall()
                for table in self._tables(connection)
            }
        return {table: found for table, found in rows.items() if found}


@contextmanager
def _transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction on the server's SQLite file, waiting while the server writes."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    finally:
        connection.close()


class _SharedServer:
    """The one server of this process that several fixtures hold at once."""

    server: MlflowServer | None = None
    holders = 0


@contextmanager
def shared_server(parent: Path | None = None) -> Iterator[MlflowServer]:
    """This process's shared server: started by the first holder (in a folder under
    `parent`), stopped when the last one lets go. Fixtures of several conftest files get
    one server this way, not one each."""
    server = _SharedServer.server
    if server is None:
        server = MlflowServer(parent)
        server.start()
        _SharedServer.server = server
    _SharedServer.holders += 1
    try:
        yield server
    finally:
        _SharedServer.holders -= 1
        if _SharedServer.holders == 0:
            _SharedServer.server = None
            server.stop()


def _watch(owner_pid: int, command: list[str]) -> int:
    """Run `command` in this process group; when `owner_pid` is gone, stop the group and
    remove the server's folder (this process's working directory)."""
    # The group's SIGTERM is for the server. A handler (not SIG_IGN, which a child would
    # inherit) keeps this process alive to SIGKILL what is left.
    signal.signal(signal.SIGTERM, lambda number, frame: None)
    server = subprocess.Popen(command)
    while server.poll() is None:
        if os.getppid() != owner_pid:
            os.killpg(0, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(_STOP_GRACE_SECONDS)
            shutil.rmtree(Path.cwd(), ignore_errors=True)  # the server's folder
            os.killpg(0, signal.SIGKILL)
        time.sleep(_WATCH_INTERVAL_SECONDS)
    return server.returncode


if __name__ == "__main__":
    sys.exit(_watch(int(sys.argv[1]), sys.argv[2:]))
