"""A real `tuitrack server` subprocess for tests: a temporary SQLite store and artifact
folder, on a free 127.0.0.1 port.

    with TuitrackServer(tmp_path) as server:
        httpx.get(f"{server.url}/health")
        store = server.open_store()  # the same SQLite store, read directly

The server runs in its own session (Ctrl-C in the terminal does not reach it) and is
stopped with its whole process group when the `with` block ends, and at interpreter exit
as a last resort.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.private_servers import free_port
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore

_START_TIMEOUT_SECONDS = 60.0
_STOP_GRACE_SECONDS = 5.0
_running: set[TuitrackServer] = set()


class TuitrackServerError(RuntimeError):
    """The server did not start; the message carries its log."""


def _environment() -> dict[str, str]:
    """This process's environment without MLflow's and tuitrack's variables."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MLFLOW_", "_MLFLOW_", "TUITRACK_"))
    }


class TuitrackServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.store_uri = f"sqlite:///{root / 'tuitrack.db'}"
        self.artifact_root = str(root / "artifacts")
        self.log_path = root / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TuitrackServer:
        self.start()
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def command(self) -> list[str]:
        return [
            sys.executable,
            *("-m", "tuitrack.cli", "server"),
            *("--backend-store-uri", self.store_uri),
            *("--default-artifact-root", self.artifact_root),
            *("--host", "127.0.0.1"),
            *("--port", str(self.port)),
        ]

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env={**_environment(), "XDG_DATA_HOME": str(self.root / "data")},
                start_new_session=True,
            )
        _running.add(self)
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        problem = "it did not answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                problem = "it exited"
                break
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError as error:
                problem = f"GET /health failed: {error}"
            time.sleep(0.1)
        log = self.log_path.read_text(errors="replace")[-4000:]
        raise TuitrackServerError(f"tuitrack server on {self.url} did not start: {problem}\n{log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        _running.discard(self)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def open_store(self) -> TrackingStore:
        """The server's store, opened directly (not through the server)."""
        return registry.get_tracking_store(self.store_uri, self.artifact_root)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
