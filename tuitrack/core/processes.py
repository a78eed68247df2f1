"""Is a process still the one that started a run? Start times come from /proc on Linux."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class ProcessState:
    """`alive` False: no such pid. `start_ms` None: alive, but its start time is unknown."""

    alive: bool
    start_ms: int | None = None


@lru_cache(maxsize=1)
def _boot_time_s() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _start_ms_from_proc(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    boot = _boot_time_s()
    if boot is None:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its end.
    fields = text[text.rfind(")") + 2 :].split()
    ticks = int(fields[19])  # field 22 overall: start time in clock ticks since boot
    return int((boot + ticks / os.sysconf("SC_CLK_TCK")) * 1000)


def own_start_ms() -> int | None:
    """When this process started (ms since the epoch), or None where /proc is missing."""
    return _start_ms_from_proc(os.getpid())


def probe(pid: int) -> ProcessState:
    """The state of `pid` on this host."""
    if pid <= 0:
        return ProcessState(alive=False)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ProcessState(alive=False)
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return ProcessState(alive=False)
    state = _start_ms_from_proc(pid)
    # A zombie has exited: it only waits for its parent to reap it.
    if _is_zombie(pid):
        return ProcessState(alive=False)
    return ProcessState(alive=True, start_ms=state)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    return text[text.rfind(")") + 2 :].startswith("Z")
