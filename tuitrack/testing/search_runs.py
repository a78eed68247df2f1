from __future__ import annotations

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import RunStatus
from tuitrack.errors import InvalidValueError


def _ids(runs: list) -> list[str]:  # type: ignore[type-arg]
    return [run.info.run_id for run in runs]


def test_default_order_is_newest_first(store: TrackingStore, experiment_id: str) -> None:
    created = [store.create_run(experiment_id, start_time=1000 + i).info.run_id for i in range(5)]
    assert _ids(store.search_runs([experiment_id])) == created[::-1]


def test_order_by_attributes(store: TrackingStore, experiment_id: str) -> None:
    names = ["bravo", "alpha", "charlie"]
    ids = {}
    for i, name in enumerate(names):
        ids[name] = store.create_run(experiment_id, run_name=name, start_time=10 + i).info.run_id
    store.update_run_info(ids["alpha"], status=RunStatus.FAILED, end_time=50)
    by_name = store.search_runs([experiment_id], order_by=["run_name"])
    assert [r.info.run_name for r in by_name] == ["alpha", "bravo", "charlie"]
    by_name_desc = store.search_runs([experiment_id], order_by=["attributes.run_name DESC"])
    assert [r.info.run_name for r in by_name_desc] == ["charlie", "bravo", "alpha"]
    # Missing end times sort last in both directions; ties fall back to start_time DESC.
    for direction in ("ASC", "DESC"):
        ordered = store.search_runs([experiment_id], order_by=[f"end_time {direction}"])
        assert [r.info.run_name for r in ordered] == ["alpha", "charlie", "bravo"]


def test_paging_returns_every_run_once(store: TrackingStore, experiment_id: str) -> None:
    created = {store.create_run(experiment_id, start_time=i // 3).info.run_id for i in range(25)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = store.search_runs([experiment_id], max_results=4, page_token=token)
        seen.extend(_ids(page))
        pages += 1
        token = page.token
        if token is None:
            break
    assert pages == 7
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == created


def test_paging_is_stable_while_runs_are_added(store: TrackingStore, experiment_id: str) -> None:
    old = [store.create_run(experiment_id, start_time=100 + i).info.run_id for i in range(6)]
    first = store.search_runs([experiment_id], max_results=3)
    for i in range(5):  # newer runs arrive between page requests
        store.create_run(experiment_id, start_time=1000 + i)
    second = store.search_runs([experiment_id], max_results=3, page_token=first.token)
    assert _ids(first) + _ids(second) == old[::-1]


def test_several_experiments(store: TrackingStore) -> None:
    first = store.create_experiment("one")
    second = store.create_experiment("two")
    a = store.create_run(first, start_time=1).info.run_id
    b = store.create_run(second, start_time=2).info.run_id
    assert _ids(store.search_runs([first, second])) == [b, a]
    assert _ids(store.search_runs([first, "404", "not-an-id"])) == [a]
    assert _ids(store.search_runs([])) == []


def test_bad_arguments(store: TrackingStore, experiment_id: str) -> None:
    store.create_run(experiment_id)
    with pytest.raises(InvalidValueError, match="max_results"):
        store.search_runs([experiment_id], max_results=0)
    with pytest.raises(InvalidValueError, match="50000"):
        store.search_runs([experiment_id], max_results=50_001)
    with pytest.raises(InvalidValueError, match="page token"):
        store.search_runs([experiment_id], page_token="garbage")
    page = store.search_runs([experiment_id], max_results=1)
    store.create_run(experiment_id)
    token = store.search_runs([experiment_id], max_results=1).token
    assert token is not None
    with pytest.raises(InvalidValueError, match="different search"):
        store.search_runs([experiment_id], order_by=["run_name"], page_token=token)
    assert page.token is None or isinstance(page.token, str)
    with pytest.raises(InvalidValueError, match="no_such_column"):
        store.search_runs([experiment_id], order_by=["no_such_column"])


def test_count_runs_counts_in_the_store(store: TrackingStore, experiment_id: str) -> None:
    from tuitrack.entities import ViewType

    ids = [store.create_run(experiment_id, run_name=f"r{i}").info.run_id for i in range(5)]
    store.delete_run(ids[0])
    assert store.count_runs([experiment_id]) == 4
    assert store.count_runs([experiment_id], run_view_type=ViewType.ALL) == 5
    assert store.count_runs([experiment_id], "run_name IN ('r1', 'r2', 'r0')") == 2
    assert store.count_runs(["404"]) == 0
