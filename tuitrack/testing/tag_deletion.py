from __future__ import annotations

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import RunTag
from tuitrack.errors import NotFoundError, ReadOnlyError


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id).info.run_id


def test_delete_tag_removes_only_that_tag(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    store.log_batch(
        run_id, tags=[RunTag(key="team", value="vision"), RunTag(key="stage", value="dev")]
    )
    store.delete_tag(run_id, "team")
    tags = store.get_run(run_id).data.tags
    assert "team" not in tags
    assert tags["stage"] == "dev"
    assert len(store.search_runs([experiment_id], "tags.team = 'vision'")) == 0
    assert len(store.search_runs([experiment_id], "tags.stage = 'dev'")) == 1
    store.set_tag(run_id, RunTag(key="team", value="audio"))  # a deleted key can be set again
    assert store.get_run(run_id).data.tags["team"] == "audio"


def test_delete_tag_of_a_missing_key_or_run_is_not_found(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RunTag(key="team", value="vision"))
    with pytest.raises(NotFoundError, match="absent"):
        store.delete_tag(run_id, "absent")
    store.delete_tag(run_id, "team")
    with pytest.raises(NotFoundError, match="team"):
        store.delete_tag(run_id, "team")  # once deleted, it is gone
    with pytest.raises(NotFoundError):
        store.delete_tag("0" * 32, "team")
    with pytest.raises(NotFoundError):
        store.delete_tag("not a run id", "team")


def test_delete_tag_of_a_deleted_run_is_refused(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RunTag(key="team", value="vision"))
    store.delete_run(run_id)
    with pytest.raises(ReadOnlyError, match=run_id):
        store.delete_tag(run_id, "team")
    store.restore_run(run_id)
    assert store.get_run(run_id).data.tags["team"] == "vision"
    store.delete_tag(run_id, "team")
    assert "team" not in store.get_run(run_id).data.tags


def test_delete_experiment_tag_removes_only_that_tag(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("tagged", tags={"owner": "ana", "goal": "speed"})
    store.delete_experiment_tag(experiment_id, "owner")
    assert store.get_experiment(experiment_id).tags == {"goal": "speed"}
    found = store.search_experiments(filter_string="tags.owner = 'ana'")
    assert [e.experiment_id for e in found] == []
    store.set_experiment_tag(experiment_id, "owner", "bo")
    assert store.get_experiment(experiment_id).tags == {"goal": "speed", "owner": "bo"}


def test_delete_experiment_tag_of_a_missing_key_or_experiment_is_not_found(
    store: TrackingStore,
) -> None:
    experiment_id = store.create_experiment("tagged", tags={"owner": "ana"})
    with pytest.raises(NotFoundError, match="absent"):
        store.delete_experiment_tag(experiment_id, "absent")
    with pytest.raises(NotFoundError):
        store.delete_experiment_tag("987654", "owner")
    with pytest.raises(NotFoundError):
        store.delete_experiment_tag("not an id", "owner")
    assert store.get_experiment(experiment_id).tags == {"owner": "ana"}


def test_delete_experiment_tag_of_a_deleted_experiment_is_refused(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("tagged", tags={"owner": "ana"})
    store.delete_experiment(experiment_id)
    with pytest.raises(ReadOnlyError):
        store.delete_experiment_tag(experiment_id, "owner")
    store.restore_experiment(experiment_id)
    store.delete_experiment_tag(experiment_id, "owner")
    assert store.get_experiment(experiment_id).tags == {}
