"""get_metric_history and get_metric_histories: whole, by step range, bulk, and downsampled
in the store, with the same points on every database."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import pytest

from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.sdk.client import TrackingClient
from tuitrack.testing.history_reference import as_points, reference_downsample

DBL_MAX = sys.float_info.max
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _metric(key: str, value: float, step: int, timestamp: int = 1000) -> Metric:
    return Metric(key=key, value=value, step=step, timestamp=timestamp)


def _run(store: TrackingStore, experiment_id: str, metrics: list[Metric] | None = None) -> str:
    run_id = store.create_run(experiment_id).info.run_id
    if metrics:
        store.log_batch(run_id, metrics=metrics)
    return run_id


def _shaped_series(count: int) -> list[Metric]:
    """A noisy decaying curve with a spike, a dip, NaNs, +-inf, repeated steps and a gap."""
    points = []
    for i in range(count):
        step = i if i < count // 2 else i + 5_000  # a gap in the steps
        value = 10.0 / (1 + i / 50) + ((i * 7919) % 13) / 40
        points.append(_metric("loss", value, step, 1_000 + i))
    points[count // 7] = _metric("loss", 1e6, points[count // 7].step, 5)  # a spike
    points[count // 3] = _metric("loss", -50.0, points[count // 3].step, 6)  # a dip
    for i in (11, count // 2 + 3, count - 2):
        points[i] = _metric("loss", math.nan, points[i].step, 7)
    points[count // 4] = _metric("loss", math.inf, points[count // 4].step, 8)
    points[count // 5] = _metric("loss", -math.inf, points[count // 5].step, 9)
    # Same step logged again, earlier timestamp: history order is step, then timestamp.
    points.append(_metric("loss", 3.25, points[40].step, 1))
    points.append(_metric("loss", 3.5, points[40].step, 1))
    return points


def test_round_trip_in_step_then_time_order(store: TrackingStore, experiment_id: str) -> None:
    points = [
        _metric("m", 3.0, step=2, timestamp=50),
        _metric("m", 1.0, step=1, timestamp=90),
        _metric("m", 2.0, step=2, timestamp=10),
        _metric("m", 0.25, step=2, timestamp=10),  # same step and time: logging order
        _metric("m", 5e-324, step=INT64_MAX, timestamp=0),
        _metric("m", math.nan, step=INT64_MIN, timestamp=0),
    ]
    run_id = _run(store, experiment_id, points)
    history = store.get_metric_history(run_id, "m")
    assert as_points(history) == as_points(
        [points[5], points[1], points[2], points[3], points[0], points[4]]
    )
    assert all(isinstance(m, Metric) and m.model_fields_set for m in history)
    assert history[1] == points[1]


def test_step_ranges(store: TrackingStore, experiment_id: str) -> None:
    run_id = _run(store, experiment_id, [_metric("m", float(s), s) for s in range(-5, 20)])

    def steps(**kwargs: int | None) -> list[int]:
        return [m.step for m in store.get_metric_history(run_id, "m", **kwargs)]

    assert steps(start_step=15) == list(range(15, 20))
    assert steps(end_step=-3) == [-5, -4, -3]
    assert steps(start_step=3, end_step=5) == [3, 4, 5]
    assert steps(start_step=6, end_step=5) == []
    assert steps(start_step=-(2**70), end_step=2**70) == list(range(-5, 20))
    assert steps(start_step=3, end_step=5, max_points=5) == [3, 4, 5]
    assert steps(start_step=30) == []
    assert store.get_metric_history(run_id, "absent", max_points=10) == []


@pytest.mark.parametrize(
    ("arguments", "shown"),
    [
        ({"max_points": 4}, "4"),
        ({"max_points": 0}, "0"),
        ({"max_points": True}, "True"),
        ({"max_points": 10.0}, "10.0"),
        ({"start_step": 1.5}, "1.5"),
        ({"end_step": "9"}, "'9'"),
    ],
)
def test_bad_arguments_are_refused_by_value(
    store: TrackingStore, experiment_id: str, arguments: dict[str, object], shown: str
) -> None:
    run_id = _run(store, experiment_id, [_metric("m", 1.0, 0)])
    with pytest.raises(InvalidValueError) as caught:
        store.get_metric_history(run_id, "m", **arguments)  # type: ignore[arg-type]
    assert shown in str(caught.value)
    with pytest.raises(InvalidValueError):
        store.get_metric_histories([run_id], ["m"], **arguments)  # type: ignore[arg-type]


def test_unknown_runs(store: TrackingStore, experiment_id: str) -> None:
    run_id = _run(store, experiment_id, [_metric("m", 1.0, 0)])
    missing = "f" * 32
    with pytest.raises(NotFoundError, match=missing):
        store.get_metric_history(missing, "m", max_points=10)
    with pytest.raises(NotFoundError, match=missing):
        store.get_metric_histories([run_id, missing], ["m"])
    with pytest.raises(NotFoundError, match=missing):
        store.get_metric_histories([missing], [])


def test_a_series_that_fits_is_returned_whole(store: TrackingStore, experiment_id: str) -> None:
    points = [_metric("m", float(i % 3), i * 10) for i in range(12)]
    run_id = _run(store, experiment_id, points)
    whole = store.get_metric_history(run_id, "m")
    assert as_points(store.get_metric_history(run_id, "m", max_points=12)) == as_points(whole)
    assert len(store.get_metric_history(run_id, "m", max_points=11)) <= 11


def test_downsampling_keeps_the_shape(store: TrackingStore, experiment_id: str) -> None:
    points = _shaped_series(3_000)
    run_id = _run(store, experiment_id, points)
    whole = store.get_metric_history(run_id, "loss")
    assert len(whole) == len(points)
    for max_points in (5, 6, 37, 100, 1_000):
        sampled = store.get_metric_history(run_id, "loss", max_points=max_points)
        assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
        values = [m.value for m in sampled]
        assert len(sampled) <= max_points
        assert sampled[0] == whole[0]
        assert sampled[-1] == whole[-1]
        assert -math.inf in values
        assert math.inf in values
        assert any(math.isnan(v) for v in values)
        steps = [m.step for m in sampled]
        assert steps == sorted(steps)
    sampled = store.get_metric_history(run_id, "loss", max_points=500)
    assert 1e6 in [m.value for m in sampled]
    assert -50.0 in [m.value for m in sampled]


def test_downsampling_a_step_range(store: TrackingStore, experiment_id: str) -> None:
    run_id = _run(store, experiment_id, _shaped_series(2_000))
    window = store.get_metric_history(run_id, "loss", start_step=300, end_step=1_400)
    sampled = store.get_metric_history(
        run_id, "loss", start_step=300, end_step=1_400, max_points=60
    )
    assert as_points(sampled) == as_points(reference_downsample(window, 60))
    assert sampled[0].step == 300
    assert sampled[-1].step == window[-1].step


def test_a_lone_spike_in_a_flat_series_stays_visible(
    store: TrackingStore, experiment_id: str
) -> None:
    points = [_metric("lr", 0.001, step) for step in range(20_000)]
    points[12_345] = _metric("lr", 0.5, 12_345)
    points[777] = _metric("lr", math.nan, 777)
    run_id = _run(store, experiment_id, points)
    sampled = store.get_metric_history(run_id, "lr", max_points=50)
    assert len(sampled) <= 50
    assert [m.step for m in sampled if m.value == 0.5] == [12_345]
    assert [m.step for m in sampled if math.isnan(m.value)] == [777]
    assert (sampled[0].step, sampled[-1].step) == (0, 19_999)


def test_long_series_in_buckets_of_whole_blocks(store: TrackingStore, experiment_id: str) -> None:
    steps = range(0, 30_000, 2)
    points = [_metric("loss", 1.0 / (1 + step % 1_000), step, step) for step in steps]
    for index in (5, 2_222, 10_001):
        points[index] = _metric("loss", math.nan, steps[index], 0)
    points[3_888] = _metric("loss", math.inf, steps[3_888], 0)
    points[6_000] = _metric("loss", -5.0, 12_000, 0)
    run_id = store.create_run(experiment_id).info.run_id
    for start in range(0, len(points), 3_500):  # batches end inside blocks
        store.log_batch(run_id, metrics=points[start : start + 3_500])
    store.log_batch(run_id, metrics=[_metric("loss", -5.0, 11_999, 0)])  # an earlier tie
    windows: list[tuple[int | None, int | None]] = [(None, None), (1_000, 25_000)]
    for first, last in [*windows, (300, 301 + 256 * 40)]:
        whole = store.get_metric_history(run_id, "loss", first, last)
        for max_points in (50, 500, 1_000):
            sampled = store.get_metric_history(run_id, "loss", first, last, max_points=max_points)
            assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
            assert len(sampled) <= max_points


def test_points_of_summaries_and_of_rows_stay_apart(
    store: TrackingStore, experiment_id: str
) -> None:
    """Block -1 is read from its summary, block 0 (cut by the range) from its rows: its
    highest point has seq 1 in its block, and block 0's first row id 1 on SQLite. Both kept."""
    run_id = _run(store, experiment_id, [_metric("m", float(i), i) for i in range(100)])
    store.log_batch(run_id, metrics=[_metric("m", float(i == 1), i - 256) for i in range(256)])
    whole = store.get_metric_history(run_id, "m", start_step=-256, end_step=50)
    sampled = store.get_metric_history(run_id, "m", start_step=-256, end_step=50, max_points=10)
    assert as_points(sampled) == as_points(reference_downsample(whole, 10))


def test_many_points_on_one_step(store: TrackingStore, experiment_id: str) -> None:
    """Points logged without a step all sit on step 0: one bucket of one block."""
    points = [_metric("m", float((i * 37) % 101), 0, 1_000 + i % 50) for i in range(2_000)]
    points[900] = _metric("m", math.nan, 0, 1_010)
    run_id = _run(store, experiment_id, points[:1_200])
    store.log_batch(run_id, metrics=points[1_200:])
    whole = store.get_metric_history(run_id, "m")
    for max_points in (5, 37):
        sampled = store.get_metric_history(run_id, "m", max_points=max_points)
        assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
        assert len(sampled) == 4  # first, last, highest, NaN: the first is also the lowest


def test_infinities_beat_finite_extremes(store: TrackingStore, experiment_id: str) -> None:
    values = [DBL_MAX, math.inf, -DBL_MAX, -math.inf, DBL_MAX, -DBL_MAX] * 4
    points = [_metric("m", value, step) for step, value in enumerate(values)]
    run_id = _run(store, experiment_id, points)
    whole = store.get_metric_history(run_id, "m")
    for max_points in (5, 10):
        sampled = store.get_metric_history(run_id, "m", max_points=max_points)
        assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
        assert {math.inf, -math.inf} <= {m.value for m in sampled}
    # Only finite DBL_MAX and +inf: the minimum is the first finite one.
    high = [_metric("h", v, s) for s, v in enumerate([math.inf, DBL_MAX, math.inf] * 5)]
    run_id = _run(store, experiment_id, high)
    sampled = store.get_metric_history(run_id, "h", max_points=5)
    assert as_points(sampled) == as_points(reference_downsample(high, 5))
    assert DBL_MAX in [m.value for m in sampled]


def test_extreme_step_span_downsamples(store: TrackingStore, experiment_id: str) -> None:
    steps = [INT64_MIN, INT64_MIN + 1, -1, 0, 1, 2**62, INT64_MAX - 1, INT64_MAX]
    points = [_metric("m", float(i), step) for i, step in enumerate(steps)]
    run_id = _run(store, experiment_id, points)
    sampled = store.get_metric_history(run_id, "m", max_points=5)
    assert as_points(sampled) == as_points(reference_downsample(points, 5))
    assert (sampled[0].step, sampled[-1].step) == (INT64_MIN, INT64_MAX)


def test_bulk_form(store: TrackingStore, experiment_id: str) -> None:
    first = _run(store, experiment_id, _shaped_series(600))
    second = _run(store, experiment_id, [_metric("acc", i / 10, i) for i in range(50)])
    keys = ["loss", "acc", "absent"]
    histories = store.get_metric_histories([first, second, first], keys)
    assert list(histories) == [(run, key) for run in (first, second) for key in keys]
    for (run_id, key), history in histories.items():
        assert as_points(history) == as_points(store.get_metric_history(run_id, key))
    assert histories[second, "loss"] == []
    assert histories[first, "absent"] == []
    sampled = store.get_metric_histories(
        [first, second], ["loss", "acc"], max_points=20, start_step=10, end_step=400
    )
    for (run_id, key), history in sampled.items():
        single = store.get_metric_history(run_id, key, 10, 400, max_points=20)
        assert as_points(history) == as_points(single)
        assert len(history) <= 20
    assert store.get_metric_histories([], ["loss"]) == {}


def test_history_reads_as_a_sequence(store: TrackingStore, experiment_id: str) -> None:
    run_id = _run(store, experiment_id, _shaped_series(300))
    history = store.get_metric_history(run_id, "loss")
    points = list(history)
    assert isinstance(history, Sequence)
    assert len(history) == len(points) == 302
    assert history == points
    assert as_points([history[0], history[-1], history[-302]]) == as_points(
        [points[0], points[-1], points[0]]
    )
    for cut in (slice(10, 20), slice(-5, None), slice(None, None, 7), slice(50, 40)):
        assert as_points(history[cut]) == as_points(points[cut])
    assert as_points(list(reversed(history))) == as_points(points[::-1])
    by_value = sorted(history, key=lambda m: (math.isnan(m.value), m.value))
    assert by_value[0].value == -math.inf
    assert math.isnan(by_value[-1].value)


def test_client_methods(client: TrackingClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_shaped_series(400))
    whole = client.get_metric_history(run_id, "loss")
    assert isinstance(whole, MetricHistory)
    assert whole.steps.tolist() == [m.step for m in whole]
    assert whole.timestamps.tolist() == [m.timestamp for m in whole]
    assert [repr(value) for value in whole.values] == [repr(m.value) for m in whole]
    sampled = client.get_metric_history(run_id, "loss", max_points=40)
    assert as_points(sampled) == as_points(reference_downsample(whole, 40))
    assert client.get_metric_history(run_id, "loss", 5, 9) == whole[5:10]
    bulk = client.get_metric_histories(run_id, "loss", max_points=40)
    assert as_points(bulk[run_id, "loss"]) == as_points(sampled)
    windowed = client.get_metric_histories([run_id], ["loss"], start_step=5, end_step=9)
    assert windowed == {(run_id, "loss"): whole[5:10]}
