"""Resizing the terminal between screens, as happens over SSH: every screen is opened and
left with a resize before and after, at sizes down to 40x12, and the app must keep running.

A widget must not touch its screen once the screen is gone: the key bar did, from a callback
that ran after going back a screen (`NoScreen: node has no screen`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.geometry import Size
from textual.pilot import Pilot
from textual.screen import Screen

from tests.tui.conftest import make_app
from tests.tui.helpers import settle, wait_until
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.columns import ColumnsScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.help import HelpScreen
from tuitrack.tui.screens.mark_failed import MarkFailedScreen
from tuitrack.tui.screens.metric_picker import MetricPickerScreen
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.screens.sort import SortScreen
from tuitrack.tui.screens.tag_picker import TagPickerScreen
from tuitrack.tui.widgets.key_table import KeyTable

SIZES = ((100, 30), (80, 24), (60, 15), (50, 14), (40, 12))
SQLITE_ONLY = pytest.mark.parametrize("demo_store", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class Visit:
    """A screen, the keys that open it from its parent, and the key that leaves it."""

    opens: tuple[str, ...]
    screen: type[Screen[Any]]
    back: str = "q"
    children: tuple[Visit, ...] = ()
    prepare: Callable[[Screen[Any]], None] | None = None
    """Done on the parent screen before the keys: e.g. put the cursor where they act."""


def cursor_on_a_metric(screen: Screen[Any]) -> None:
    table = screen.query_one("#compare-table", KeyTable)
    first = next(key for key in table.rows if str(key.value).startswith("metric:"))
    table.move_cursor(row=table.get_row_index(first))


HELP = Visit(("question_mark",), HelpScreen)
# The first experiment listed is gpt-pretrain: live runs, an orphan, metrics, params.
# Each screen is reached once (the chart over the runs list is the report's test below).
RUNS = Visit(
    ("enter",),
    RunsScreen,
    children=(
        Visit(
            ("enter",),
            RunScreen,
            children=(
                Visit(("v",), ChartScreen, children=(Visit(("m",), MetricPickerScreen, "escape"),)),
            ),
        ),
        Visit(
            ("space", "space", "C"),
            CompareScreen,
            children=(Visit(("v",), ChartScreen, prepare=cursor_on_a_metric),),
        ),
        Visit(("c",), ColumnsScreen, "escape"),
        Visit(("s",), SortScreen, "escape"),
        Visit(("t",), TagPickerScreen, "escape"),
        Visit(("F",), MarkFailedScreen, "escape"),
        HELP,
    ),
)
TREE = Visit((), ExperimentsScreen, children=(RUNS,))


class Resizer:
    """Resizes the terminal as a terminal does, to sizes drawn from SIZES with a fixed seed.

    The keys that follow are sent at once, without waiting for the app to redraw.
    """

    def __init__(self, app: App[None], seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.sizes: set[tuple[int, int]] = set()

    def __call__(self) -> None:
        width, height = self.rng.choice([s for s in SIZES if s != self.app.size])
        self.sizes.add((width, height))
        size = Size(width, height)
        self.app.post_message(events.Resize(size, size))


def assert_alive(pilot: Pilot[None], screen: type[Screen[Any]], where: str) -> None:
    assert pilot.app.is_running, f"the app stopped {where}"
    assert isinstance(pilot.app.screen, screen), f"{where}: on {pilot.app.screen}"


async def visit_all(pilot: Pilot[None], parent: Visit, resize: Resizer) -> None:
    """Open each child of `parent` and go back, resizing before and after each move."""
    for child in parent.children:
        resize()
        if child.prepare is not None:
            await settle(pilot)  # the rows it looks at are read by a worker
            child.prepare(pilot.app.screen)
        await pilot.press(*child.opens)
        # Some screens open once a worker has read what they show (the orphans).
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, parent.screen))
        assert_alive(pilot, child.screen, f"opening {child.screen.__name__}")
        await visit_all(pilot, child, resize)
        resize()
        # Straight after the resize, with no settling: the moment the crash needed.
        await pilot.press(child.back)
        assert_alive(pilot, parent.screen, f"leaving {child.screen.__name__}")


@SQLITE_ONLY
async def test_every_screen_survives_resizes_going_in_and_out(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        resize = Resizer(app, seed=14)
        await visit_all(pilot, TREE, resize)
        assert_alive(pilot, ExperimentsScreen, "at the end")
        assert resize.sizes == set(SIZES)


@SQLITE_ONLY
async def test_going_back_twice_right_after_a_resize_keeps_the_app_running(
    client: TrackingClient,
) -> None:
    """The report: at 120x40 open a run's chart, resize to 60x15, then `q` `q`."""
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("enter", "v"):
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        await pilot.resize_terminal(60, 15)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("q")
        await settle(pilot)
        assert_alive(pilot, ExperimentsScreen, "after going back twice")
