"""Whole and step-range histories are read from the packed chunks (schema.metric_chunks):
they must equal the point rows put in history order (step, timestamp, then id) by the
database itself, however the points were batched, ordered or tied."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from tests.contract.concurrency import run_writers
from tests.contract.history_reference import as_points
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack_sql import schema
from tuitrack_sql.floats import decode
from tuitrack_sql.packed import CHUNK_POINTS, OPEN_BELOW

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _rows_in_history_order(engine: Engine, run_id: str, key: str, lo: int, hi: int) -> list[Any]:
    metrics, series = schema.metrics.c, schema.metric_series.c
    query = (
        select(metrics.step, metrics.timestamp, metrics.value, metrics.kind)
        .join_from(schema.metrics, schema.metric_series, metrics.series_id == series.series_id)
        .where(series.run_uuid == run_id, series.key == key, metrics.step.between(lo, hi))
        .order_by(metrics.step, metrics.timestamp, metrics.id)
    )
    with engine.connect() as connection:
        return [
            (key, step, timestamp, repr(decode(value, kind)))
            for step, timestamp, value, kind in connection.execute(query)
        ]


def _chunk_totals(engine: Engine) -> tuple[int, int]:
    chunks = schema.metric_chunks.c
    with engine.connect() as connection:
        points = connection.execute(select(func.coalesce(func.sum(chunks.points), 0))).scalar()
        rows = connection.execute(select(func.count()).select_from(schema.metrics)).scalar()
    return int(points or 0), int(rows or 0)


def _check(store: TrackingStore, run_id: str, key: str, ranges: list[tuple[int, int]]) -> None:
    engine = store.engine  # type: ignore[attr-defined]
    for lo, hi in [(INT64_MIN, INT64_MAX), *ranges]:
        read = store.get_metric_history(run_id, key, start_step=lo, end_step=hi)
        assert as_points(read) == _rows_in_history_order(engine, run_id, key, lo, hi)
    packed, rows = _chunk_totals(engine)
    assert packed == rows


def test_long_batches_out_of_order_batches_and_ties(
    store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    count = 2 * CHUNK_POINTS + 5  # one batch, three chunks
    ascending = [
        Metric(key="loss", value=1.0 / (1 + step), step=step, timestamp=step)
        for step in range(count)
    ]
    ascending[7] = Metric(key="loss", value=math.nan, step=7, timestamp=7)
    ascending[CHUNK_POINTS] = Metric(key="loss", value=-math.inf, step=CHUNK_POINTS, timestamp=0)
    store.log_batch(run_id, metrics=ascending)
    # Steps again, inside the first chunks: earlier, equal and later timestamps.
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=2.0, step=10, timestamp=10),  # tie: after the first
            Metric(key="loss", value=3.0, step=10, timestamp=5),  # before both
            Metric(key="loss", value=4.0, step=CHUNK_POINTS + 1, timestamp=10**9),
        ],
    )
    # Descending steps, partly beyond the end.
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=float(step), step=step, timestamp=1)
            for step in range(count + 50, count - 50, -1)
        ],
    )
    cut = CHUNK_POINTS - 3
    _check(store, run_id, "loss", [(5, 12), (cut, cut + 10), (count - 60, count + 60), (0, 0)])
    assert store.get_metric_history(run_id, "loss", start_step=count + 51) == []


def test_ascending_batches_read_in_order(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    for start in range(0, 1_000, 100):
        store.log_batch(
            run_id,
            metrics=[
                Metric(key=key, value=step * 0.5, step=step, timestamp=step)
                for step in range(start, start + 100)
                for key in ("loss", "acc")
            ],
        )
    _check(store, run_id, "loss", [(150, 349), (99, 100), (-5, 0), (999, 2_000)])
    _check(store, run_id, "acc", [(0, 999)])


def _chunk_count(engine: Engine) -> int:
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(schema.metric_chunks))
        return int(count.scalar() or 0)


def test_a_point_at_a_time_fills_chunks(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    count = 2 * OPEN_BELOW + 44
    for step in range(count):
        metrics = [Metric(key=key, value=step / 3, step=step, timestamp=0) for key in "ab"]
        store.log_batch(run_id, metrics=metrics)
    # Each chunk took points until it was no longer open: 128 + 128 + 44 per key.
    assert _chunk_count(store.engine) == 2 * 3  # type: ignore[attr-defined]
    _check(store, run_id, "a", [(OPEN_BELOW - 1, OPEN_BELOW), (0, count - 1)])
    _check(store, run_id, "b", [])


def test_concurrent_writers_append_to_one_open_chunk(
    store: TrackingStore, experiment_id: str
) -> None:
    """Writers adding a few points at a time to the same series: every point is packed
    exactly once, and ties on (step, timestamp) keep the order of the rows' ids."""
    run_id = store.create_run(experiment_id).info.run_id

    def write(writer: int) -> None:
        for batch in range(40):
            store.log_batch(
                run_id,
                metrics=[
                    Metric(key="m", value=writer + i / 10, step=batch % 7, timestamp=i)
                    for i in range(1 + (batch + writer) % 3)
                ],
            )

    assert run_writers(write) == []
    _check(store, run_id, "m", [(3, 3), (0, 2)])


@st.composite
def batches(draw: st.DrawFn) -> list[list[tuple[int, float, int]]]:
    steps = st.integers(-20, 40)
    values = st.sampled_from([0.0, -0.0, 1.5, -2.0, math.nan, math.inf, -math.inf, 7.0])
    points = draw(st.lists(st.tuples(steps, values, st.integers(0, 3)), min_size=1, max_size=80))
    cuts = sorted(draw(st.lists(st.integers(0, len(points)), max_size=5)))
    bounds = [0, *cuts, len(points)]
    return [points[a:b] for a, b in pairwise(bounds) if b > a]


def test_any_batches_read_as_the_rows_order_them(
    store: TrackingStore, experiment_id: str, database_uri: str
) -> None:
    examples = 60 if database_uri.startswith("sqlite") else 15

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(logged=batches(), lo=st.integers(-25, 45), width=st.integers(0, 30))
    def check(logged: list[list[tuple[int, float, int]]], lo: int, width: int) -> None:
        run_id = store.create_run(experiment_id).info.run_id
        for batch in logged:
            store.log_batch(
                run_id,
                metrics=[Metric(key="m", value=v, step=s, timestamp=t) for s, v, t in batch],
            )
        _check(store, run_id, "m", [(lo, lo + width)])

    check()
