"""The stand-in store refuses bad search arguments as every real store does, so a script
that passes a bad `max_results` learns it even when its runs are not being saved."""

from __future__ import annotations

import pytest

from tuitrack.errors import InvalidValueError
from tuitrack.sdk.unsaved_store import UnsavedStore


@pytest.fixture
def store() -> UnsavedStore:
    return UnsavedStore("unsaved:", "memory://unsaved")


@pytest.mark.parametrize("bad", [0, -1, 50_001, "10", 2.5, True])
def test_search_runs_refuses_a_bad_max_results(store: UnsavedStore, bad: object) -> None:
    with pytest.raises(InvalidValueError, match="max_results"):
        store.search_runs(["1"], max_results=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 50_001, "10"])
def test_search_experiments_refuses_a_bad_max_results(store: UnsavedStore, bad: object) -> None:
    with pytest.raises(InvalidValueError, match=repr(bad) if isinstance(bad, str) else str(bad)):
        store.search_experiments(max_results=bad)  # type: ignore[arg-type]


def test_good_arguments_list_nothing(store: UnsavedStore) -> None:
    experiment_id = store.create_experiment("kept in memory")
    assert store.search_runs([experiment_id], max_results=50_000) == []
    assert store.search_experiments(max_results=1) == []


def test_the_default_experiment_is_there_by_id_0(store: UnsavedStore) -> None:
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert store.get_experiment(0) == default  # type: ignore[arg-type]
    assert store.get_experiment_by_name("Default") == default
    assert store.create_run(0).info.experiment_id == "0"  # type: ignore[arg-type]
    assert store.create_experiment("next") == "1"
