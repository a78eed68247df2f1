"""Keys typed ahead of the app: each acts on the screen and focus the keys before it left.

`type_ahead` puts keys in the app's queue all at once, as the terminal driver does with a
burst it read in one go (over SSH, `Enter q` typed quickly often arrives so), with no pause
for the app between them; `pilot.press` pauses for the app after each key.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen

from tests.tui.conftest import make_app
from tests.tui.helpers import settle, wait_until
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.columns import ColumnsScreen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.help import HelpScreen
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.runs_table import RunsTable

SQLITE_ONLY = pytest.mark.parametrize("demo_store", ["sqlite"], indirect=True)
CHARACTERS = {
    "enter": "\r",
    "escape": "\x1b",
    "slash": "/",
    "question_mark": "?",
    "ctrl+q": "\x11",
}

# Through every kind of move: open, open, chart, back, back, a picker, help, back to start.
ROUND_TRIP = ("enter", "enter", "v", "q", "q", "c", "escape", "question_mark", "q", "q")
ROUND_TRIP_SCREENS = (
    RunsScreen,
    RunScreen,
    ChartScreen,
    RunScreen,
    RunsScreen,
    ColumnsScreen,
    RunsScreen,
    HelpScreen,
    RunsScreen,
    ExperimentsScreen,
)


def type_ahead(app: TuitrackApp, *keys: str) -> None:
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key)))


async def all_handled(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TuitrackApp)
    # Generous: on a loaded machine each held key waits for the reads of the screen before it.
    await wait_until(pilot, lambda: not app.keys_pending or not app.is_running, timeout=30)
    await settle(pilot)


def screens(app: TuitrackApp) -> list[type[Screen[Any]]]:
    return [type(screen) for screen in app.screen_stack[1:]]


def record_screen_changes(app: TuitrackApp) -> list[type[Screen[Any]]]:
    """The kind of each screen that becomes current from now on, in order."""
    seen: list[type[Screen[Any]]] = []
    app.screen_change_signal.subscribe(app, lambda s: seen.append(type(s)), immediate=True)
    return seen


@SQLITE_ONLY
async def test_enter_q_typed_at_start_opens_the_experiment_and_comes_back(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        type_ahead(app, "enter", "q")  # before the list has even been read
        await all_handled(pilot)
        assert app.is_running
        assert screens(app) == [ExperimentsScreen]
        type_ahead(app, "enter", "q", "enter")  # and again once the list is on screen
        await all_handled(pilot)
        assert screens(app) == [ExperimentsScreen, RunsScreen]


@SQLITE_ONLY
async def test_enter_right_after_esc_closes_the_filter_bar_opens_the_run(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        first_run = runs.query_one(RunsTable).run_at_cursor()
        assert first_run is not None
        await pilot.press("slash", "x")  # typed into the bar, not applied
        assert app.focused is runs.query_one(FilterBar).input
        type_ahead(app, "escape", "enter")
        await all_handled(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        assert run.run_id == first_run.info.run_id
        assert runs.query_one(FilterBar).value == "x"  # closed, neither applied nor lost
        assert runs.user_filter == ""


@SQLITE_ONLY
async def test_text_typed_right_after_slash_goes_into_the_filter(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(app, "slash", *"cifar")
        await all_handled(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        assert screen.query_one(FilterBar).value == "cifar"
        assert screen.name_filter == "cifar"


@SQLITE_ONLY
async def test_a_burst_of_keys_through_every_kind_of_screen_change_lands_on_each_screen(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = record_screen_changes(app)
        type_ahead(app, *ROUND_TRIP)
        await all_handled(pilot)
        assert app.is_running
        assert seen == list(ROUND_TRIP_SCREENS)


@SQLITE_ONLY
async def test_keys_pressed_with_no_pause_between_screen_changes(
    client: TrackingClient,
) -> None:
    """The same keys through Pilot in one call: each screen reached in turn, nothing lost."""
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = record_screen_changes(app)
        await pilot.press(*ROUND_TRIP)
        await all_handled(pilot)
        assert app.is_running
        assert seen == list(ROUND_TRIP_SCREENS)


@SQLITE_ONLY
async def test_ctrl_q_typed_behind_other_keys_quits_at_once(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = record_screen_changes(app)
        type_ahead(app, "enter", "enter", "ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
        assert RunScreen not in seen  # the held `enter` never acted
