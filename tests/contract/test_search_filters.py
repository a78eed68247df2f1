"""The shared filter and ordering table (tests/search_cases.py) on every database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.search_cases import (
    EXPERIMENT_FILTER_CASES,
    FILTER_CASES,
    FIXTURE_EXPERIMENTS,
    ORDER_CASES,
    PARENT_CASES,
    case_id,
    log_fixture_runs,
)
from tuitrack.entities import Run
from tuitrack.errors import FilterSyntaxError
from tuitrack.search import like
from tuitrack.store import TrackingStore
from tuitrack_sql import schema


@pytest.fixture(scope="module")
def loaded(session_store: TrackingStore) -> Iterator[tuple[TrackingStore, str, dict[str, str]]]:
    from tests.contract.conftest import _empty

    _empty(session_store)
    experiment_id = session_store.create_experiment("search-cases")
    ids = log_fixture_runs(session_store, experiment_id)
    yield session_store, experiment_id, ids
    _empty(session_store)


def _names(store: TrackingStore, experiment_id: str, **kwargs: object) -> list[str]:
    runs = store.search_runs([experiment_id], max_results=1000, **kwargs)  # type: ignore[arg-type]
    return [run.info.run_name or "" for run in runs]


@pytest.mark.parametrize(("filter_string", "expected"), FILTER_CASES, ids=case_id)
def test_filter_case(
    loaded: tuple[TrackingStore, str, dict[str, str]], filter_string: str, expected: frozenset[str]
) -> None:
    store, experiment_id, _ids = loaded
    assert set(_names(store, experiment_id, filter_string=filter_string)) == set(expected)


@pytest.mark.parametrize(("parent", "children"), PARENT_CASES)
def test_children_by_parent_run_id(
    loaded: tuple[TrackingStore, str, dict[str, str]], parent: str, children: frozenset[str]
) -> None:
    store, experiment_id, ids = loaded
    found = _names(store, experiment_id, filter_string=f"parent_run_id = '{ids[parent]}'")
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


INJECTIONS = [
    "tags.env = ''; DROP TABLE runs; --'",
    "params.lr = '0.01'' OR ''1''=''1'",
    "tags.note = '\\'; DELETE FROM metrics; --'",
    "run_name LIKE '%' /* comment */",
    "params.`lr; DROP TABLE params` = 'x'",
    'tags."env"" OR 1=1 --" = \'prod\'',
]


@pytest.mark.parametrize("filter_string", INJECTIONS)
def test_injection_attempts_match_nothing_and_change_nothing(
    loaded: tuple[TrackingStore, str, dict[str, str]], filter_string: str
) -> None:
    store, experiment_id, _ids = loaded
    engine = store.engine  # type: ignore[attr-defined]

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in schema.metadata.sorted_tables
            }

    before = counts()
    try:
        names = _names(store, experiment_id, filter_string=filter_string)
    except FilterSyntaxError:
        names = []
    assert names == []
    assert counts() == before


def test_experiment_filters(session_store: TrackingStore) -> None:
    from tests.contract.conftest import _empty

    _empty(session_store)
    for fixture in FIXTURE_EXPERIMENTS:
        session_store.create_experiment(fixture.name, tags=dict(fixture.tags))
    for filter_string, expected in EXPERIMENT_FILTER_CASES:
        found = {e.name for e in session_store.search_experiments(filter_string=filter_string)}
        assert found == set(expected), filter_string
    _empty(session_store)


_HOSTILE = st.lists(
    st.sampled_from([*"';\"`-/*()=%_\\ \n\tDROPTABLEruns;OR1", "--", "/*", "*/"]), max_size=20
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_HOSTILE)
def test_hostile_literals_match_only_exact_values_and_change_nothing(
    loaded: tuple[TrackingStore, str, dict[str, str]], text: str
) -> None:
    store, experiment_id, _ids = loaded
    engine = store.engine  # type: ignore[attr-defined]

    def counts() -> list[int]:
        with engine.connect() as connection:
            return [
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in schema.metadata.sorted_tables
            ]

    def search(filter_string: str) -> list[Run]:
        try:
            return list(store.search_runs([experiment_id], filter_string))
        except FilterSyntaxError:
            return []

    before = counts()
    quoted = "'" + text.replace("'", "''") + "'"
    assert all(run.data.tags.get("env") == text for run in search(f"tags.env = {quoted}"))
    assert search(f"params.`{text}` = 'x'") == []
    for run in search(f"run_name LIKE {quoted}"):
        assert like(run.info.run_name or "", text)
    assert counts() == before
