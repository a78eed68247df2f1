"""Servers that tests run as subprocesses: on a free 127.0.0.1 port, in a session of their
own (Ctrl-C in the terminal does not reach them), ready once `GET {url}/health` answers 200,
and stopped with their whole process group (SIGTERM, then SIGKILL) when the `with` block
ends, and at interpreter exit as a last resort.

    class EchoServer(ServerProcess):
        name = "echo server"
        def command(self) -> list[str]:
            return ["echo-server", "--port", str(self.port)]

    with EchoServer(folder) as server:
        httpx.get(server.url)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Self

_HEALTH_POLL_SECONDS = 0.1
_running: set[ServerProcess] = set()


class ServerProcessError(RuntimeError):
    """The server did not start; the message says why and ends with its log's last lines."""


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on now (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrubbed_environment() -> dict[str, str]:
    """This process's environment without MLflow's and tuitrack's variables, so that the
    test process's settings (a tracking URI, a token, ...) never reach a server."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MLFLOW_", "_MLFLOW_", "TUITRACK_"))
    }


def launch_in_own_session(
    command: list[str],
    cwd: Path,
    log_path: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new session and process group, its output
    appended to `log_path`; `env` None keeps this process's environment."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            user=user,
            start_new_session=True,
        )


def read_log_tail(log_path: Path, lines: int) -> str:
    """The last `lines` lines of a server's log, or a note that there is none."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:])


def stop_group(process: subprocess.Popen[bytes], grace_seconds: float) -> None:
    """SIGTERM the process group `process` leads, then SIGKILL what is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace_seconds)
    # What the leader started may outlive it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class ServerProcess(ABC):
    """One server subprocess owned by this process, run in `root` and logging to
    `root/server.log`. Subclasses give its `command()` and the settings below."""

    name: str  # for messages: "mlflow server"
    error_type: type[ServerProcessError] = ServerProcessError
    start_timeout_seconds: float
    stop_grace_seconds: float

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log_path = root / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @abstractmethod
    def command(self) -> list[str]:
        """The server's command line."""

    def launch_command(self) -> list[str]:
        """What is run: the server's command, or a wrapper around it."""
        return self.command()

    def environment(self) -> dict[str, str]:
        return scrubbed_environment()

    def wait_until_ready(self) -> None:
        """Wait until the server answers /health (or raise with its log); a subclass may
        wait for more. When this raises, `start()` stops the server."""
        deadline = time.monotonic() + self.start_timeout_seconds
        problem = "it did not answer"
        while time.monotonic() < deadline:
            if not self.is_running():
                problem = "it exited"
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
                    problem = f"GET /health answered {answer.status}"
            except (urllib.error.URLError, OSError) as error:
                problem = f"GET /health failed: {error}"
            time.sleep(_HEALTH_POLL_SECONDS)
        else:
            problem = f"no answer within {self.start_timeout_seconds:.0f} s ({problem})"
        raise self.error_type(
            f"{self.name} on {self.url} did not start: {problem}; "
            f"its log {self.log_path} ends with:\n{self.log_tail()}"
        )

    def start(self) -> None:
        """Start the server and wait until it answers /health (or stop it and raise with
        its log)."""
        self.process = launch_in_own_session(
            self.launch_command(), self.root, self.log_path, env=self.environment()
        )
        _running.add(self)
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server's whole process group. Safe to call more than once."""
        process, self.process = self.process, None
        _running.discard(self)
        if process is not None:
            stop_group(process, self.stop_grace_seconds)

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        return read_log_tail(self.log_path, lines)


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.stop()
