"""Orphaned runs in the TUI: shown, counted, filtered, and marked FAILED after confirming.

Runs on a made-up host, so only their heartbeat decides (no pid of this machine is probed).
The app runs on the real clock: marking re-checks each run against the time now.
"""

from __future__ import annotations

from textual.widgets import SelectionList

from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment, run_names
from tuitrack.core.orphans import REASON_TAG
from tuitrack.core.store import now_ms
from tuitrack.entities import RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.mark_failed import MarkFailedScreen
from tuitrack.tui.screens.runs import RunsScreen

HOUR_MS = 3_600_000
ELSEWHERE = "gpu-node-17.example"


def _write_runs(client: TrackingClient) -> tuple[str, str, int]:
    """A live run (fresh heartbeat) and an orphan (heartbeat an hour old)."""
    experiment = client.create_experiment("orphans")
    now = now_ms()
    live = client.create_run(
        experiment, run_name="live", start_time=now - 2 * HOUR_MS, host=ELSEWHERE
    )
    dead = client.create_run(
        experiment, run_name="dead", start_time=now - 3 * HOUR_MS, host=ELSEWHERE
    )
    client.store.record_heartbeat(live.info.run_id, now)
    last_beat = now - HOUR_MS
    client.store.record_heartbeat(dead.info.run_id, last_beat)
    return live.info.run_id, dead.info.run_id, last_beat


def _title(app: TuitrackApp) -> str:
    return str(app.screen.query_one(TitleLine).content)


async def test_orphan_is_shown_counted_filtered_and_marked_failed(
    empty_client: TrackingClient,
) -> None:
    live_id, dead_id, last_beat = _write_runs(empty_client)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "orphans")
        assert run_names(table) == ["live", "dead"]
        assert str(table.get_cell(dead_id, "status")) == "?"
        assert str(table.get_cell(live_id, "status")) == "●"
        assert "1 orphaned" in _title(app)

        await pilot.press("5")  # the quick filter: orphaned runs only
        await settle(pilot)
        assert run_names(table) == ["dead"]
        assert "status orphaned" in _title(app)
        await pilot.press("0")
        await settle(pilot)
        assert run_names(table) == ["live", "dead"]

        table.move_to_run(live_id)  # the cursor on a live run: every orphan is offered
        await pilot.press("F")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, MarkFailedScreen)
        options = dialog.query_one(SelectionList)
        assert options.option_count == 1
        label = str(options.get_option_at_index(0).prompt)
        assert "dead" in label
        assert "heartbeat stale 60m" in label
        assert options.selected == [dead_id]
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, RunsScreen)
        assert str(table.get_cell(dead_id, "status")) == "✗"
        assert str(table.get_cell(live_id, "status")) == "●"
        assert "orphaned" not in _title(app)
    dead = empty_client.get_run(dead_id)
    assert dead.info.status is RunStatus.FAILED
    assert dead.info.end_time == last_beat  # its last sign of life, not "now"
    assert dead.data.tags[REASON_TAG] == "heartbeat stale 60m"
    live = empty_client.get_run(live_id)
    assert live.info.status is RunStatus.RUNNING
    assert REASON_TAG not in live.data.tags


async def test_cancelling_the_confirmation_marks_nothing(empty_client: TrackingClient) -> None:
    _live_id, dead_id, _ = _write_runs(empty_client)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, empty_client, "orphans")
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, MarkFailedScreen)
        await pilot.press("space", "enter")  # untick the only run: nothing to do yet
        assert isinstance(app.screen, MarkFailedScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
    assert empty_client.get_run(dead_id).info.status is RunStatus.RUNNING


async def test_without_orphans_the_quick_filter_says_so(empty_client: TrackingClient) -> None:
    experiment = empty_client.create_experiment("orphans")
    run = empty_client.create_run(experiment, run_name="live", host=ELSEWHERE)
    empty_client.store.record_heartbeat(run.info.run_id)
    app = TuitrackApp(empty_client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "orphans")
        await pilot.press("5")
        await settle(pilot)
        assert table.row_count == 0
        assert "No orphaned runs" in table.empty_message
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)  # nothing to confirm
