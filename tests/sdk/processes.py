"""Run SDK scripts in their own Python process against a throwaway store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tuitrack.entities import Run
from tuitrack.sdk.client import TrackingClient

REPO_ROOT = Path(__file__).resolve().parents[2]


class SdkSandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tracking_uri = f"sqlite:///{root / 'tracking.db'}"
        self.artifact_uri = str(root / "artifacts")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TUITRACK_", "MLFLOW_"))},
            "XDG_DATA_HOME": str(root / "xdg"),
            "TUITRACK_TRACKING_URI": self.tracking_uri,
            "TUITRACK_ARTIFACT_URI": self.artifact_uri,
            "TUITRACK_EXPERIMENT_NAME": "sdk-tests",
            "TUITRACK_CAPTURE_ENV": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self._client: TrackingClient | None = None

    @property
    def client(self) -> TrackingClient:
        if self._client is None:
            self._client = TrackingClient(self.tracking_uri, artifact_uri=self.artifact_uri)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def run(self, script: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            env={**self.env, **env},
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def spawn(self, script: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script)],
            env={**self.env, **env},
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_file(self, path: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(path)],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get_run(self, run_id: str) -> Run:
        return self.client.get_run(run_id)

    def metric_values(self, run_id: str, key: str) -> list[float]:
        return [m.value for m in self.client.get_metric_history(run_id, key)]


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    """Read the child's stdout until a line starts with `prefix`; return the rest of it."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    process.kill()
    _out, err = process.communicate()
    raise AssertionError(f"child never printed {prefix!r}; stderr:\n{err}")


def send_and_wait(process: subprocess.Popen[str], signum: signal.Signals) -> tuple[int, str]:
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    return process.returncode, err
