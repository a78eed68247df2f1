"""When each run last logged, as a plain MLflow server last described it.

MLflow keeps no heartbeat: a RUNNING run is judged alive or orphaned by its latest metric
time, which every run JSON the server sends carries (its latest points' timestamps). The
REST store notes it from each run it reads, so judging the RUNNING runs of a page just
read asks the server nothing more.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

# Runs remembered; the least recently noted are forgotten first.
REMEMBERED_RUNS = 10_000


class RecentActivity:
    """run id -> latest metric time (ms), bounded, thread-safe."""

    def __init__(self, limit: int = REMEMBERED_RUNS) -> None:
        self._times: OrderedDict[str, int] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def note(self, times: Iterable[tuple[str, int | None]]) -> None:
        """Remember (run id, latest metric time) pairs; a None time (no metrics) is skipped."""
        with self._lock:
            for run_id, latest in times:
                if latest is not None:
                    self._times[run_id] = latest
                    self._times.move_to_end(run_id)
            while len(self._times) > self._limit:
                self._times.popitem(last=False)

    def get(self, run_id: str) -> int | None:
        with self._lock:
            return self._times.get(run_id)
