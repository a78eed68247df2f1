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


EVERY_CAPABILITY = frozenset(Capability)
