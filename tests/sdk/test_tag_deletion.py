"""delete_tag and delete_experiment_tag, fluent and client (issue 16, item 5): the same
calls made with real MLflow and with tuitrack leave the same tags and fail the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.errors import NotFoundError, ReadOnlyError

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def mlflow_store(tmp_path: Path) -> Iterator[str]:
    """Real MLflow's fluent API on a database of its own; its runs end afterwards."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def _tags_after_deleting(tool: ModuleType) -> dict[str, Any]:
    """Tags set and deleted through `tool`'s fluent API and client, and how a missing tag
    fails: the user's tags left on the run and on the experiment."""
    experiment_id = tool.set_experiment("tag-deletion").experiment_id
    client = tool.MlflowClient()
    client.set_experiment_tag(experiment_id, "owner", "ana")
    client.set_experiment_tag(experiment_id, "goal", "speed")
    tool.delete_experiment_tag("owner")
    client.delete_experiment_tag(experiment_id, "goal")
    client.set_experiment_tag(experiment_id, "goal", "size")
    with tool.start_run() as run:
        run_id = run.info.run_id
        tool.set_tags({"keep": "1", "drop": "2", "also_drop": "3"})
        tool.delete_tag("drop")  # queued just before: deleted, not written afterwards
        client.delete_tag(run_id, "also_drop")
        errors = []
        calls: list[Callable[[], None]] = [
            lambda: tool.delete_tag("drop"),
            lambda: client.delete_tag(run_id, "never_set"),
            lambda: tool.delete_experiment_tag("owner"),
        ]
        for call in calls:
            with pytest.raises(tool.exceptions.MlflowException) as raised:
                call()
            errors.append(raised.value)
    stored = client.get_run(run_id).data.tags
    return {
        "run": {k: v for k, v in stored.items() if not k.startswith(("mlflow.", "tuitrack."))},
        "experiment": {
            k: v
            for k, v in client.get_experiment(experiment_id).tags.items()
            if not k.startswith(("mlflow.", "tuitrack."))
        },
        "errors": errors,
    }


def test_deletions_leave_what_mlflow_leaves(fluent_sandbox: SdkSandbox, mlflow_store: str) -> None:
    theirs = _tags_after_deleting(mlflow)
    mine = _tags_after_deleting(tuitrack)
    assert mine["run"] == theirs["run"] == {"keep": "1"}
    assert mine["experiment"] == theirs["experiment"] == {"goal": "size"}
    for error in theirs["errors"]:
        assert error.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert all(isinstance(error, NotFoundError) for error in mine["errors"])


def test_a_tag_set_just_before_is_deleted_every_time(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        for attempt in range(30):
            tuitrack.set_tag("flag", str(attempt))
            tuitrack.delete_tag("flag")
        tuitrack.set_tag("after", "yes")
    tags = tuitrack.get_run(run.info.run_id).data.tags
    assert "flag" not in tags
    assert tags["after"] == "yes"


def test_deleted_runs_refuse_tag_deletion(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        tuitrack.set_tag("team", "vision")
    client = tuitrack.MlflowClient(fluent_sandbox.tracking_uri)
    client.delete_run(run.info.run_id)
    with pytest.raises(ReadOnlyError, match="restore it"):
        client.delete_tag(run.info.run_id, "team")
    client.restore_run(run.info.run_id)
    client.delete_tag(run.info.run_id, "team")
    assert "team" not in client.get_run(run.info.run_id).data.tags
