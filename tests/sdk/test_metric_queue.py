"""The writer's metric queue: plain fields the collector does not track, cut back into each
run's points in the order they were logged."""

from __future__ import annotations

import gc

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.sdk.run_stack import visible_runs


def test_queued_points_hold_nothing_the_collector_tracks(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUITRACK_FLUSH_INTERVAL_SECONDS", "60")  # the writer leaves them
    with tuitrack.start_run():
        for step in range(1000):  # below the writer's early-write mark
            tuitrack.log_metric("loss", 0.5, step=step)
            tuitrack.log_metrics({"a": 1.0, "b": 2}, step=step, timestamp=1_700_000_000_000)
        queued = list(visible_runs()[-1].writer.metrics)
        assert len(queued) == 3000 * 5
        assert not any(map(gc.is_tracked, queued))


def test_interleaved_runs_keep_their_points_apart_and_in_order(
    fluent_sandbox: SdkSandbox,
) -> None:
    with tuitrack.start_run() as parent, tuitrack.start_run(nested=True) as child:
        for step in range(2000):
            tuitrack.log_metric("loss", float(step), step=step)  # the child, the active run
            tuitrack.log_metric("loss", float(-step), step=step, run_id=parent.info.run_id)
            tuitrack.log_metrics(
                {"acc": step / 2000, "lr": 0.1},
                step=step,
                timestamp=1_700_000_000_000 + step,
                run_id=parent.info.run_id,
            )
    client = fluent_sandbox.client
    assert fluent_sandbox.metric_values(child.info.run_id, "loss") == [
        float(s) for s in range(2000)
    ]
    assert fluent_sandbox.metric_values(parent.info.run_id, "loss") == [
        float(-s) for s in range(2000)
    ]
    acc = client.get_metric_history(parent.info.run_id, "acc")
    assert [(m.step, m.value, m.timestamp) for m in acc] == [
        (s, s / 2000, 1_700_000_000_000 + s) for s in range(2000)
    ]
    assert "acc" not in client.get_run(child.info.run_id).data.metrics
