"""Data the store refuses for good is dropped with one warning; the rest is still stored."""

from __future__ import annotations

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox


def test_logging_to_a_run_deleted_meanwhile_warns_once_and_never_raises(
    fluent_sandbox: SdkSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    doomed = tuitrack.start_run()
    tuitrack.log_metric("loss", 1.0)
    tuitrack.flush()
    fluent_sandbox.client.delete_run(doomed.info.run_id)  # e.g. from the TUI
    for step in range(3):
        tuitrack.log_metric("loss", 0.5, step=step)
        tuitrack.flush()
    tuitrack.end_run()
    with tuitrack.start_run() as healthy:
        tuitrack.log_metric("loss", 0.25)
    assert fluent_sandbox.metric_values(doomed.info.run_id, "loss") == [1.0]
    assert fluent_sandbox.metric_values(healthy.info.run_id, "loss") == [0.25]
    err = capfd.readouterr().err
    assert err.count(f"the store refused data of run {doomed.info.run_id}") == 1


def test_a_param_set_elsewhere_is_refused_alone(
    fluent_sandbox: SdkSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    with tuitrack.start_run() as run:
        fluent_sandbox.client.log_param(run.info.run_id, "seed", 1)  # another process
        tuitrack.log_params({"seed": 2, "lr": 0.1, "layers": 3})
        tuitrack.set_tag("kept", "yes")
    data = tuitrack.get_run(run.info.run_id).data
    assert data.params == {"seed": "1", "lr": "0.1", "layers": "3"}
    assert data.tags["kept"] == "yes"
    assert "'seed'" in capfd.readouterr().err
