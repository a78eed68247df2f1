"""MLflow's small fluent helpers (issue 16, item 5, first part): is_tracking_uri_set,
get_parent_run and flush_async_logging."""

from __future__ import annotations

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.core import config
from tuitrack.errors import NotFoundError
from tuitrack.sdk.state import STATE


def test_is_tracking_uri_set_by_the_call_or_the_variable(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tuitrack.is_tracking_uri_set()
    STATE.reset()
    monkeypatch.delenv(config.TRACKING_URI_ENV, raising=False)
    assert not tuitrack.is_tracking_uri_set()
    monkeypatch.setenv(config.TRACKING_URI_ENV, fluent_sandbox.tracking_uri)
    assert tuitrack.is_tracking_uri_set()


def test_get_parent_run_of_a_nested_run(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as parent, tuitrack.start_run(nested=True) as child:
        pass
    found = tuitrack.get_parent_run(child.info.run_id)
    assert found is not None
    assert found.info.run_id == parent.info.run_id
    assert tuitrack.get_parent_run(parent.info.run_id) is None
    with pytest.raises(NotFoundError):
        tuitrack.get_parent_run("0" * 32)


def test_flush_async_logging_stores_what_was_logged(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        for step in range(100):
            tuitrack.log_metric("loss", 1 / (step + 1), step=step)
        tuitrack.flush_async_logging()
        with tuitrack.MlflowClient(fluent_sandbox.tracking_uri) as reader:
            assert len(reader.get_metric_history(run.info.run_id, "loss")) == 100
