"""Filters are bounded in the parser, the same for every store: a filter at each limit runs
on every database, one over it is refused at once with the count and the limit.

Before, SQLite failed at 1,000 OR-ed comparisons ("Expression tree is too large"), MariaDB
tried to allocate 1.9 GB for 20,000, and 62 AND-ed tag tests broke MariaDB's join limit.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from tests.contract import conftest as contract_fixtures
from tuitrack.entities import Metric, Param, RunTag
from tuitrack.errors import FilterSyntaxError
from tuitrack.sdk.client import TrackingClient
from tuitrack.search import (
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_LIST_VALUES,
    MAX_ORDER_BY_CLAUSES,
)

database_uri = contract_fixtures.database_uri  # each database, created once


class Runs:
    def __init__(self, client: TrackingClient) -> None:
        self.client = client
        self.experiment_id = client.create_experiment(
            "filter-limits", tags={f"e{i}": "x" for i in range(MAX_COMPARISONS)}
        )
        self.run_ids = {self._run(index) for index in range(2)}

    def _run(self, index: int) -> str:
        run_id = self.client.create_run(self.experiment_id).info.run_id
        keys = range(MAX_COMPARISONS)
        self.client.log_batch(
            run_id,
            metrics=[Metric(key=f"m{k}", value=float(index), timestamp=1, step=0) for k in keys],
            params=[Param(key=f"p{k}", value=str(k)) for k in keys],
            tags=[RunTag(key=f"t{k}", value="x") for k in keys],
        )
        return run_id

    def matching(self, filter_string: str, order_by: list[str] | None = None) -> set[str]:
        """Every run the filter matches, read one per page so that paging is exercised."""
        found: set[str] = set()
        token = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                filter_string,
                order_by=order_by,
                max_results=1,
                page_token=token,
            )
            found.update(run.info.run_id for run in page)
            token = page.token
            if not token:
                break
        assert self.client.store.count_runs([self.experiment_id], filter_string) == len(found)
        return found


@pytest.fixture(scope="module")
def runs(database_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    client = TrackingClient(database_uri, artifact_uri=str(tmp_path_factory.mktemp("artifacts")))
    yield Runs(client)
    client.close()


def _keyed(count: int) -> list[str]:
    shapes = ["metrics.m{} >= 0", "params.p{} != 'none'", "tags.t{} LIKE '%x%'"]
    return [shapes[k % 3].format(k) for k in range(count)]


def test_filters_at_the_limits_run_on_every_database(runs: Runs) -> None:
    started = time.monotonic()
    order_by = [f"metrics.m{k} DESC" for k in range(MAX_ORDER_BY_CLAUSES)]
    assert runs.matching(" AND ".join(_keyed(MAX_COMPARISONS)), order_by) == runs.run_ids
    assert runs.matching(" OR ".join(_keyed(MAX_COMPARISONS))) == runs.run_ids
    nested = "tags.t0 = 'x'"
    for k in range(1, MAX_COMPARISONS):
        nested = f"(tags.t{k} = 'nothing' OR {nested})"
    assert runs.matching(nested) == runs.run_ids
    assert runs.matching("NOT " * MAX_DEPTH + "tags.t0 = 'x'") == runs.run_ids  # even: true
    ids = [f"{k:032x}" for k in range(MAX_LIST_VALUES - len(runs.run_ids))] + sorted(runs.run_ids)
    in_list = "attributes.run_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
    assert len(in_list) <= MAX_FILTER_LENGTH
    assert runs.matching(in_list) == runs.run_ids
    experiments = runs.client.search_experiments(
        filter_string=" AND ".join(f"tags.e{k} = 'x'" for k in range(MAX_COMPARISONS))
    )
    assert [e.experiment_id for e in experiments] == [runs.experiment_id]
    assert time.monotonic() - started < 60  # seconds in all, on a loaded 2-core machine


def _refused(call: Callable[[], object], message: str) -> float:
    """Seconds until `call` raised a FilterSyntaxError matching `message`."""
    started = time.monotonic()
    with pytest.raises(FilterSyntaxError, match=message):
        call()
    return time.monotonic() - started


def test_filters_over_the_limits_are_refused_quickly(runs: Runs) -> None:
    def search(filter_string: str, order_by: list[str] | None = None) -> Callable[[], object]:
        return lambda: runs.client.search_runs(
            [runs.experiment_id], filter_string, order_by=order_by
        )

    over = MAX_COMPARISONS + 1
    limit = f"at most {MAX_COMPARISONS} are allowed"
    seconds = [
        _refused(search(" AND ".join(_keyed(over))), f"has {over} comparisons; {limit}"),
        _refused(search(" OR ".join(_keyed(over))), f"has {over} comparisons; {limit}"),
        _refused(
            lambda: runs.client.search_experiments(
                filter_string=" OR ".join(f"tags.e{k} = 'x'" for k in range(over))
            ),
            f"has {over} comparisons",
        ),
        _refused(
            search("params.p0 IN (" + ",".join(["'v'"] * (MAX_LIST_VALUES + 1)) + ")"),
            re.escape(f"hold {MAX_LIST_VALUES + 1:,} values; at most {MAX_LIST_VALUES:,}"),
        ),
        _refused(
            search("tags.t0 = '" + "x" * MAX_FILTER_LENGTH + "'"),
            re.escape(f"at most {MAX_FILTER_LENGTH:,} are allowed"),
        ),
        _refused(
            search("", [f"metrics.m{k}" for k in range(MAX_ORDER_BY_CLAUSES + 1)]),
            f"order_by has {MAX_ORDER_BY_CLAUSES + 1} clauses; at most {MAX_ORDER_BY_CLAUSES}",
        ),
        _refused(search(" OR ".join(["metrics.m0 > 1"] * 1_000)), "has 1000 comparisons"),
    ]
    assert max(seconds) < 5
    tracemalloc.start()
    try:
        seconds.append(
            _refused(search(" OR ".join(["metrics.m0 > 1"] * 20_000)), "has 20000 comparisons")
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds[-1] < 15
    assert peak < 100 * 2**20
