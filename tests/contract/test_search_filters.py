"""The shared filter and ordering table on every database (tuitrack/testing/search_filters.py),
and hostile filters that must change nothing in the SQL tables."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Run
from tuitrack.errors import FilterSyntaxError
from tuitrack.search import like
from tuitrack.testing.search_filters import *  # noqa: F403
from tuitrack.testing.search_filters import _names
from tuitrack_sql import schema

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
