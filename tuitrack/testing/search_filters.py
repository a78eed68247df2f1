"""The shared filter and ordering table (tuitrack.testing.search_cases) on every store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import FILLING, StoreFactory, require
from tuitrack.testing.search_cases import (
    FILTER_CASES,
    ORDER_CASES,
    PARENT_CASES,
    PARENT_FILTERS,
    case_id,
    log_fixture_runs,
)


@pytest.fixture(scope="module")
def loaded(
    tracking_store_factory: StoreFactory,
) -> Iterator[tuple[TrackingStore, str, dict[str, str]]]:
    """The fixture runs in one experiment, for every test of a module."""
    store = tracking_store_factory()
    require(store, *FILLING)
    experiment_id = store.create_experiment("search-cases")
    ids = log_fixture_runs(store, experiment_id)
    yield store, experiment_id, ids
    tracking_store_factory()


def _names(store: TrackingStore, experiment_id: str, **kwargs: object) -> list[str]:
    runs = store.search_runs([experiment_id], max_results=1000, **kwargs)  # type: ignore[arg-type]
    return [run.info.run_name or "" for run in runs]


@pytest.mark.parametrize(("filter_string", "expected"), FILTER_CASES, ids=case_id)
def test_filter_case(
    loaded: tuple[TrackingStore, str, dict[str, str]], filter_string: str, expected: frozenset[str]
) -> None:
    store, experiment_id, _ids = loaded
    assert set(_names(store, experiment_id, filter_string=filter_string)) == set(expected)


@pytest.mark.parametrize("parent_filter", PARENT_FILTERS)
@pytest.mark.parametrize(("parent", "children"), PARENT_CASES)
def test_children_by_parent_run_id(
    loaded: tuple[TrackingStore, str, dict[str, str]],
    parent: str,
    children: frozenset[str],
    parent_filter: str,
) -> None:
    store, experiment_id, ids = loaded
    found = _names(store, experiment_id, filter_string=parent_filter.format(id=ids[parent]))
    assert set(found) == set(children)


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES, ids=case_id)
def test_order_case(
    loaded: tuple[TrackingStore, str, dict[str, str]], order_by: list[str], expected: list[str]
) -> None:
    store, experiment_id, _ids = loaded
    assert _names(store, experiment_id, order_by=order_by) == expected


@pytest.mark.parametrize("order_by", [case[0] for case in ORDER_CASES], ids=str)
def test_paging_follows_every_order(
    loaded: tuple[TrackingStore, str, dict[str, str]], order_by: list[str]
) -> None:
    store, experiment_id, _ids = loaded
    whole = _names(store, experiment_id, order_by=order_by)
    paged: list[str] = []
    token = None
    while True:
        page = store.search_runs(
            [experiment_id], order_by=order_by, max_results=3, page_token=token
        )
        paged.extend(run.info.run_name or "" for run in page)
        token = page.token
        if token is None:
            break
    assert paged == whole
