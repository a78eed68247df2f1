"""The exactly-once check: what the store holds for a run against what its writer logged."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from benchmarks.soak.points import KEYS, expected_value, index_of
from tuitrack.sdk.client import TrackingClient


@dataclass(frozen=True)
class RunCheck:
    """One run: `stored` = accepted - lost + duplicates + unconfirmed + wrong."""

    accepted: int
    stored: int
    duplicates: int  # stored copies beyond the first of a point logged once
    lost: int  # accepted points not stored
    unconfirmed: int  # stored points beyond the accepted ones (a killed writer's last ones)
    wrong: int  # stored points no writer logged (unknown step or value)


def check_run(client: TrackingClient, run_id: str, accepted: int) -> RunCheck:
    """Compare the run's stored points with the first `accepted` points of the sequence
    every writer logs (benchmarks/soak/points.py)."""
    copies: Counter[int] = Counter()
    stored = wrong = 0
    for key_index, key in enumerate(KEYS):
        for metric in client.get_metric_history(run_id, key):
            stored += 1
            index = index_of(key, metric.step)
            if index is None or metric.value != expected_value(key_index, metric.step):
                wrong += 1
            else:
                copies[index] += 1
    return RunCheck(
        accepted=accepted,
        stored=stored,
        duplicates=sum(count - 1 for count in copies.values()),
        lost=sum(1 for index in range(accepted) if copies[index] == 0),
        unconfirmed=sum(1 for index in copies if index >= accepted),
        wrong=wrong,
    )
