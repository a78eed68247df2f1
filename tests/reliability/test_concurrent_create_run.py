"""Many processes starting runs in one experiment at once: none fails, every run exists.

On MariaDB two transactions that each inserted a run (a shared lock on the experiment row,
through the foreign key) and then updated the experiment's last_update_time deadlocked,
and start_run raised in the training script.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

from tests.contract import conftest as contract_fixtures
from tuitrack.entities import RunStatus
from tuitrack.sdk.client import TrackingClient

PROCESSES = 16
RUNS_PER_PROCESS = 10


def _start_runs(barrier: Path, experiment_id: str, env: dict[str, str]) -> None:
    """A forked child: wait for the barrier, then start and end runs through the SDK."""
    import tuitrack

    os.environ.update(env)
    try:
        tuitrack.set_experiment(experiment_id=experiment_id)
        while not barrier.exists():
            time.sleep(0.002)
        for _ in range(RUNS_PER_PROCESS):
            tuitrack.start_run(capture_environment=False)
            tuitrack.end_run()
    except BaseException as error:  # the parent reads the reason from stderr
        print(f"{type(error).__name__}: {error}", file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)


database_uri = contract_fixtures.database_uri  # each database, created once


def test_processes_start_runs_in_one_experiment_at_once(database_uri: str, tmp_path: Path) -> None:
    artifacts = str(tmp_path / "artifacts")
    client = TrackingClient(database_uri, artifact_uri=artifacts)
    try:
        experiment_id = client.create_experiment("concurrent-create-run")
        client.close()  # no pooled connection is shared with the forked children
        barrier = tmp_path / "go"
        env = {
            "TUITRACK_TRACKING_URI": database_uri,
            "TUITRACK_ARTIFACT_URI": artifacts,
            "TUITRACK_CAPTURE_ENV": "0",
        }
        # Forked, so the children skip importing tuitrack again (2 s of CPU each here).
        fork = multiprocessing.get_context("fork")
        children = [
            fork.Process(target=_start_runs, args=(barrier, experiment_id, env))
            for _ in range(PROCESSES)
        ]
        for child in children:
            child.start()
        barrier.touch()
        for child in children:
            child.join(timeout=300)
        failed = [child.exitcode for child in children if child.exitcode != 0]
        assert failed == [], f"{len(failed)} of {PROCESSES} processes failed (see stderr)"
        runs = client.search_runs([experiment_id], max_results=1000)
        assert len(runs) == PROCESSES * RUNS_PER_PROCESS
        assert {run.info.status for run in runs} == {RunStatus.FINISHED}
        # Run creation still moves the experiment's last update (filters and ordering use it).
        updated = client.get_experiment(experiment_id).last_update_time
        assert updated is not None
        assert updated >= max(run.info.start_time or 0 for run in runs)
    finally:
        client.close()
