"""Write the deterministic demo store and save an SVG of each TUI screen into screenshots/.

    python screenshots/make_screenshots.py [--size 120x40] [--small]

The store, its times and its run ids are the same on every run, so the SVGs only change
when the UI does.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tuitrack.cli.demo import write_demo
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable

FIXED_NOW = 1_750_000_000_000  # 2025-06-15 15:06:40 UTC
OUT_DIR = Path(__file__).resolve().parent
Steps = Callable[[Pilot[None]], Awaitable[None]]


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def open_experiment(client: TrackingClient, name: str, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await settle(pilot)
        experiment = client.get_experiment_by_name(name)
        assert experiment is not None
        table = pilot.app.screen.query_one(KeyTable)
        table.move_cursor(row=table.get_row_index(experiment.experiment_id))
        await pilot.press("enter")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)

    return steps


def open_run(client: TrackingClient, experiment: str, run: str, *keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await open_experiment(client, experiment)(pilot)
        table = pilot.app.screen.query_one(RunsTable)
        table.set_all_folded(False)
        target = next(r for r in table.runs if r.info.run_name == run)
        table.move_to_run(target.info.run_id)
        await pilot.press("enter")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return steps


def screens(client: TrackingClient) -> dict[str, Steps]:
    return {
        "experiments": settle,
        "runs": open_experiment(client, "mnist-cnn"),
        "runs-sweep": open_experiment(client, "cifar10-resnet-sweep", "z"),
        "runs-live": open_experiment(client, "gpt-pretrain"),
        "runs-filter-error": open_experiment(
            client, "mnist-cnn", "slash", *"metrics.`val/loss` <", "enter"
        ),
        "run-overview": open_run(client, "cifar10-resnet-sweep", "trial-0-03"),
        "run-metrics": open_run(client, "gpt-pretrain", "pretrain-350m", "m"),
        "run-artifacts": open_run(client, "mnist-cnn", "cnn-001", "a", "j", "j"),
        "help": open_experiment(client, "mnist-cnn", "question_mark"),
    }


def write_store(folder: Path, small: bool) -> TrackingClient:
    rng = random.Random(0)
    original = uuid.uuid4
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    try:
        client = TrackingClient(
            f"sqlite:///{folder / 'tuitrack.db'}", artifact_uri=str(folder / "artifacts")
        )
        write_demo(client, now=FIXED_NOW, scale="small" if small else "full")
    finally:
        uuid.uuid4 = original
    return client


async def shoot(client: TrackingClient, name: str, steps: Steps, size: tuple[int, int]) -> Path:
    app = TuitrackApp(client, clock=lambda: FIXED_NOW, refresh_seconds=0)
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        path = OUT_DIR / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT_DIR))
    return path


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    parser.add_argument("--small", action="store_true", help="the small demo store (faster)")
    args = parser.parse_args()
    columns, rows = (int(part) for part in args.size.split("x"))
    # A fixed folder: the store's path shows on the experiments screen.
    folder = Path(tempfile.gettempdir()) / "tuitrack-screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    client = write_store(folder, args.small)
    try:
        for name, steps in screens(client).items():
            path = await shoot(client, name, steps, (columns, rows))
            print(path)
    finally:
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
