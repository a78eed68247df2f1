"""Orphaned runs: RUNNING in the store, but the process behind them is gone.

Derived when read, never stored. A run is orphaned when its status is RUNNING and
- it was started on this host and its pid is gone or now belongs to another process, or
- its heartbeat is older than the stale threshold (3x the heartbeat interval by default), or
- it never sent a heartbeat (written by another tool) and its last activity is older than
  the longer silence threshold.
A run on this host whose process is alive (and is the one that tagged the run) is never
orphaned, whatever its heartbeat: a stopped (SIGSTOP) process or a store it could not write
to for a while does not make it dead. Runs on other hosts are judged by heartbeat only.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from tuitrack.core.processes import ProcessState, probe
from tuitrack.entities import RunInfo, RunStatus

HEARTBEAT_SECONDS_ENV = "TUITRACK_HEARTBEAT_SECONDS"
ORPHAN_AFTER_ENV = "TUITRACK_ORPHAN_AFTER_SECONDS"
SILENCE_AFTER_ENV = "TUITRACK_ORPHAN_SILENCE_SECONDS"
HOST_TAG = "tuitrack.host"
PID_TAG = "tuitrack.pid"
REASON_TAG = "tuitrack.orphan_reason"
# When the process behind the run (the one that created or last resumed it) started, in ms
# since the epoch: a live pid with another start time has been reused.
PROCESS_START_TAG = "tuitrack.pid.start_time"
# Start times read from /proc move by up to a second when the clock is adjusted.
_PID_REUSE_TOLERANCE_MS = 2_000


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class OrphanPolicy:
    """Thresholds, in seconds, and whether to look at processes on this host."""

    stale_after_s: float = 30.0
    silence_after_s: float = 1800.0
    check_local_processes: bool = True

    @classmethod
    def from_environment(cls) -> OrphanPolicy:
        heartbeat = _env_seconds(HEARTBEAT_SECONDS_ENV, 10.0)
        return cls(
            stale_after_s=_env_seconds(ORPHAN_AFTER_ENV, 3 * heartbeat),
            silence_after_s=_env_seconds(SILENCE_AFTER_ENV, 1800.0),
        )

    def older_than(self, seconds: float) -> OrphanPolicy:
        """One threshold for every run, as `tuitrack runs orphans --older-than` asks: a
        heartbeat this old is stale, and a run that never sent one (MLflow's, another
        tool's) is orphaned after this long without logging."""
        return replace(self, stale_after_s=seconds, silence_after_s=seconds)


@dataclass(frozen=True)
class Orphan:
    """Why a run counts as dead, and its last sign of life (ms since the epoch)."""

    run_id: str
    reason: str
    last_sign_of_life: int | None


def format_age(milliseconds: int) -> str:
    seconds = max(0, milliseconds // 1000)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172_800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86_400}d"


def _run_host_and_pid(info: RunInfo, tags: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The SDK re-tags host and pid when a run is resumed elsewhere; tags win over info."""
    host = tags.get(HOST_TAG) or info.host
    pid_text = tags.get(PID_TAG)
    pid = int(pid_text) if pid_text and pid_text.isdigit() else info.pid
    return host, pid


def _pid_reused(state: ProcessState, info: RunInfo, tags: Mapping[str, str]) -> bool:
    """Whether the live process with the run's pid is another one than the run's."""
    if state.start_ms is None:
        return False
    tagged = tags.get(PROCESS_START_TAG)
    if tagged and tagged.isdigit():
        return abs(state.start_ms - int(tagged)) > _PID_REUSE_TOLERANCE_MS
    # Runs without the tag: a process that started after the run and after its last
    # heartbeat cannot be the one that created it (or resumed it and kept beating).
    started = info.start_time
    return (
        started is not None
        and state.start_ms > started + _PID_REUSE_TOLERANCE_MS
        and (info.heartbeat_time is None or state.start_ms > info.heartbeat_time)
    )


def last_sign_of_life(info: RunInfo, last_activity: int | None = None) -> int | None:
    candidates = [t for t in (info.heartbeat_time, last_activity, info.start_time) if t]
    return max(candidates) if candidates else None


def find_orphan(
    info: RunInfo,
    tags: Mapping[str, str],
    now_ms: int,
    policy: OrphanPolicy,
    last_activity: int | None = None,
    local_host: str | None = None,
    process_probe: Callable[[int], ProcessState] = probe,
) -> Orphan | None:
    """The verdict on one run: an Orphan with its reason, or None when it may be alive."""
    if info.status is not RunStatus.RUNNING:
        return None
    last_alive = last_sign_of_life(info, last_activity)
    host, pid = _run_host_and_pid(info, tags)
    here = local_host if local_host is not None else socket.gethostname()
    if policy.check_local_processes and host == here and pid:
        state = process_probe(pid)
        if not state.alive:
            return Orphan(info.run_id, f"pid {pid} gone", last_alive)
        if _pid_reused(state, info, tags):
            return Orphan(info.run_id, f"pid {pid} reused by another process", last_alive)
        if state.start_ms is not None:
            return None  # its own process is alive: stopped or blocked is not dead
        # Alive, but with no start time to rule out reuse: judged by heartbeat below.
    if info.heartbeat_time is not None:
        age = now_ms - info.heartbeat_time
        if age > policy.stale_after_s * 1000:
            return Orphan(info.run_id, f"heartbeat stale {format_age(age)}", last_alive)
        return None
    if last_alive is not None:
        age = now_ms - last_alive
        if age > policy.silence_after_s * 1000:
            return Orphan(info.run_id, f"no heartbeat; silent {format_age(age)}", last_alive)
    return None
