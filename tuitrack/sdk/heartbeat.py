"""A thread that tells the store, every few seconds, that the open runs' process is alive."""

from __future__ import annotations

import threading

from tuitrack.core.store import TrackingStore
from tuitrack.errors import NotFoundError
from tuitrack.sdk.notices import warn_once
from tuitrack.sdk.quiet_thread import start_quiet_thread
from tuitrack.sdk.state import STATE

# After a failed write, the next try comes this soon (or at the interval, if sooner), so
# a store back from a lock or an outage gets a heartbeat before the run looks stale.
_RETRY_SECONDS = 1.0


class Heartbeat:
    """Records a heartbeat for each added run every `interval` seconds, right away too."""

    def __init__(self, store: TrackingStore, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._runs: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, run_id: str) -> None:
        with self._lock:
            self._runs.add(run_id)
            if self._thread is None or not self._thread.is_alive():
                self._stopped = False
                self._thread = start_quiet_thread(self._beat, "tuitrack-heartbeat")
        self._wake.set()

    def remove(self, run_id: str) -> None:
        with self._lock:
            self._runs.discard(run_id)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._runs.clear()
        self._wake.set()

    def _beat(self) -> None:
        while True:
            with self._lock:
                if self._stopped:
                    return
                runs = sorted(self._runs)
            written = [self._record(run_id) for run_id in runs]
            self._wake.wait(self.interval if all(written) else min(self.interval, _RETRY_SECONDS))
            self._wake.clear()

    def _record(self, run_id: str) -> bool:
        """False when the store could not be written."""
        try:
            with STATE.store_calls.call():
                self.store.record_heartbeat(run_id)
        except NotFoundError:
            self.remove(run_id)
        except Exception as error:  # the store is down: the writer reports it too
            warn_once("heartbeat", f"could not record the heartbeat of run {run_id}: {error}")
            return False
        return True
