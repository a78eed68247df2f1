"""Logging faster than the store writes never loses a point: the caller waits instead.

The SDK's queue used to hold TUITRACK_MAX_QUEUED_POINTS points and silently drop the
oldest beyond it: 2M points logged into a healthy SQLite store lost 625,229 and the run
FINISHED. Points are counted straight from the store's point rows.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox
from tests.sdk.test_store_failures import BREAK_AND_REPAIR
from tuitrack import RunStatus

QUEUE_FULL_NOTE = "logging is outpacing the tracking store"
SOAK = os.environ.get("TUITRACK_SOAK") == "1"

# Metric points as fast as the fluent API takes them: log_metric, then log_metrics.
FAST_LOOP = """
import time, tuitrack
run = tuitrack.start_run()
log_metric, log_metrics = tuitrack.log_metric, tuitrack.log_metrics
started = time.perf_counter()
for step in range({single}):
    log_metric("loss", 0.5, step=step)
for step in range({paired}):
    log_metrics({{"a": 1.0, "b": 2.0}}, step=step)
looped = time.perf_counter() - started
tuitrack.end_run()
print(run.info.run_id, looped, time.perf_counter() - started)
"""

# The store goes down (the SQLite file swapped for garbage) before the loop logs more
# than the queue holds; it comes back before the run ends. Strict mode's errors are
# caught and those saying the point was not queued are counted.
LOOP_INTO_A_DEAD_STORE = (
    BREAK_AND_REPAIR
    + """
points = {points}
run = tuitrack.start_run()
tuitrack.flush()
break_store()
refused_by_error = 0
started = time.perf_counter()
for step in range(points):
    try:
        tuitrack.log_metric("loss", 0.5, step=step)
    except tuitrack.TuitrackError as error:
        refused_by_error += "was not queued" in str(error)
looped = time.perf_counter() - started
repair_store()
try:
    tuitrack.flush()
except tuitrack.TuitrackError:
    pass  # strict mode: a failure kept from the outage
tuitrack.end_run()
print(run.info.run_id, looped, refused_by_error)
"""
)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    box = SdkSandbox(tmp_path)
    yield box
    box.close()


def stored_steps(sandbox: SdkSandbox, run_id: str, key: str) -> tuple[int, int, int, int]:
    """(points, distinct steps, lowest step, highest step) of a series, from its rows."""
    database = sandbox.tracking_uri.removeprefix("sqlite:///")
    connection = sqlite3.connect(database)
    try:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT m.step), min(m.step), max(m.step) "
            "FROM metrics m JOIN metric_series s ON s.series_id = m.series_id "
            "WHERE s.run_uuid = ? AND s.key = ?",
            (run_id, key),
        ).fetchone()
    finally:
        connection.close()
    return row[0], row[1], row[2], row[3]


def log_fast(sandbox: SdkSandbox, single: int, paired: int, **env: str) -> str:
    """Log in a child as fast as it can; check that every point arrived and the run
    FINISHED; return the child's stderr."""
    script = FAST_LOOP.format(single=single, paired=paired)
    done = sandbox.run(script, timeout=600, **env)
    assert done.returncode == 0, done.stderr
    run_id, looped, total = done.stdout.split()
    print(f"{single + 2 * paired:,} points: loop {float(looped):.1f} s, all stored {total} s")
    assert sandbox.get_run(run_id).info.status is RunStatus.FINISHED, done.stderr
    assert stored_steps(sandbox, run_id, "loss") == (single, single, 0, single - 1)
    for key in ("a", "b"):
        assert stored_steps(sandbox, run_id, key) == (paired, paired, 0, paired - 1)
    return done.stderr


@pytest.mark.parametrize("strict", ["0", "1"])
def test_a_full_queue_slows_the_loop_and_loses_nothing(sandbox: SdkSandbox, strict: str) -> None:
    stderr = log_fast(
        sandbox, 60_000, 20_000, TUITRACK_MAX_QUEUED_POINTS="5000", TUITRACK_STRICT=strict
    )
    assert stderr.count(QUEUE_FULL_NOTE) == 1, stderr
    assert "5,000 metric points are queued" in stderr


@pytest.mark.slow
@pytest.mark.skipif(not SOAK, reason="3M points take about a minute; TUITRACK_SOAK=1 runs it")
def test_three_million_points_with_the_default_queue_all_arrive(sandbox: SdkSandbox) -> None:
    stderr = log_fast(sandbox, 2_000_000, 500_000)
    assert stderr.count(QUEUE_FULL_NOTE) == 1, stderr
    assert "could not be stored" not in stderr


@pytest.mark.parametrize("strict", ["0", "1"])
def test_a_dead_store_and_a_full_queue_refuse_points_loudly_without_hanging(
    sandbox: SdkSandbox, strict: str
) -> None:
    points = 10_000
    done = sandbox.run(
        LOOP_INTO_A_DEAD_STORE.format(points=points),
        timeout=120,
        TUITRACK_SQL_NULLPOOL="1",
        TUITRACK_MAX_QUEUED_POINTS="2000",
        TUITRACK_FULL_QUEUE_WAIT_SECONDS="2",
        TUITRACK_STRICT=strict,
    )
    assert done.returncode == 0, done.stderr
    run_id, looped, refused_by_error = done.stdout.split()
    print(f"loop took {float(looped):.1f} s with the store down")
    assert 2 <= float(looped) < 60, "waited for the dead store, but boundedly"
    assert "new metric points are refused and counted" in done.stderr
    counted = re.search(rf"run {run_id}: ([\d,]+)\)", done.stderr)
    assert counted is not None, done.stderr
    refused = int(counted.group(1).replace(",", ""))
    if strict == "1":
        assert int(refused_by_error) == refused
    # Every point logged is either stored or counted as refused; the first ones are kept.
    stored = points - refused
    assert 2000 <= stored < points
    assert stored_steps(sandbox, run_id, "loss") == (stored, stored, 0, stored - 1)
    assert sandbox.get_run(run_id).info.status is RunStatus.FINISHED
