"""log_batch keeps metric_blocks, the per-256-steps summaries that downsampled histories
read, equal to what the metrics rows call for, batch after batch, on every database."""

from __future__ import annotations

import math
import sys
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.block_reference import check_blocks, rank_in_block
from tests.contract.concurrency import run_writers
from tests.contract.history_reference import as_points, reference_downsample
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric

DBL_MAX = sys.float_info.max
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SQLITE_EXAMPLES = 100
SERVER_EXAMPLES = 10


def _metric(key: str, value: float, step: int, timestamp: int = 0) -> Metric:
    return Metric(key=key, value=value, step=step, timestamp=timestamp)


def test_batches_merge_into_the_blocks(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    other = store.create_run(experiment_id).info.run_id
    first = [_metric("loss", 1.0 + (step % 7), step, step) for step in range(600)]
    first[10] = _metric("loss", math.nan, 10, 10)
    first[20] = _metric("loss", math.inf, 20, 20)
    first[30] = _metric("loss", -math.inf, 30, 30)
    first[40] = _metric("loss", DBL_MAX, 40, 40)
    first[50] = _metric("loss", -DBL_MAX, 50, 50)
    first[300] = _metric("loss", -0.0, 300, 300)
    first[301] = _metric("loss", 0.0, 301, 301)
    store.log_batch(run_id, metrics=first)
    store.log_batch(other, metrics=first[:5])
    second = [
        _metric("loss", 1.0, 599, 599),  # same step and time as the last point: now last
        _metric("loss", -1.0, 5, 5),  # a new minimum, behind the current last point
        _metric("loss", -1.0, 3, 9),  # the same minimum one step earlier: it wins
        _metric("loss", 1.0, 0, 0),  # same step and time as the first point: stays second
        _metric("loss", math.nan, 9, 0),  # an earlier NaN
        _metric("loss", 7.0, -1, 0),  # negative steps fall in block -1, and so on
        _metric("loss", 2.0, -256, 0),
        _metric("loss", 3.0, -257, 0),
        _metric("loss", 4.0, INT64_MIN, 0),
        _metric("loss", 5.0, INT64_MAX, 0),
        _metric("acc", 0.5, 0, 0),
        _metric("acc", 0.5, 0, 0),  # identical points: the first is min, max and first
    ]
    store.log_batch(run_id, metrics=second)
    store.log_batch(run_id, metrics=[_metric("acc", 0.5, 0, 0), _metric("loss", math.nan, 1)])
    engine = store.engine  # type: ignore[attr-defined]
    assert check_blocks(engine, rank_in_block) == 9  # 7 of loss, 1 of acc, 1 of the other run


def test_concurrent_writers_keep_the_blocks_exact(store: TrackingStore, experiment_id: str) -> None:
    """Writers logging into the same blocks at once: each block merges every batch, and
    its seqs still follow the ids of its points."""
    run_id = store.create_run(experiment_id).info.run_id

    def write(writer: int) -> None:
        for batch in range(6):
            steps = [(batch * 200 + i) * 4 + writer for i in range(200)]
            metrics = [_metric("m", float(s * 7 % 13), s, i) for i, s in enumerate(steps)]
            store.log_batch(run_id, metrics=metrics)

    assert run_writers(write) == []
    assert check_blocks(store.engine, None) == 19  # type: ignore[attr-defined]
    whole = store.get_metric_history(run_id, "m")
    sampled = store.get_metric_history(run_id, "m", max_points=50)
    assert as_points(sampled) == as_points(reference_downsample(whole, 50))


def test_concurrent_writers_create_new_series_in_any_key_order(
    store: TrackingStore, experiment_id: str
) -> None:
    """Writers that log the same new keys at once, each in its own order, share one series
    per key: no deadlock, no duplicate series, every point kept."""
    run_ids = [store.create_run(experiment_id).info.run_id for _ in range(3)]
    keys = [f"k{i}" for i in range(8)]

    def write(writer: int) -> None:
        order = keys[writer:] + keys[:writer]
        for run_id in run_ids:
            store.log_batch(run_id, metrics=[_metric(k, float(writer), writer) for k in order])

    assert run_writers(write) == []
    for run_id in run_ids:
        assert set(store.get_run(run_id).data.metrics) == set(keys)
        for key in keys:
            history = store.get_metric_history(run_id, key)
            assert sorted(m.value for m in history) == [0.0, 1.0, 2.0, 3.0]


@st.composite
def batches(draw: st.DrawFn) -> list[list[tuple[int, float, int]]]:
    steps = st.one_of(st.integers(-300, 800), st.integers(INT64_MIN, INT64_MAX))
    values = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1.0, math.nan, math.inf, -math.inf, DBL_MAX, -DBL_MAX]),
    )
    points = draw(st.lists(st.tuples(steps, values, st.integers(0, 3)), min_size=1, max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(points)), max_size=4)))
    bounds = [0, *cuts, len(points)]
    return [points[a:b] for a, b in pairwise(bounds) if b > a]


def test_blocks_and_downsampling_after_any_batches(
    store: TrackingStore, experiment_id: str, database_uri: str
) -> None:
    examples = SQLITE_EXAMPLES if database_uri.startswith("sqlite") else SERVER_EXAMPLES
    engine = store.engine  # type: ignore[attr-defined]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(logged=batches(), max_points=st.integers(5, 60))
    def check(logged: list[list[tuple[int, float, int]]], max_points: int) -> None:
        run_id = store.create_run(experiment_id).info.run_id
        for batch in logged:
            metrics = [_metric("m", value, step, time) for step, value, time in batch]
            store.log_batch(run_id, metrics=metrics)
        check_blocks(engine, rank_in_block)
        whole = store.get_metric_history(run_id, "m")
        sampled = store.get_metric_history(run_id, "m", max_points=max_points)
        assert as_points(sampled) == as_points(reference_downsample(whole, max_points))

    check()
