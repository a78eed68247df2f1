"""What a TrackingStore can do beyond reading, declared by the store (`capabilities`).

Every store reads, sets run and experiment tags, and closes runs as FAILED or KILLED unless
it was opened read-only. The rest is optional: a store over another tool's data (MLflow's)
may refuse it with ReadOnlyError, and says so here, so that callers and the contract suite
(`tuitrack.testing`) know without trying.
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """One optional ability; its value completes the sentence "this store can ..."."""

    CREATE_EXPERIMENTS = "create, rename, delete and restore experiments"
    CREATE_RUNS = "create, rename, delete and restore runs, and record heartbeats"
    LOG_METRICS = "log metrics and params"
    OPEN_BY_URI = "be opened again from its store URI by another client or process"
    # How a store answers rather than what it takes: a store without these still gives
    # every answer the contract asks for, at a cost the reader may want to know about.
    SEARCH_WHERE_STORED = (
        "evaluate the whole search language where the runs are stored (without it, part of "
        "a filter may be evaluated by reading every run, and the page's note says so)"
    )
    DOWNSAMPLE_WHERE_STORED = (
        "thin a long metric history where it is stored (without it, every point is read)"
    )
    KEEP_HEARTBEATS = (
        "keep each run's heartbeat, host and pid (without them, orphans are judged by "
        "their last activity only)"
    )


WRITE_CAPABILITIES = frozenset(
    {
        Capability.CREATE_EXPERIMENTS,
        Capability.CREATE_RUNS,
        Capability.LOG_METRICS,
        Capability.OPEN_BY_URI,
    }
)
EVERY_CAPABILITY = frozenset(Capability)
