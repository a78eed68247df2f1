"""Properties of downsampled histories, on generated series: at most max_points points; the
global min and max, the first and the last point kept; steps in order; NaN kept; and the
exact points of the documented rule. Many examples on SQLite, a few on each server."""

from __future__ import annotations

import math
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack.testing.history_reference import as_points, reference_downsample
from tuitrack.testing.plugin import behind_a_server

SQLITE_EXAMPLES = 150
SERVER_EXAMPLES = 12
INT64 = 2**63

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, sys.float_info.max, -sys.float_info.max]
    ),
)
narrow_steps = st.integers(-20, 400)
# Many blocks of 256 steps: buckets of whole blocks, cut blocks at the range's ends.
medium_steps = st.integers(-3_000, 40_000)
wide_steps = st.integers(-INT64, INT64 - 1)
points = st.tuples(
    st.one_of(narrow_steps, narrow_steps, medium_steps, wide_steps), values, st.integers(0, 9)
)
series = st.lists(points, min_size=1, max_size=300)
budgets = st.integers(5, 80)
windows = st.one_of(
    st.none(),
    st.tuples(narrow_steps, narrow_steps).map(sorted),
    st.tuples(medium_steps, medium_steps).map(sorted),
)


def _check(
    store: TrackingStore,
    experiment_id: str,
    raw: list[tuple[int, float, int]],
    max_points: int,
    window: list[int] | None,
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    logged = [Metric(key="m", value=v, step=s, timestamp=t) for s, v, t in raw]
    store.log_batch(run_id, metrics=logged)
    start, end = window if window else (None, None)
    whole = store.get_metric_history(run_id, "m", start, end)
    sampled = store.get_metric_history(run_id, "m", start, end, max_points=max_points)

    assert len(sampled) <= max_points
    assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
    if not whole:
        assert sampled == []
        return
    assert as_points(sampled[:1]) == as_points(whole[:1])
    assert as_points(sampled[-1:]) == as_points(whole[-1:])
    steps = [m.step for m in sampled]
    assert steps == sorted(steps)
    numbers = [m.value for m in whole if not math.isnan(m.value)]
    kept = [m.value for m in sampled if not math.isnan(m.value)]
    if numbers:
        assert min(numbers) in kept
        assert max(numbers) in kept
    if any(math.isnan(m.value) for m in whole):
        assert any(math.isnan(m.value) for m in sampled)
    # Every kept point is a logged point, in history order.
    remaining = iter(as_points(whole))
    assert all(point in remaining for point in as_points(sampled))


def test_downsampling_properties(store: TrackingStore, experiment_id: str) -> None:
    examples = SERVER_EXAMPLES if behind_a_server(store) else SQLITE_EXAMPLES

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(raw=series, max_points=budgets, window=windows)
    def check(raw: list[tuple[int, float, int]], max_points: int, window: list[int] | None) -> None:
        _check(store, experiment_id, raw, max_points, window)

    check()
