"""Reading a run listing from its end: the reverse searches, and where a window lies."""

from __future__ import annotations

from tuitrack.entities import PagedList, Run, RunInfo
from tuitrack.tui.queries import RunsPage, RunsQuery
from tuitrack.tui.run_pages import ChainPage, PageStart, backward_chain, forward_chain


def test_default_order_reverses_its_tie_break() -> None:
    chain = backward_chain(RunsQuery(("1",)), 100, 1000)
    assert [q.order_by for q in chain.searches] == [
        ("attributes.start_time ASC", "attributes.run_id DESC")
    ]


def test_a_key_that_may_be_missing_reads_the_runs_missing_it_first() -> None:
    query = RunsQuery(("1",), "params.lr = '0.1'", ("metrics.loss DESC",))
    missing, present = backward_chain(query, 100, 1000).searches
    assert missing.filter_string.startswith("(params.lr = '0.1') AND (metrics.loss IS NULL OR")
    assert missing.order_by == ("attributes.start_time ASC", "attributes.run_id DESC")
    assert present.filter_string.startswith("(params.lr = '0.1') AND NOT (metrics.loss IS NULL")
    assert present.order_by[0] == "metrics.loss ASC"


def test_a_key_every_run_has_is_one_reversed_search() -> None:
    query = RunsQuery(("1",), order_by=("attributes.status ASC",))
    (search,) = backward_chain(query, 100, 1000).searches
    assert search.order_by[0] == "attributes.status DESC"


def _read(index: int, runs: int, following: PageStart | None) -> ChainPage:
    page = [Run(info=RunInfo(run_id=f"{index}-{i}", experiment_id="1")) for i in range(runs)]
    return ChainPage(index, PageStart(0, None), following, RunsPage(PagedList(page), {}))


def test_held_rows_say_where_a_window_lies() -> None:
    forward = forward_chain(RunsQuery(("1",), page_size=10), 20)
    for index in range(3):
        forward.record(_read(index, 10 if index == 0 else 20, PageStart(0, "t")))
    forward.held = {0: 10}
    assert forward.held_rows(1000) is None  # the top is held: "10 of 1,000 runs"
    forward.held = {1: 20, 2: 20}
    assert forward.held_rows(1000) == (11, 50)
    assert forward.above() == 0
    assert forward.below() == 3
    backward = backward_chain(RunsQuery(("1",)), 10, 20)
    backward.record(_read(0, 10, PageStart(0, "t")))
    backward.held = {0: 10}
    assert backward.held_rows(1000) == (991, 1000)
    assert backward.below() is None
    assert backward.above() == 1
