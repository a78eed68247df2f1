"""Status keys on the runs screen: `1`..`5` toggle statuses as the table shows them and
combine (any of them), `0` shows every status; whatever reloads the listing keeps them; the
title shows the set at 80 columns and says `filtered` only for a filter applied."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import make_app
from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment, run_names
from tuitrack.core.store import now_ms
from tuitrack.entities import RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.help import HelpScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.widgets.filter_bar import FilterBar

HOUR_MS = 3_600_000
ELSEWHERE = "gpu-node-17.example"  # no pid of this machine is probed: heartbeats decide
EXPERIMENT = "cifar10-resnet-sweep"  # a long name, as titles at 80 columns meet them


def _write_one_of_each(client: TrackingClient) -> None:
    """Runs named after their shown status: alive, orphaned, finished, failed, killed."""
    experiment = client.create_experiment(EXPERIMENT)
    now = now_ms()
    for offset, name in enumerate(["alive", "orphan", "finished", "failed", "killed"]):
        run = client.create_run(
            experiment, run_name=name, start_time=now - (offset + 2) * HOUR_MS, host=ELSEWHERE
        )
        run_id = run.info.run_id
        if name == "alive":
            client.store.record_heartbeat(run_id, now)
        elif name == "orphan":
            client.store.record_heartbeat(run_id, now - HOUR_MS)
        else:
            client.set_terminated(run_id, RunStatus(name.upper()))


def _title_shown(app: TuitrackApp) -> str:
    """The title line as drawn, cut to the terminal's width."""
    line = app.screen.query_one(TitleLine)
    return "".join(segment.text for segment in line.render_line(0)).strip()


async def _press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_status_keys_toggle_and_combine_as_the_table_shows_statuses(
    empty_client: TrackingClient,
) -> None:
    _write_one_of_each(empty_client)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, EXPERIMENT)
        assert run_names(table) == ["alive", "orphan", "finished", "failed", "killed"]
        await _press(pilot, "1")  # running: the orphan is shown as orphaned, not running
        assert run_names(table) == ["alive"]
        await _press(pilot, "5")
        assert run_names(table) == ["alive", "orphan"]
        await _press(pilot, "1")  # toggled off again
        assert run_names(table) == ["orphan"]
        await _press(pilot, "3")
        assert run_names(table) == ["orphan", "failed"]
        await _press(pilot, "2", "4", "1")
        assert run_names(table) == ["alive", "orphan", "finished", "failed", "killed"]
        await _press(pilot, "0")
        await _press(pilot, "2", "4")
        assert run_names(table) == ["finished", "killed"]


async def test_the_status_set_is_visible_in_the_title_at_80_columns(
    empty_client: TrackingClient,
) -> None:
    _write_one_of_each(empty_client)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, empty_client, EXPERIMENT)
        await _press(pilot, "3", "1", "5")
        title = _title_shown(app)
        assert "running+failed+orphaned" in title, title
        assert not title.endswith("…"), title
        await _press(pilot, "0")
        assert "status" not in _title_shown(app)


async def test_orphaned_only_without_orphans_shows_no_runs_after_reload_and_sort(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "bert-glue")  # no orphans here
        assert table.row_count == 5
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await _press(pilot, "5")
        assert table.row_count == 0
        await _press(pilot, "r")
        assert table.row_count == 0
        await _press(pilot, "s")
        await _press(pilot, "enter")  # sort by the first column offered: status
        assert table.row_count == 0
        assert "sort status ▼" in _title_shown(app)
        assert "No runs match" in table.empty_message
        await _press(pilot, "0")
        assert table.row_count == 5


async def test_help_says_the_status_keys_toggle(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        does = {ident: description for _keys, description, ident in app.screen.rows}
        assert does["runs.status_running"] == "Toggle running"
        assert does["runs.status_orphaned"] == "Toggle orphaned"
        assert does["runs.status_all"] == "Every status"
        assert not any(text.endswith(" only") for text in does.values())


async def test_a_refused_filter_is_not_called_filtered(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        bar = app.screen.query_one(FilterBar)
        await _press(pilot, "slash", *"metrics.loss >", "enter")
        assert bar.has_class("-error")
        assert "filtered" not in _title_shown(app)
        # The bar keeps the focus to fix the filter; Esc leaves it, and a status toggle
        # reads the rows again without the refused filter.
        await _press(pilot, "escape", "2")
        assert not bar.has_class("-error")
        assert {r.info.status for r in table.runs} == {RunStatus.FINISHED}
        assert "filtered" not in _title_shown(app)
        await _press(pilot, "0", "slash", "ctrl+u", *"params.optimizer = 'adam'", "enter")
        assert "filtered" in _title_shown(app)
        shown = run_names(table)
        await _press(pilot, "slash", *" and", "enter")  # refused: the rows keep the filter
        assert bar.has_class("-error")
        assert run_names(table) == shown
        assert "filtered" in _title_shown(app)
