"""Searches that walk the leading sort key in windows (tuitrack_sql/run_windows.py), with
windows so small that the eight fixture runs span many of them: every filter and order case
must give the same runs in the same order, page after page, as the plain search does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, Run, RunTag
from tuitrack.testing.search_cases import FILTER_CASES, ORDER_CASES, case_id, log_fixture_runs
from tuitrack_sql import run_windows

ORDERS = [case[0] for case in ORDER_CASES] + [["start_time ASC"], ["start_time DESC"]]
FILTERS = [
    "metrics.acc > 0.5",
    "params.lr < 0.05 or tags.env = 'prod'",
    "tags.env IS NULL",
    "metrics.loss IS NOT NULL and not params.lr = '0.01'",
]


@pytest.fixture(scope="module")
def loaded(session_store: TrackingStore) -> Iterator[tuple[TrackingStore, str]]:
    from tests.contract.conftest import _empty

    _empty(session_store)
    experiment_id = session_store.create_experiment("search-windows")
    log_fixture_runs(session_store, experiment_id)
    yield session_store, experiment_id
    _empty(session_store)


@pytest.fixture(params=["walk on", "give up early"])
def small_windows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_windows, "MIN_WINDOW", 1)
    monkeypatch.setattr(run_windows, "WINDOW_FACTOR", 1)
    stop = 1_000_000 if request.param == "walk on" else 2
    monkeypatch.setattr(run_windows, "MAX_WINDOWS_FACTOR", stop)


def _paged(
    store: TrackingStore, experiment_id: str, filter_string: str | None, order_by: list[str]
) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        page = store.search_runs(
            [experiment_id], filter_string, max_results=2, order_by=order_by, page_token=token
        )
        names.extend(run.info.run_name or "" for run in page)
        token = page.token
        if token is None:
            return names


def _plain(
    store: TrackingStore,
    experiment_id: str,
    filter_string: str | None,
    order_by: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> list[Run]:
    with monkeypatch.context() as patch:
        patch.setattr(run_windows, "MIN_WINDOW", 1_000_000)
        return list(store.search_runs([experiment_id], filter_string, order_by=order_by))


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize(("filter_string", "expected"), FILTER_CASES, ids=case_id)
def test_filter_case_in_windows(
    loaded: tuple[TrackingStore, str], filter_string: str, expected: frozenset[str]
) -> None:
    store, experiment_id = loaded
    names = _paged(store, experiment_id, filter_string, [])
    assert sorted(names) == sorted(expected)


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES, ids=case_id)
def test_order_case_in_windows(
    loaded: tuple[TrackingStore, str], order_by: list[str], expected: list[str]
) -> None:
    store, experiment_id = loaded
    assert _paged(store, experiment_id, None, order_by) == expected


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("order_by", ORDERS, ids=str)
@pytest.mark.parametrize("filter_string", FILTERS)
def test_filtered_order_in_windows_matches_plain_search(
    loaded: tuple[TrackingStore, str],
    filter_string: str,
    order_by: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, experiment_id = loaded
    plain = [
        run.info.run_name
        for run in _plain(store, experiment_id, filter_string, order_by, monkeypatch)
    ]
    assert plain  # each filter keeps some runs
    assert _paged(store, experiment_id, filter_string, order_by) == plain


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("order_by", [[], ["metrics.score DESC"], ["tags.group ASC"]], ids=str)
def test_windows_split_ties_and_survive_new_runs(
    store: TrackingStore, experiment_id: str, order_by: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many runs share each sort value, so window edges fall inside groups of equals; runs
    logged between pages (sorting before and after the page reached) change nothing."""
    for i in range(25):
        run_id = store.create_run(experiment_id, start_time=i // 3).info.run_id
        if i % 4:  # every fourth run lacks the metric and the tag
            store.log_batch(
                run_id,
                metrics=[Metric(key="score", value=float(i % 3), timestamp=0, step=0)],
                tags=[RunTag(key="group", value=f"g{i % 2}"), RunTag(key="keep", value="yes")],
            )
    plain = _plain(store, experiment_id, "tags.keep = 'yes'", order_by, monkeypatch)
    expected = [run.info.run_id for run in plain]
    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs(
            [experiment_id], "tags.keep = 'yes'", max_results=4, order_by=order_by, page_token=token
        )
        seen.extend(run.info.run_id for run in page)
        for start_time in (-1, 100):
            run_id = store.create_run(experiment_id, start_time=start_time).info.run_id
            store.log_batch(run_id, tags=[RunTag(key="keep", value="no")])
        token = page.token
        if token is None:
            break
    assert len(expected) == 18
    assert seen == expected
