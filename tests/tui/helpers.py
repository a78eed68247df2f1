"""Driving the app in tests: wait until every store worker is done and the UI has caught up."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled

from tuitrack.tui.widgets.runs_table import RunsTable


async def workers_done(pilot: Pilot[None]) -> None:
    """Wait for the app's workers; one cancelled because a newer read replaced it (an
    exclusive group, live refresh on a slow machine) is done too. A failed one raises."""
    for worker in list(pilot.app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


async def settle(pilot: Pilot[None], rounds: int = 4) -> None:
    """Workers post messages that start more workers: wait a few rounds of that."""
    for _ in range(rounds):
        await workers_done(pilot)
        await pilot.pause()
    # A worker the last round started (a read-ahead of the highlighted experiment's runs,
    # say) would still be using the interpreter while a snapshot is taken.
    while any(worker.is_running for worker in pilot.app.workers):
        await workers_done(pilot)
        await pilot.pause()


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Poll (for live refresh) until `condition` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached before the timeout")
        await pilot.pause(0.05)


def rendered_text(widget: Static) -> str:
    """The plain text a Static shows, whatever rich renderable it holds."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def column_values(table: DataTable[object] | RunsTable, column_key: str) -> list[str]:
    if isinstance(table, RunsTable):
        return [str(table.get_cell(run_id, column_key)) for run_id in table.row_keys()]
    return [str(table.get_cell(row_key, column_key)) for row_key in table.rows]
