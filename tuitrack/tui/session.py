"""What every screen shares: the client, the clock, and the live-refresh settings."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from tuitrack.core.orphans import OrphanPolicy
from tuitrack.core.store import now_ms
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.queries import RunsPage, RunsQuery

Clock = Callable[[], int]
"""Milliseconds since the epoch; injectable so durations and 'ago' are testable."""

DEFAULT_REFRESH_SECONDS = 2.0


@dataclass
class Session:
    client: TrackingClient
    clock: Clock = now_ms
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    """Live refresh period; 0 turns live refresh off."""
    live_paused: bool = False
    orphan_policy: OrphanPolicy = field(default_factory=OrphanPolicy.from_environment)
    """When a RUNNING run counts as orphaned (heartbeat and silence thresholds)."""
    prefetched: dict[RunsQuery, tuple[int, RunsPage]] = field(default_factory=dict)
    """First pages read ahead (query -> (clock time, page)) for the runs screen to take."""
    prefetching: dict[RunsQuery, tuple[int, Future[RunsPage]]] = field(default_factory=dict)
    """First pages being read ahead (query -> (clock time started, page to come)): the
    runs screen waits for one of these rather than reading the same page a second time."""

    def take_prefetched(self, query: RunsQuery, max_age_ms: int) -> RunsPage | None:
        """The page read ahead for `query` if it is at most `max_age_ms` old; forgets it."""
        entry = self.prefetched.pop(query, None)
        if entry is None or self.clock() - entry[0] > max_age_ms:
            return None
        return entry[1]

    def wait_prefetching(
        self, query: RunsQuery, max_age_ms: int, timeout: float
    ) -> RunsPage | None:
        """The page read ahead for `query`, waiting for it if need be (from a worker thread);
        None if none was started in the last `max_age_ms`, or it failed, or it takes
        longer than `timeout` seconds."""
        entry = self.prefetching.get(query)
        if entry is None or self.clock() - entry[0] > max_age_ms:
            return None
        try:
            return entry[1].result(timeout)
        except Exception:  # the caller reads the page itself and reports what fails
            return None
