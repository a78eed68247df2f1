from __future__ import annotations

import re

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import LifecycleStage, RunStatus, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError, ReadOnlyError
from tuitrack.testing.tags import logged_tags


def test_create_run_round_trip(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(
        experiment_id,
        user_id="ada",
        start_time=1_700_000_000_000,
        tags={"env": "dev", "ключ": "значение"},
        run_name="first",
        host="gpu-box",
        pid=4242,
    )
    info = run.info
    assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
    assert info.run_uuid == info.run_id
    assert info.experiment_id == experiment_id
    assert (info.user_id, info.run_name, info.host, info.pid) == ("ada", "first", "gpu-box", 4242)
    assert info.status is RunStatus.RUNNING
    assert info.start_time == 1_700_000_000_000
    assert info.end_time is None
    assert info.artifact_uri.endswith(f"/{experiment_id}/{info.run_id}/artifacts")
    assert logged_tags(run) == {"env": "dev", "ключ": "значение"}
    assert store.get_run(info.run_id) == run


def test_nested_run_records_parent(store: TrackingStore, experiment_id: str) -> None:
    parent = store.create_run(experiment_id)
    child = store.create_run(experiment_id, parent_run_id=parent.info.run_id)
    assert store.get_run(child.info.run_id).info.parent_run_id == parent.info.run_id
    with pytest.raises(NotFoundError, match="f" * 32):
        store.create_run(experiment_id, parent_run_id="f" * 32)


def test_create_run_in_unknown_or_deleted_experiment(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="999"):
        store.create_run("999")
    experiment_id = store.create_experiment("gone")
    store.delete_experiment(experiment_id)
    with pytest.raises(ReadOnlyError, match="gone"):
        store.create_run(experiment_id)


def test_update_run_info(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    info = store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=123, run_name="done")
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 123, "done")
    assert store.get_run(run_id).info == info
    with pytest.raises(InvalidValueError, match="SLEEPING"):
        store.update_run_info(run_id, status="SLEEPING")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        store.update_run_info("0" * 32, status=RunStatus.FAILED)


def test_delete_restore_and_view_types(store: TrackingStore, experiment_id: str) -> None:
    kept = store.create_run(experiment_id).info.run_id
    dropped = store.create_run(experiment_id).info.run_id
    store.delete_run(dropped)
    assert store.get_run(dropped).info.lifecycle_stage is LifecycleStage.DELETED

    def ids(view: ViewType) -> set[str]:
        return {r.info.run_id for r in store.search_runs([experiment_id], run_view_type=view)}

    assert ids(ViewType.ACTIVE_ONLY) == {kept}
    assert ids(ViewType.DELETED_ONLY) == {dropped}
    assert ids(ViewType.ALL) == {kept, dropped}
    store.restore_run(dropped)
    assert ids(ViewType.ACTIVE_ONLY) == {kept, dropped}
    with pytest.raises(NotFoundError):
        store.delete_run("nope")


def test_heartbeat(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    assert store.get_run(run_id).info.heartbeat_time is None
    store.record_heartbeat(run_id, 1234)
    assert store.get_run(run_id).info.heartbeat_time == 1234
    store.record_heartbeat(run_id)
    assert store.get_run(run_id).info.heartbeat_time > 1234  # type: ignore[operator]
    with pytest.raises(NotFoundError):
        store.record_heartbeat("0" * 32)


def test_unknown_run(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="missing-run"):
        store.get_run("missing-run")
