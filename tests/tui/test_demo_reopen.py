"""`tuitrack demo` builds its own store once, then reopens it; `--reset` rebuilds it, and a
build that did not finish is never reopened as if complete."""

from __future__ import annotations

import time

import pytest

import tuitrack.cli.demo
from tuitrack.cli.demo import DemoTicker
from tuitrack.cli.demo_folder import DemoFolder
from tuitrack.cli.main import main
from tuitrack.core import config
from tuitrack.core.store import now_ms
from tuitrack.sdk.client import TrackingClient


def demo(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, float]:
    """The first line `tuitrack demo --no-ui --small` writes on stderr, and its seconds."""
    started = time.perf_counter()
    code = main(["demo", "--no-ui", "--small", *argv])
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.err.splitlines()[0], seconds


def run_ids(folder: DemoFolder) -> set[str]:
    with TrackingClient(folder.tracking_uri, artifact_uri=folder.artifact_uri) as client:
        ids = [e.experiment_id for e in client.search_experiments()]
        return {run.info.run_id for run in client.search_runs(ids, max_results=1000)}


def test_demo_reopens_its_store_and_rebuilds_it_on_reset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = DemoFolder(config.data_dir() / "demo")
    first, build_seconds = demo(capsys)
    assert first.startswith(f"Building the demo store {folder.tracking_uri} (first use)")
    built = run_ids(folder)
    again, reopen_seconds = demo(capsys)
    assert again.startswith(f"Reopening the demo store {folder.tracking_uri} (built ")
    assert "--reset" in again
    assert run_ids(folder) == built  # the same store, not a rebuilt one
    assert reopen_seconds < build_seconds
    # Its live runs beat as soon as the demo opens, not only after a first tick.
    built_demo = folder.built()
    assert built_demo is not None
    live = built_demo.summary.running_run_ids
    with TrackingClient(folder.tracking_uri, artifact_uri=folder.artifact_uri) as client:
        opened = now_ms()
        ticker = DemoTicker(client, live, interval_s=60)
        ticker.start()
        ticker.stop()
        beats = [client.get_run(run_id).info.heartbeat_time or 0 for run_id in live]
    assert live
    assert min(beats) >= opened
    reset, _ = demo(capsys, "--reset")
    assert reset.startswith(f"Building the demo store {folder.tracking_uri} (--reset)")
    assert run_ids(folder).isdisjoint(built)
    # The full demo is another store: asking for it rebuilds.
    assert folder.rebuild_reason("full", reset=False) == "it holds the small demo"


def test_an_interrupted_build_is_rebuilt_not_reopened(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = DemoFolder(config.data_dir() / "demo")
    real_write = tuitrack.cli.demo._Writer.write
    written = 0

    def interrupted(self: tuitrack.cli.demo._Writer, *args: object, **kwargs: object) -> None:
        nonlocal written
        written += 1
        if written > 3:  # Ctrl-C a few runs into the build
            raise KeyboardInterrupt
        real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tuitrack.cli.demo._Writer, "write", interrupted)
    assert main(["demo", "--no-ui", "--small"]) == 130
    monkeypatch.setattr(tuitrack.cli.demo._Writer, "write", real_write)
    assert folder.path.joinpath("tuitrack.db").exists()
    capsys.readouterr()
    first, _ = demo(capsys)
    assert first.startswith(
        f"Building the demo store {folder.tracking_uri} (no record that its last"
    )
    with TrackingClient(folder.tracking_uri, artifact_uri=folder.artifact_uri) as client:
        names = {experiment.name for experiment in client.search_experiments()}
        assert len(names - {"Default"}) == 5  # and MLflow's Default, in every store
