"""Orphaned runs, with real processes: detection by pid, by heartbeat, and marking FAILED."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuitrack.core.capabilities import Capability
from tuitrack.core.orphans import REASON_TAG, OrphanPolicy
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.entities import RunStatus
from tuitrack.testing.plugin import require

CHILD = textwrap.dedent(
    """
    import sys, time
    from tuitrack import Metric, TrackingClient
    client = TrackingClient(sys.argv[1], artifact_uri=sys.argv[2])
    run = client.create_run(sys.argv[3], run_name="child")
    point = Metric(key="loss", value=1.0, timestamp=int(time.time() * 1000))
    client.log_batch(run.info.run_id, metrics=[point])
    client.record_heartbeat(run.info.run_id)
    print(run.info.run_id, flush=True)
    while True:
        time.sleep(0.2)
        client.record_heartbeat(run.info.run_id)
    """
)
QUICK = OrphanPolicy(stale_after_s=2.0, silence_after_s=2.0)


@pytest.fixture
def child(
    store: TrackingStore, experiment_id: str, tmp_path: Path
) -> Iterator[subprocess.Popen[str]]:
    """A process that logs to the store from its URI, then beats until killed."""
    require(store, Capability.OPEN_BY_URI)
    artifacts = str(tmp_path / "artifacts")
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, store.store_uri, artifacts, experiment_id],
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def _child_run_id(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def test_live_run_is_never_reported_or_marked(
    store: TrackingStore, experiment_id: str, child: subprocess.Popen[str]
) -> None:
    run_id = _child_run_id(child)
    time.sleep(0.5)
    assert store.find_orphans([experiment_id], QUICK) == []
    result = store.mark_failed([run_id], policy=QUICK)
    assert result.marked == []
    assert "alive" in result.refused[run_id]
    assert store.get_run(run_id).info.status is RunStatus.RUNNING


def test_killed_run_is_found_by_pid_at_once_and_marked_failed(
    store: TrackingStore, experiment_id: str, child: subprocess.Popen[str]
) -> None:
    run_id = _child_run_id(child)
    time.sleep(0.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    last_heartbeat = store.get_run(run_id).info.heartbeat_time
    assert last_heartbeat is not None
    # The heartbeat is still fresh by the default rule; the dead pid gives it away.
    orphans = store.find_orphans([experiment_id], OrphanPolicy())
    assert [(o.run_id, o.reason) for o in orphans] == [(run_id, f"pid {child.pid} gone")]
    result = store.mark_failed([run_id])
    assert [o.run_id for o in result.marked] == [run_id]
    run = store.get_run(run_id)
    assert run.info.status is RunStatus.FAILED
    assert run.info.end_time == last_heartbeat  # the last sign of life, not "now"
    assert run.data.tags[REASON_TAG] == f"pid {child.pid} gone"
    assert store.find_orphans([experiment_id], OrphanPolicy()) == []


def test_other_host_is_judged_by_heartbeat_only(store: TrackingStore, experiment_id: str) -> None:
    dead_pid = _dead_pid()
    run_id = store.create_run(
        experiment_id, host="some-other-host", pid=dead_pid, start_time=now_ms() - 60_000
    ).info.run_id
    store.record_heartbeat(run_id)
    assert store.find_orphans([experiment_id], QUICK) == []  # pid is not ours to check
    assert "alive" in store.mark_failed([run_id], policy=QUICK).refused[run_id]
    store.record_heartbeat(run_id, now_ms() - 5_000)
    orphans = store.find_orphans([experiment_id], QUICK)
    assert [o.reason for o in orphans] == ["heartbeat stale 5s"]
    result = store.mark_failed([run_id], reason="node preempted", policy=QUICK)
    assert [o.run_id for o in result.marked] == [run_id]
    run = store.get_run(run_id)
    assert run.info.status is RunStatus.FAILED
    assert run.data.tags[REASON_TAG] == "node preempted"


def test_reused_pid_is_still_detected(store: TrackingStore, experiment_id: str) -> None:
    import socket

    # An unrelated process that started after the run: the pid the run recorded now names it.
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        run_id = store.create_run(
            experiment_id, host=socket.gethostname(), pid=stranger.pid, start_time=now_ms() - 60_000
        ).info.run_id
        store.record_heartbeat(run_id, now_ms() - 30_000)
        reasons = [o.reason for o in store.find_orphans([experiment_id], OrphanPolicy())]
        assert reasons == [f"pid {stranger.pid} reused by another process"]
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc start times")
def test_the_tagged_process_start_time_decides_who_owns_a_live_pid(
    store: TrackingStore, experiment_id: str
) -> None:
    import socket

    from tuitrack.core.processes import probe

    # A live process, started before the runs: by start time alone it could be theirs.
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = probe(process.pid).start_ms
        assert started is not None
        stale = now_ms() - 600_000  # far past any threshold: only the pid speaks for them

        def run_tagged(start_tag: int) -> str:
            tags = {"tuitrack.pid.start_time": str(start_tag)}
            run_id = store.create_run(
                experiment_id, host=socket.gethostname(), pid=process.pid, tags=tags
            ).info.run_id
            store.record_heartbeat(run_id, stale)
            return run_id

        own = run_tagged(started)
        other = run_tagged(started - 3_600_000)  # the run's process started an hour earlier
        orphans = store.find_orphans([experiment_id], QUICK)
        assert [(o.run_id, o.reason) for o in orphans] == [
            (other, f"pid {process.pid} reused by another process")
        ]
        assert "alive" in store.mark_failed([own], policy=QUICK).refused[own]
    finally:
        process.kill()
        process.wait()


def test_runs_without_heartbeat_are_judged_by_last_activity(
    store: TrackingStore, experiment_id: str
) -> None:
    from tuitrack.entities import Metric

    run_id = store.create_run(
        experiment_id, host="elsewhere", start_time=now_ms() - 3_600_000
    ).info.run_id
    store.log_batch(run_id, metrics=[Metric(key="m", value=1.0, timestamp=now_ms())])
    assert store.find_orphans([experiment_id], QUICK) == []
    assert store.last_activity_times([run_id])[run_id] >= now_ms() - 5_000
    quiet = store.create_run(
        experiment_id, host="elsewhere", start_time=now_ms() - 3_600_000
    ).info.run_id
    orphans = store.find_orphans([experiment_id], QUICK)
    assert [(o.run_id, o.reason) for o in orphans] == [(quiet, "no heartbeat; silent 60m")]


def test_finished_runs_are_not_orphans(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id, host="elsewhere", start_time=1).info.run_id
    store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=2)
    assert store.find_orphans([experiment_id], QUICK) == []
    assert store.mark_failed([run_id], policy=QUICK).refused[run_id] == "not orphaned (FINISHED)"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
