"""SVG snapshots of every screen at 80x24 and 120x40, from the deterministic demo store.

Update them with `pytest tests/tui/test_snapshots.py --snapshot-update` after looking at
the report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import DemoStore, make_app
from tests.tui.helpers import settle
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Steps = Callable[[Pilot[None]], Awaitable[None]]


def open_experiment(store: DemoStore, name: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await settle(pilot)
        with store.client() as client:
            experiment = client.get_experiment_by_name(name)
        assert experiment is not None
        table = pilot.app.screen.query_one(KeyTable)
        table.move_cursor(row=table.get_row_index(experiment.experiment_id))
        await pilot.press("enter")
        await settle(pilot)

    return steps


def open_run(store: DemoStore, experiment: str, run_name: str, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await open_experiment(store, experiment)(pilot)
        table = pilot.app.screen.query_one(RunsTable)
        table.set_all_folded(False)
        run = next(r for r in table.runs if r.info.run_name == run_name)
        table.move_to_run(run.info.run_id)
        await pilot.press("enter")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return steps


def then(first: Steps, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await first(pilot)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)
        for bar in pilot.app.screen.query(FilterBar):
            bar.input.cursor_blink = False
        await pilot.pause()

    return steps


def scenarios(store: DemoStore) -> dict[str, Steps]:
    return {
        "experiments": settle,
        "runs": open_experiment(store, "mnist-cnn"),
        "runs_live": open_experiment(store, "gpt-pretrain"),
        "runs_sweep_open": then(open_experiment(store, "cifar10-resnet-sweep"), "z"),
        "runs_filter_error": then(
            open_experiment(store, "mnist-cnn"), "slash", *"metrics.loss >", "enter"
        ),
        "run_overview": open_run(store, "cifar10-resnet-sweep", "trial-0-01"),
        "run_orphaned": open_run(store, "gpt-pretrain", "pretrain-760m"),
        "run_metrics": open_run(store, "cifar10-resnet-sweep", "trial-0-01", "m"),
        "run_artifacts": open_run(store, "mnist-cnn", "cnn-001", "a", "j", "j"),
        "help": then(open_experiment(store, "mnist-cnn"), "question_mark"),
        "mark_failed_confirm": then(open_experiment(store, "gpt-pretrain"), "F"),
        "tag_picker": then(open_experiment(store, "mnist-cnn"), "t"),
        "tag_values": then(open_experiment(store, "mnist-cnn"), "t", "down", "enter"),
        "runs_empty": then(open_experiment(store, "mnist-cnn"), "1"),
        # Finished, failed and killed on: the set shows in full at 80 columns.
        "runs_status_set": then(open_experiment(store, "cifar10-resnet-sweep"), "2", "3", "4"),
        "columns_picker": then(open_experiment(store, "mnist-cnn"), "c"),
    }


SCENARIOS = (
    "experiments",
    "runs",
    "runs_live",
    "runs_sweep_open",
    "runs_filter_error",
    "run_overview",
    "run_orphaned",
    "run_metrics",
    "run_artifacts",
    "help",
    "mark_failed_confirm",
    "tag_picker",
    "tag_values",
    "runs_empty",
    "runs_status_set",
    "columns_picker",
)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_screen_snapshot(
    snap_compare: Any, snapshot_store: DemoStore, scenario: str, size: tuple[int, int]
) -> None:
    with snapshot_store.client() as client:
        app = make_app(client)
        steps = scenarios(snapshot_store)[scenario]
        assert snap_compare(app, run_before=steps, terminal_size=size)


def test_picker_snapshot_without_colour(
    snap_compare: Any, snapshot_store: DemoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: ticked and unticked columns still read apart."""
    monkeypatch.setenv("NO_COLOR", "1")
    with snapshot_store.client() as client:
        app = make_app(client)
        steps = scenarios(snapshot_store)["columns_picker"]
        assert snap_compare(app, run_before=steps, terminal_size=(80, 24))
