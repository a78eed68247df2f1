"""Isolated stores for SDK tests: nothing touches ~/.local/share or the user's config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.sdk.state import STATE


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    """A fresh SQLite store and artifact folder for scripts run as subprocesses."""
    box = SdkSandbox(tmp_path)
    yield box
    box.close()


@pytest.fixture
def fluent_sandbox(sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[SdkSandbox]:
    """The same store for the fluent API in this process; open runs end afterwards."""
    for name, value in sandbox.env.items():
        if name.startswith(("TUITRACK_", "MLFLOW_", "XDG_")):
            monkeypatch.setenv(name, value)
    tuitrack.set_tracking_uri(sandbox.tracking_uri)
    tuitrack.set_artifact_uri(sandbox.artifact_uri)
    tuitrack.set_experiment("sdk-tests")
    yield sandbox
    STATE.reset()
