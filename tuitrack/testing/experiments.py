from __future__ import annotations

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import LifecycleStage, ViewType
from tuitrack.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tuitrack.testing.search_cases import EXPERIMENT_FILTER_CASES, FIXTURE_EXPERIMENTS

NAMES = {"a", "b", "c", "d"}


def test_create_and_get_round_trip(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision", tags={"team": "cv", "ünï": "çødé"})
    experiment = store.get_experiment(experiment_id)
    assert experiment.experiment_id == experiment_id
    assert experiment.name == "vision"
    assert experiment.tags == {"team": "cv", "ünï": "çødé"}
    assert experiment.lifecycle_stage is LifecycleStage.ACTIVE
    assert experiment.artifact_location.endswith(f"/{experiment_id}")
    assert experiment.creation_time is not None
    assert store.get_experiment_by_name("vision") == experiment
    assert store.get_experiment_by_name("absent") is None


def test_explicit_artifact_location_is_kept(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("s3", artifact_location="memory://bucket/s3")
    assert store.get_experiment(experiment_id).artifact_location == "memory://bucket/s3"


def test_duplicate_name_is_refused(store: TrackingStore) -> None:
    store.create_experiment("dup")
    with pytest.raises(AlreadyExistsError, match="'dup'"):
        store.create_experiment("dup")


def test_names_are_case_sensitive(store: TrackingStore) -> None:
    lower = store.create_experiment("case")
    upper = store.create_experiment("CASE")
    assert lower != upper
    assert store.get_experiment_by_name("CASE").experiment_id == upper  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "   ", "x" * 257])
def test_bad_names_are_refused(store: TrackingStore, name: str) -> None:
    with pytest.raises(InvalidValueError, match="experiment name"):
        store.create_experiment(name)


def test_unknown_ids_raise_not_found(store: TrackingStore) -> None:
    for experiment_id in ("12345", "not-a-number"):
        with pytest.raises(NotFoundError, match=experiment_id):
            store.get_experiment(experiment_id)


def test_rename(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("old")
    store.create_experiment("taken")
    store.rename_experiment(experiment_id, "new")
    assert store.get_experiment(experiment_id).name == "new"
    assert store.get_experiment_by_name("old") is None
    with pytest.raises(AlreadyExistsError, match="taken"):
        store.rename_experiment(experiment_id, "taken")


def test_delete_and_restore_also_cover_runs(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("temp")
    run = store.create_run(experiment_id)
    store.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    assert [e.experiment_id for e in store.search_experiments()] == []
    deleted = store.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [experiment_id]
    store.restore_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_experiment_tags_last_write_wins(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("tagged")
    store.set_experiment_tag(experiment_id, "note", "first")
    store.set_experiment_tag(experiment_id, "note", "second")
    store.set_experiment_tag(experiment_id, "Note", "other case")
    assert store.get_experiment(experiment_id).tags == {"Note": "other case", "note": "second"}
    with pytest.raises(InvalidValueError, match="bad key!"):
        store.set_experiment_tag(experiment_id, "bad key!", "x")


def test_search_experiments_pages_through_everything(store: TrackingStore) -> None:
    ids = {store.create_experiment(f"e{i}") for i in range(7)}
    seen: list[str] = []
    token = None
    while True:
        page = store.search_experiments(max_results=3, page_token=token)
        seen.extend(e.experiment_id for e in page)
        assert len(page) <= 3
        token = page.token
        if token is None:
            break
    assert sorted(seen) == sorted(ids)
    ordered = store.search_experiments(order_by=["name DESC"])
    assert [e.name for e in ordered] == [f"e{i}" for i in range(6, -1, -1)]


def test_experiments_ordered_by_a_tag(store: TrackingStore) -> None:
    """A tag orders experiments; those without it come last in both directions."""
    for name, team in (("a", "nlp"), ("b", "cv"), ("c", None), ("d", "speech")):
        store.create_experiment(name, tags={} if team is None else {"team": team})
    ascending = store.search_experiments(order_by=["tags.team ASC", "name"])
    assert [e.name for e in ascending if e.name in NAMES] == ["b", "a", "d", "c"]
    descending = store.search_experiments(order_by=["tags.team DESC", "name"])
    assert [e.name for e in descending if e.name in NAMES] == ["d", "a", "b", "c"]


def test_experiment_filters(store: TrackingStore) -> None:
    for fixture in FIXTURE_EXPERIMENTS:
        store.create_experiment(fixture.name, tags=dict(fixture.tags))
    for filter_string, expected in EXPERIMENT_FILTER_CASES:
        found = {e.name for e in store.search_experiments(filter_string=filter_string)}
        assert found == set(expected), filter_string
