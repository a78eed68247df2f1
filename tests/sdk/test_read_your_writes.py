"""Reads see this process's writes (issue 16, item 6): get_run, search_runs,
get_metric_history (fluent, and a client on the same store) and the run start_run(run_id=...)
returns reflect everything logged before the call, although logging only queues; a read
with nothing queued does not wait for the writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.sdk.settings import FLUSH_INTERVAL_ENV
from tuitrack.sdk.state import STATE


@pytest.fixture
def idle_writer(sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[SdkSandbox]:
    """The fluent API on the sandbox's store, its writer writing only when asked: what a
    test logs stays queued until a read stores it."""
    for name, value in sandbox.env.items():
        if name.startswith(("TUITRACK_", "XDG_")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv(FLUSH_INTERVAL_ENV, "3600")
    tuitrack.set_tracking_uri(sandbox.tracking_uri)
    tuitrack.set_artifact_uri(sandbox.artifact_uri)
    tuitrack.set_experiment("read-your-writes")
    yield sandbox
    STATE.reset()


def _stored_metrics(sandbox: SdkSandbox, run_id: str) -> dict[str, float]:
    """The run's metrics as the store holds them now (the store itself: no flush)."""
    return dict(sandbox.client.store.get_run(run_id).data.metrics)


def _log_queued(sandbox: SdkSandbox) -> str:
    run_id = tuitrack.active_run().info.run_id  # type: ignore[union-attr]
    for step in range(5):
        tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
    tuitrack.log_param("lr", 0.1)
    tuitrack.set_tag("phase", "train")
    assert _stored_metrics(sandbox, run_id) == {}  # still queued
    return run_id


def test_get_run_reflects_what_was_just_logged(idle_writer: SdkSandbox) -> None:
    with tuitrack.start_run():
        run_id = _log_queued(idle_writer)
        data = tuitrack.get_run(run_id).data
        assert data.metrics == {"loss": 0.2}
        assert data.params["lr"] == "0.1"
        assert data.tags["phase"] == "train"


def test_search_runs_finds_what_was_just_logged(idle_writer: SdkSandbox) -> None:
    with tuitrack.start_run():
        run_id = _log_queued(idle_writer)
        found = tuitrack.search_runs(filter_string="metrics.loss < 0.5 and params.lr = '0.1'")
        assert list(found["run_id"]) == [run_id]
        assert list(found["tags.phase"]) == ["train"]


def test_a_client_on_the_same_store_reads_the_whole_history(idle_writer: SdkSandbox) -> None:
    with tuitrack.start_run():
        run_id = _log_queued(idle_writer)
        client = tuitrack.MlflowClient(idle_writer.tracking_uri)
        history = client.get_metric_history(run_id, "loss")
        assert [point.step for point in history] == [0, 1, 2, 3, 4]
        tuitrack.log_metric("loss", 0.1, step=5)
        assert client.get_run(run_id).data.metrics["loss"] == 0.1
        tuitrack.log_metric("loss", 0.05, step=6)
        assert [p.value for p in client.iter_metric_history(run_id, "loss")][-1] == 0.05


def test_resuming_a_run_returns_it_with_everything_logged_and_the_new_tags(
    idle_writer: SdkSandbox,
) -> None:
    with tuitrack.start_run() as first:
        pass
    run_id = first.info.run_id
    tuitrack.log_metric("late", 3.0, run_id=run_id)  # queued for a run not active
    tuitrack.set_tag("source", "queue", run_id=run_id)
    assert "late" not in _stored_metrics(idle_writer, run_id)
    with tuitrack.start_run(run_id=run_id, tags={"resumed": "yes"}) as resumed:
        assert resumed.data.metrics["late"] == 3.0
        assert resumed.data.tags["source"] == "queue"
        assert resumed.data.tags["resumed"] == "yes"
        assert resumed.info.status == "RUNNING"


def _counting_flushes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the writer's flushes from now on (each still flushes)."""
    session = next(iter(STATE.sessions.values()))
    writer = session.started_writer()
    flush: Callable[..., Any] = writer.flush
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return flush(*args, **kwargs)

    monkeypatch.setattr(writer, "flush", counted)
    return calls


def test_a_read_with_nothing_queued_does_not_wait_for_the_writer(
    idle_writer: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("loss", 1.0)
        flushes = _counting_flushes(monkeypatch)
        tuitrack.get_run(run.info.run_id)
        assert len(flushes) == 1
        for _ in range(3):
            tuitrack.get_run(run.info.run_id)
            tuitrack.search_runs(output_format="list")
        assert len(flushes) == 1
