"""`STATE.reset()` gives tests a freshly imported SDK."""

from __future__ import annotations

import threading

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus
from tuitrack.core import config
from tuitrack.sdk.notices import notice_once
from tuitrack.sdk.state import STATE


def _sdk_threads() -> list[str]:
    names = ("tuitrack-writer", "tuitrack-heartbeat")
    return [thread.name for thread in threading.enumerate() if thread.name in names]


def test_reset_ends_runs_stores_their_data_and_forgets_everything(
    fluent_sandbox: SdkSandbox,
) -> None:
    run = tuitrack.start_run()
    for step in range(100):
        tuitrack.log_metric("loss", float(step), step=step)
    notice_once("reset-test", "said once")
    assert _sdk_threads()

    STATE.reset()

    stored = fluent_sandbox.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert fluent_sandbox.metric_values(run.info.run_id, "loss") == [float(s) for s in range(100)]
    assert tuitrack.active_run() is None
    assert tuitrack.last_active_run() is None
    assert tuitrack.get_tracking_uri() == config.default_tracking_uri()
    assert STATE.sessions == {}
    assert STATE.experiment_id is None
    assert notice_once("reset-test", "said again after a reset")
    for thread in threading.enumerate():
        if thread.name in ("tuitrack-writer", "tuitrack-heartbeat"):
            thread.join(5)
    assert _sdk_threads() == []
