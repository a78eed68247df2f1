"""The TUI at scale: the experiments screen reads a bounded number of queries however many
experiments there are, `G` lands on the last run without reading the pages before it, and
scrolling a long listing end to end holds only a window of pages. Real SQLite stores, small
page sizes so a few hundred runs stand for a hundred thousand."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tests.tui.conftest import make_app
from tests.tui.helpers import column_values, settle
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, RunStatus, ViewType
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.screens import runs as runs_screen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable

EXPERIMENTS = 300
RUNS = 400
PAGE = 20
"""Runs per page after the first (of 100) in these tests."""
WINDOW = 4
"""Pages the table may hold in these tests."""
MOST_ROWS_HELD = 100 + WINDOW * PAGE


@pytest.fixture
def many_experiments(tmp_path: Path) -> Iterator[TrackingClient]:
    with TrackingClient(
        f"sqlite:///{tmp_path / 'x.db'}", artifact_uri=str(tmp_path / "a")
    ) as client:
        for index in range(EXPERIMENTS):
            experiment = client.create_experiment(f"exp-{index:03d}")
            if index % 50 == 0:  # a few with runs, the newest of them first on screen
                run = client.create_run(experiment, start_time=1_700_000_000_000 + index)
                client.set_terminated(run.info.run_id, RunStatus.FINISHED)
        yield client


@pytest.fixture(scope="module")
def long_listing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingClient]:
    """RUNS finished runs, one a second; metric `m` is missing on every 7th, NaN on every
    11th, so a sort by it puts those last."""
    folder = tmp_path_factory.mktemp("long")
    with TrackingClient(
        f"sqlite:///{folder / 'runs.db'}", artifact_uri=str(folder / "a")
    ) as client:
        experiment = client.create_experiment("long")
        for index in range(RUNS):
            born = 1_700_000_000_000 + index * 1000
            run = client.create_run(experiment, run_name=f"run-{index:03d}", start_time=born)
            if index % 7:
                value = math.nan if index % 11 == 0 else float(index % 13)
                metric = Metric(key="m", value=value, timestamp=born, step=0)
                client.log_batch(run.info.run_id, metrics=[metric])
            client.set_terminated(run.info.run_id, RunStatus.FINISHED, end_time=born + 1)
        yield client


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs_screen, "MORE_PAGE_SIZE", PAGE)
    monkeypatch.setattr(runs_screen, "WINDOW_PAGES", WINDOW, raising=False)


class StatementCount:
    """SQL statements the store's engine sends, counted from now on."""

    def __init__(self, client: TrackingClient) -> None:
        self.engine: Any = client.store.engine  # type: ignore[attr-defined]
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


class SearchCount:
    """search_runs calls on the real store (each reads one page of runs)."""

    def __init__(self, client: TrackingClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        store = client.store
        search = store.search_runs

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return search(*args, **kwargs)

        monkeypatch.setattr(store, "search_runs", counted)


def listing(client: TrackingClient, order_by: list[str] | None = None) -> list[str]:
    """Every run id of the experiment in the store's order, page by page."""
    experiment = client.get_experiment_by_name("long")
    assert experiment is not None
    ids: list[str] = []
    token = None
    while True:
        page = client.search_runs(
            experiment.experiment_id, order_by=order_by, max_results=1000, page_token=token
        )
        ids.extend(run.info.run_id for run in page)
        token = page.token
        if not token:
            return ids


async def open_listing(pilot: Pilot[None]) -> RunsTable:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunsScreen)
    return pilot.app.screen.query_one(RunsTable)


def assert_a_slice_of(window: list[str], expected: list[str]) -> None:
    """The rows held are consecutive runs of the listing, in its order."""
    start = expected.index(window[0])
    assert window == expected[start : start + len(window)]


async def test_experiments_screen_reads_a_bounded_number_of_queries(
    many_experiments: TrackingClient,
) -> None:
    statements = StatementCount(many_experiments)
    app = make_app(many_experiments)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ExperimentsScreen)
            table = screen.query_one(KeyTable)
            first_rows = statements.take()
            # A page of rows from one aggregate query (+ its tags; the read-ahead of the
            # highlighted experiment's runs), not ~4 queries for each of 300 experiments.
            assert first_rows <= 12, first_rows
            assert 0 < table.row_count < EXPERIMENTS
            assert column_values(table, "name")[0] == "exp-250"  # most recent activity first
            await pilot.press("r")  # what live refresh and coming back do
            await settle(pilot)
            assert statements.take() <= 12
            await pilot.press("G")  # every page left, then the last row
            await settle(pilot)
            assert table.row_count == EXPERIMENTS
            assert table.cursor_row == EXPERIMENTS - 1
            assert statements.take() <= 12
    finally:
        statements.close()


async def test_g_lands_on_the_last_run_reading_one_page(
    long_listing: TrackingClient, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = listing(long_listing)
    searches = SearchCount(long_listing, monkeypatch)
    app = make_app(long_listing)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_listing(pilot)
        searches.calls = 0
        await pilot.press("G")
        await settle(pilot)
        assert table.current_row_key() == expected[-1]
        assert searches.calls <= 2, f"G read {searches.calls} pages"
        assert len(table.runs) <= MOST_ROWS_HELD
        assert_a_slice_of(table.row_keys(), expected)
        await pilot.press("g")  # and back to the first run
        await settle(pilot)
        assert table.current_row_key() == expected[0]


async def sort_by(pilot: Pilot[None], column: str, times: int) -> None:
    """Pick `column` in the sort picker `times` times (again flips the direction)."""
    for _ in range(times):
        await pilot.press("s")
        options = pilot.app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index(column)
        await pilot.press("enter")
        await settle(pilot)


@pytest.mark.parametrize(
    ("column", "times", "order_by"),
    [
        (None, 0, None),
        ("metric:m", 1, ["metrics.m DESC"]),
        ("metric:m", 2, ["metrics.m ASC"]),
    ],
)
async def test_scrolling_end_to_end_holds_a_window_of_pages(
    long_listing: TrackingClient,
    small_pages: None,
    column: str | None,
    times: int,
    order_by: list[str] | None,
) -> None:
    """Down from the first run to the last, then `G` and up to the first: every window is a
    slice of the store's listing, none holds more than WINDOW pages, marks survive."""
    expected = listing(long_listing, order_by)
    app = make_app(long_listing)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_listing(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        if column is not None:
            await sort_by(pilot, column, times)
        assert screen.runs_query.order_by == tuple(order_by or ())
        marked = table.current_row_key()
        await pilot.press("space")
        most = 0
        for direction in (1, -1):
            if direction == -1:
                await pilot.press("G")
                await settle(pilot)
                assert table.current_row_key() == expected[-1]
            end = expected[-1] if direction == 1 else expected[0]
            while table.current_row_key() != end:
                table.move_cursor(table.cursor_row + direction * 30)
                await settle(pilot, rounds=1)
                most = max(most, len(table.runs))
                assert_a_slice_of(table.row_keys(), expected)
        assert most <= MOST_ROWS_HELD, f"held {most} runs at once"
        assert marked in screen._marked_in_table_order()


def _add_experiments_of_every_kind(client: TrackingClient) -> None:
    """Seven experiments: with 0, 1 or 2 runs, finished or running, one with a heartbeat,
    one deleted, names in both cases."""
    start = 1_700_000_000_000
    for index in range(7):
        experiment = client.create_experiment(f"exp_{index}" if index % 2 else f"Exp-{index}")
        for number in range(index % 3):
            run = client.create_run(experiment, start_time=start + index * 10 + number)
            if number == 0 and index != 4:
                client.set_terminated(run.info.run_id, end_time=start + 500 - index)
            if index == 4:
                client.store.record_heartbeat(run.info.run_id, start + 900)
        if index == 5:
            client.delete_experiment(experiment)


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_experiment_activity_in_sql_agrees_with_the_contract_default(
    kind: str, tmp_path: Path
) -> None:
    """The SQL store's one-query listing gives what the default (built on count_runs and
    search_runs) gives: counts, RUNNING runs, last activity, order, paging, name filter."""
    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    with (
        fresh_database(kind, tmp_path) as uri,
        TrackingClient(uri, artifact_uri=str(tmp_path / "a")) as client,
    ):
        _add_experiments_of_every_kind(client)
        store = client.store

        def every_page(lister: Any, **options: Any) -> list[tuple[object, ...]]:
            found: list[tuple[object, ...]] = []
            token = None
            while True:
                page = lister(max_results=2, page_token=token, **options)
                found += [
                    (a.experiment.name, a.run_count, a.running_count, a.last_activity) for a in page
                ]
                token = page.token
                if not token:
                    return found

        def default(**options: Any) -> Any:
            return TrackingStore.search_experiment_activity(store, **options)

        for options in (
            {},
            {"view_type": ViewType.ALL},
            {"view_type": ViewType.DELETED_ONLY},
            {"filter_string": "name ILIKE '%exp\\_%'"},
        ):
            expected = every_page(default, **options)
            assert every_page(store.search_experiment_activity, **options) == expected
        listed = every_page(store.search_experiment_activity, view_type=ViewType.ALL)
        assert listed[0][0] == "Exp-4"  # its heartbeat is the latest sign of activity
        assert [row[0] for row in listed[-3:]] == ["Exp-0", "Exp-6", "exp_3"]  # no runs
