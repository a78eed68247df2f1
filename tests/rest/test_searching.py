"""Pages of a search over a plain MLflow server: paging, tokens, notes and order.

`PagingServer` stands in for the server's paging only (a unit test of the pager): it answers
the filter text the split sends with tuitrack's evaluator, which tests/rest/test_filter_split.py
proves a real `mlflow server` agrees with, and pages by offset as MLflow's server does. Every
walk through the pages must give tuitrack.search.matches + sort_runs over all the runs.
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Sequence
from typing import Any

import pytest

from tuitrack.entities import Experiment, PagedList, Run, RunData, RunInfo, RunStatus
from tuitrack.errors import FilterSyntaxError, InvalidValueError
from tuitrack.search import (
    OrderKey,
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)
from tuitrack.testing.search_cases import (
    EXPERIMENT_FILTER_CASES,
    FILTER_CASES,
    case_id,
    fixture_experiments,
    fixture_runs,
)
from tuitrack_rest import searching
from tuitrack_rest.filters import SplitFilter, split_experiment_filter, split_run_filter
from tuitrack_rest.searching import search_experiments_page, search_runs_page

Call = tuple[str | None, list[str] | None, int, str | None]


class PagingServer:
    """Runs (or experiments) behind a server's search: its filter, its order, offset
    tokens of its own ("offset-<n>"), and a record of every request."""

    def __init__(
        self,
        runs: Sequence[Run] = (),
        experiments: Sequence[Experiment] = (),
        refuses: str | None = None,
    ) -> None:
        self.runs = list(runs)
        # Deliberately not tuitrack's order: experiments are sorted by the client.
        self.experiments = list(reversed(experiments))
        self.refuses = refuses
        """Filter text this server answers INVALID_PARAMETER_VALUE to, as an older MLflow."""
        self.calls: list[Call] = []

    def check(self, server_filter: str | None) -> None:
        if self.refuses is not None and server_filter and self.refuses in server_filter:
            raise InvalidValueError(f"Invalid clause(s) in filter string: {server_filter!r}")

    def fetch_runs(
        self, server_filter: str | None, order: list[str] | None, count: int, token: str | None
    ) -> tuple[list[Run], str | None]:
        self.calls.append((server_filter, order, count, token))
        self.check(server_filter)
        node = parse_filter(server_filter)
        found = mlflow_order([run for run in self.runs if matches(node, run)], order)
        return self._page(found, count, token)

    def fetch_experiments(
        self, server_filter: str | None, order: list[str] | None, count: int, token: str | None
    ) -> tuple[list[Experiment], str | None]:
        self.calls.append((server_filter, order, count, token))
        self.check(server_filter)
        node = parse_experiment_filter(server_filter)
        return self._page(
            [e for e in self.experiments if matches_experiment(node, e)], count, token
        )

    @staticmethod
    def _page(items: list[Any], count: int, token: str | None) -> tuple[list[Any], str | None]:
        start = int(token.removeprefix("offset-")) if token else 0
        end = start + count
        return items[start:end], (f"offset-{end}" if end < len(items) else None)


def mlflow_order(runs: list[Run], order: list[str] | None) -> list[Run]:
    """`runs` as MLflow's server orders them: start_time DESC then run id by default; by a
    metric, its values, then every NaN, then every run without it (tuitrack mixes the last
    two by the keys that follow)."""
    ordered = sort_runs(runs)
    for key in reversed(parse_order_by(order)):

        def value(run: Run, key: OrderKey = key) -> float | None:
            if key.kind == "metric":
                return run.data.metrics.get(key.key)
            assert (key.kind, key.key) == ("attribute", "start_time")
            return run.info.start_time

        present = [run for run in ordered if (v := value(run)) is not None and not math.isnan(v)]
        present.sort(key=lambda run: value(run) or 0.0, reverse=not key.ascending)
        nan = [run for run in ordered if (v := value(run)) is not None and math.isnan(v)]
        ordered = present + nan + [run for run in ordered if value(run) is None]
    return ordered


def generated_runs(count: int = 300) -> list[Run]:
    """Runs with NaN and missing metrics, numeric and other params, tied start times."""
    chance = random.Random(17)
    runs = []
    for index in range(count):
        metrics: dict[str, float] = {}
        if chance.random() < 0.8:
            metrics["acc"] = math.nan if chance.random() < 0.1 else round(chance.random(), 2)
        params = {"lr": chance.choice(["0.1", "0.01", "1e-3", "auto", " 2"])}
        if chance.random() < 0.7:
            params["optimizer"] = chance.choice(["adam", "Adam", "sgd"])
        tags = {"env": chance.choice(["prod", "dev"])} if chance.random() < 0.6 else {}
        info = RunInfo(
            run_id=f"r{index:04d}",
            experiment_id="1",
            run_name=f"run-{index}",
            user_id="ana",
            status=RunStatus.FINISHED,
            start_time=1000 + chance.randrange(100),
            end_time=None,
            artifact_uri="",
        )
        runs.append(Run(info=info, data=RunData(metrics=metrics, params=params, tags=tags)))
    return runs


def walk_runs(
    server: PagingServer, filter_string: str, order_by: list[str], max_results: int
) -> tuple[list[Run], list[PagedList[Run]]]:
    """Every page of a search, following its tokens."""
    split = split_run_filter(filter_string)
    pages: list[PagedList[Run]] = []
    token: str | None = None
    while True:
        page = search_runs_page(server.fetch_runs, split, order_by, max_results, token)
        pages.append(page)
        assert len(page) <= max_results
        token = page.token
        if token is None:
            return [run for page in pages for run in page], pages
        assert len(pages) < 10_000, "the tokens do not advance"


def expected_runs(runs: list[Run], filter_string: str, order_by: list[str]) -> list[str]:
    node = parse_filter(filter_string)
    return ids(sort_runs([run for run in runs if matches(node, run)], parse_order_by(order_by)))


def ids(runs: Sequence[Run]) -> list[str]:
    return [run.info.run_id for run in runs]


ORDERS = [
    [],
    ["start_time"],
    ["metrics.acc DESC"],
    ["metrics.acc", "start_time ASC"],
    ["params.optimizer", "start_time DESC"],
]


@pytest.mark.parametrize("order_by", ORDERS, ids=case_id)
@pytest.mark.parametrize("filter_string", [case for case, _ in FILTER_CASES], ids=case_id)
def test_pages_of_the_shared_cases_join_up_to_tuitracks_answer(
    monkeypatch: pytest.MonkeyPatch, filter_string: str, order_by: list[str]
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 3)  # several server pages of 8 runs
    server = PagingServer(fixture_runs())
    expected = expected_runs(server.runs, filter_string, order_by)
    for max_results in (1, 2, 5, 1000):
        found, _ = walk_runs(server, filter_string, order_by, max_results)
        assert ids(found) == expected, max_results


GENERATED_FILTERS = [
    "metrics.acc > 0.5",
    "metrics.acc > 0.5 AND params.optimizer = 'adam'",
    "params.lr < 0.05",
    "params.optimizer ILIKE 'ADAM' AND tags.env = 'prod'",
    "tags.env IS NULL OR metrics.acc > 0.9",
    "metrics.acc IS NULL AND NOT params.lr = 'auto'",
    "params.lr = 'nothing'",
]


@pytest.mark.parametrize("order_by", ORDERS, ids=case_id)
@pytest.mark.parametrize("filter_string", GENERATED_FILTERS, ids=case_id)
def test_pages_over_many_server_pages_join_up_to_tuitracks_answer(
    monkeypatch: pytest.MonkeyPatch, filter_string: str, order_by: list[str]
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 40)
    server = PagingServer(generated_runs())
    expected = expected_runs(server.runs, filter_string, order_by)
    for max_results in (7, 25, 1000):
        found, _ = walk_runs(server, filter_string, order_by, max_results)
        assert ids(found) == expected, max_results


def test_an_exact_search_is_paged_by_the_server() -> None:
    server = PagingServer(generated_runs())
    _, pages = walk_runs(server, "metrics.acc > 0.5", [], 50)
    assert len(server.calls) == len(pages) > 1
    assert [call[2] for call in server.calls] == [50] * len(pages)
    assert server.calls[0][3] is None
    # Each request carries the server's own token from the answer before.
    assert [call[3] for call in server.calls[1:]] == [
        f"offset-{50 * n}" for n in range(1, len(pages))
    ]
    assert all(page.note is None for page in pages)
    assert all(page.token is None or page.token.startswith("tuitrack-rest:") for page in pages)


def test_the_first_rows_come_without_reading_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 40)
    server = PagingServer(generated_runs())
    split = split_run_filter("params.lr < 1")  # numeric params: tuitrack evaluates them
    page = search_runs_page(server.fetch_runs, split, [], 5, None)
    assert len(page) == 5
    assert len(server.calls) == 1
    assert page.token is not None


def test_a_token_resumes_inside_the_server_page_it_stopped_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 40)
    server = PagingServer(generated_runs())
    split = split_run_filter("params.lr < 1 OR params.lr = 'auto'")
    first = search_runs_page(server.fetch_runs, split, [], 3, None)
    second = search_runs_page(server.fetch_runs, split, [], 3, first.token)
    # Both pages come from the server's first page, read again from where the first stopped.
    assert [call[3] for call in server.calls] == [None, None]
    assert (
        ids(first) + ids(second)
        == expected_runs(server.runs, "params.lr < 1 OR params.lr = 'auto'", [])[:6]
    )


def test_a_token_works_in_any_process_and_any_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 40)
    split = split_run_filter("tags.env IS NULL")
    first = search_runs_page(PagingServer(generated_runs()).fetch_runs, split, [], 10, None)
    again = [
        search_runs_page(PagingServer(generated_runs()).fetch_runs, split, [], 10, first.token)
        for _ in range(2)
    ]
    assert ids(again[0]) == ids(again[1])
    assert again[0].token == again[1].token
    assert not set(ids(first)) & set(ids(again[0]))


def test_the_last_page_has_no_token_when_nothing_more_matches() -> None:
    server = PagingServer(fixture_runs())
    # gamma and epsilon are the only matches; both in the one server page.
    page = search_runs_page(
        server.fetch_runs, split_run_filter("tags.pct IS NOT NULL"), [], 2, None
    )
    assert len(page) == 2
    assert page.token is None


def _token(body: dict[str, Any]) -> str:
    return "tuitrack-rest:" + base64.urlsafe_b64encode(json.dumps(body).encode()).decode()


def _a_real_token(filter_string: str, order_by: list[str]) -> str:
    server = PagingServer(generated_runs())
    page = search_runs_page(server.fetch_runs, split_run_filter(filter_string), order_by, 1, None)
    assert page.token is not None
    return page.token


def _search_of(token: str) -> str:
    body = json.loads(base64.urlsafe_b64decode(token.removeprefix("tuitrack-rest:")))
    return str(body["search"])


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("metrics.acc > 0.5", []),  # paged by the server
        ("tags.env IS NULL", []),  # scanned in the server's order
        ("tags.env IS NULL", ["metrics.acc"]),  # sorted here
    ],
    ids=case_id,
)
def test_a_bad_token_is_refused_saying_what_to_pass(
    filter_string: str, order_by: list[str]
) -> None:
    server = PagingServer(generated_runs())
    split = split_run_filter(filter_string)
    search = _search_of(_a_real_token(filter_string, order_by))
    other = _a_real_token("metrics.acc < 0.5 OR tags.env = 'dev'", [])
    bad_tokens = [
        "offset-3",  # the server's own token, unwrapped
        "tuitrack-rest:!!!",
        "tuitrack-rest:" + base64.urlsafe_b64encode(b"[1, 2]").decode(),
        _token({"server": "offset-3"}),
        _token({"search": search, "skip": -1}),
        _token({"search": search, "offset": "3"}),
        _token({"search": search, "size": 0}),
        _token({"search": search, "server": 3}),
        _token({"search": search, "color": "red"}),
        other,
    ]
    for token in bad_tokens:
        with pytest.raises(InvalidValueError, match=r"page token .*(previous page|first page)"):
            search_runs_page(server.fetch_runs, split, order_by, 10, token)


def test_notes_say_what_tuitrack_did_and_over_how_many_runs() -> None:
    server = PagingServer(fixture_runs())

    def note(filter_string: str, order_by: list[str]) -> str | None:
        split = split_run_filter(filter_string)
        return search_runs_page(server.fetch_runs, split, order_by, 1000, None).note

    assert note("metrics.acc > 0.5", []) is None
    assert note("metrics.acc > 0.9 OR tags.env IS NULL", []) == (
        "tuitrack evaluated OR itself after reading 8 runs (MLflow's server cannot)"
    )
    # The server sends only the 5 runs with metrics.acc > 0.
    assert note("tags.env IS NULL AND params.lr < 1 AND metrics.acc > 0", ["start_time"]) == (
        "tuitrack evaluated IS NULL and numeric comparison of params itself after reading "
        "5 runs (MLflow's server cannot)"
    )
    assert note("", ["metrics.acc DESC"]) == (
        "tuitrack ordered the runs without a value of metrics.acc itself after reading 8 runs "
        "(MLflow's server cannot do it exactly)"
    )
    assert note("", ["tags.env"]) == (
        "tuitrack sorted by tags.env ASC itself after reading 8 runs "
        "(MLflow's server cannot do it exactly)"
    )
    assert note("NOT status = 'FAILED'", ["params.lr", "start_time DESC"]) == (
        "tuitrack evaluated NOT and sorted by params.lr ASC, start_time DESC itself after "
        "reading 8 runs (MLflow's server cannot do it exactly)"
    )


def test_reading_counts_thousands_with_separators(monkeypatch: pytest.MonkeyPatch) -> None:
    server = PagingServer(generated_runs(1234))
    page = search_runs_page(
        server.fetch_runs, split_run_filter("params.lr = 'none' OR tags.env = 'none'"), [], 10, None
    )
    assert (
        page.note
        == "tuitrack evaluated OR itself after reading 1,234 runs (MLflow's server cannot)"
    )
    assert list(page) == []
    assert page.token is None


def test_a_sorted_search_reads_every_server_page_in_the_largest_pages_it_may() -> None:
    server = PagingServer(generated_runs(2500))
    page = search_runs_page(server.fetch_runs, split_run_filter(None), ["params.lr"], 10, None)
    assert [call[2] for call in server.calls] == [searching.SCAN_PAGE_SIZE] * 3
    assert all(call[1] is None for call in server.calls)
    assert ids(page) == expected_runs(server.runs, "", ["params.lr"])[:10]


def test_a_metric_order_brings_the_first_rows_from_one_small_server_page() -> None:
    server = PagingServer(generated_runs(2500))
    page = search_runs_page(server.fetch_runs, split_run_filter(None), ["metrics.acc"], 10, None)
    assert server.calls == [(None, ["metrics.`acc` ASC"], 100, None)]
    assert ids(page) == expected_runs(server.runs, "", ["metrics.acc"])[:10]
    assert page.note is None


def test_the_tail_without_the_metric_is_ordered_here_page_after_page() -> None:
    server = PagingServer(generated_runs(300))
    order = ["metrics.acc DESC"]
    expected = expected_runs(server.runs, "", order)
    found, pages = walk_runs(server, "", order, 50)
    assert ids(found) == expected
    assert pages[0].note is None
    assert pages[-1].note is not None
    assert pages[-1].note.startswith("tuitrack ordered the runs without a value of metrics.acc")
    # The server really puts NaN before missing values: the tail needed ordering.
    server_ids = ids(mlflow_order(server.runs, ["metrics.`acc` DESC"]))
    assert server_ids != expected


def test_max_results_and_order_by_are_checked() -> None:
    server = PagingServer(fixture_runs())
    split = split_run_filter(None)
    for bad in (0, -1, 50_001, 2.5, True):
        with pytest.raises(InvalidValueError, match="max_results"):
            search_runs_page(server.fetch_runs, split, [], bad, None)  # type: ignore[arg-type]
    with pytest.raises(FilterSyntaxError, match="ASC"):
        search_runs_page(server.fetch_runs, split, ["metrics.acc UP"], 10, None)
    assert server.calls == []


# --- experiments -------------------------------------------------------------------------------


def walk_experiments(
    server: PagingServer, split: SplitFilter, order_by: list[str], max_results: int
) -> list[Experiment]:
    found: list[Experiment] = []
    token: str | None = None
    while True:
        page = search_experiments_page(
            server.fetch_experiments, split, order_by, max_results, token
        )
        found.extend(page)
        token = page.token
        if token is None:
            return found


@pytest.mark.parametrize("order_by", [[], ["name"], ["tags.team DESC"]], ids=case_id)
@pytest.mark.parametrize(("filter_string", "names"), EXPERIMENT_FILTER_CASES, ids=case_id)
def test_experiment_pages_join_up_to_tuitracks_answer(
    monkeypatch: pytest.MonkeyPatch, filter_string: str, names: frozenset[str], order_by: list[str]
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 2)
    server = PagingServer(experiments=fixture_experiments())
    split = split_experiment_filter(filter_string)
    expected = sort_experiments(
        [e for e in server.experiments if e.name in names], parse_experiment_order_by(order_by)
    )
    for max_results in (1, 2, 1000):
        found = walk_experiments(server, split, order_by, max_results)
        assert [e.experiment_id for e in found] == [e.experiment_id for e in expected]


def test_experiment_notes_name_what_tuitrack_evaluated() -> None:
    server = PagingServer(experiments=fixture_experiments())

    def note(filter_string: str) -> str | None:
        split = split_experiment_filter(filter_string)
        return search_experiments_page(server.fetch_experiments, split, None, 10, None).note

    assert note("name LIKE 'vision%'") is None
    assert note("name ILIKE 'vision%'") == (
        "tuitrack evaluated ILIKE itself after reading 5 experiments (MLflow's server cannot)"
    )


def test_an_experiment_token_of_another_search_is_refused() -> None:
    server = PagingServer(experiments=fixture_experiments())
    split = split_experiment_filter(None)
    first = search_experiments_page(server.fetch_experiments, split, ["name"], 2, None)
    assert first.token is not None
    with pytest.raises(InvalidValueError, match="different search"):
        search_experiments_page(server.fetch_experiments, split, ["name DESC"], 2, first.token)


# --- a server that refuses the filter text -----------------------------------------------------


@pytest.mark.parametrize("order_by", ORDERS, ids=case_id)
def test_a_server_that_refuses_the_filter_text_gets_none_and_tuitrack_evaluates_it(
    order_by: list[str],
) -> None:
    server = PagingServer(generated_runs(), refuses="attributes.run_id IN")
    filter_string = "run_id IN ('r0001', 'r0005', 'r0100', 'r0200') AND metrics.acc > 0.1"
    found, pages = walk_runs(server, filter_string, order_by, 1)
    assert ids(found) == expected_runs(server.runs, filter_string, order_by)
    # Refused once, on the first page; every later request carries no filter text.
    assert [call[0] is not None for call in server.calls] == [True] + [False] * (
        len(server.calls) - 1
    )
    assert all(page.note and "the parts this MLflow server refuses" in page.note for page in pages)


def test_an_experiment_filter_the_server_refuses_is_evaluated_by_tuitrack() -> None:
    server = PagingServer(experiments=fixture_experiments(), refuses="attribute.experiment_id")
    split = split_experiment_filter("experiment_id IN ('1', '3')")
    found = walk_experiments(server, split, ["name"], 1)
    assert [e.experiment_id for e in found] == ["3", "1"]  # misc, nlp-bert
    first = search_experiments_page(server.fetch_experiments, split, None, 10, None)
    assert first.note == (
        "tuitrack evaluated the parts this MLflow server refuses itself after reading "
        "5 experiments (MLflow's server cannot)"
    )


def test_an_error_without_filter_text_is_the_servers_to_report() -> None:
    def failing(
        server_filter: str | None, order: list[str] | None, count: int, token: str | None
    ) -> tuple[list[Run], str | None]:
        raise InvalidValueError("experiment id 'x' is not a number")

    for filter_string in (None, "metrics.acc > 0.5", "tags.env IS NULL"):
        with pytest.raises(InvalidValueError, match="experiment id 'x'"):
            search_runs_page(failing, split_run_filter(filter_string), [], 10, None)
