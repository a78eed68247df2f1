"""MetricHistory reads as the list of Metric it stands for, builds each Metric only when
asked, and keeps its points where the garbage collector does not look."""

from __future__ import annotations

import gc
import math
import pickle
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tuitrack.core import registry
from tuitrack.core.downsampling import downsample, downsample_history
from tuitrack.core.metric_history import MetricHistory
from tuitrack.entities import Metric

VALUES = [0.5, math.nan, math.inf, -0.0, 0.0, -math.inf, 2.5, 1e-300, float("nan")]


def _points(key: str = "loss") -> list[Metric]:
    return [
        Metric(key=key, value=value, timestamp=1_000 + 7 * i, step=i // 2)
        for i, value in enumerate(VALUES)
    ]


def _history(points: Sequence[Metric]) -> MetricHistory:
    return MetricHistory(
        points[0].key,
        [point.step for point in points],
        [point.timestamp for point in points],
        [point.value for point in points],
    )


def _same(found: Sequence[Metric], expected: Sequence[Metric]) -> bool:
    """Point by point, NaN equal to NaN, -0.0 apart from 0.0."""

    def exact(points: Sequence[Metric]) -> list[tuple[str, int, int, str]]:
        return [(p.key, p.step, p.timestamp, repr(p.value)) for p in points]

    return exact(found) == exact(expected)


def test_reads_as_its_list_of_metrics() -> None:
    points = _points()
    history = _history(points)
    assert len(history) == len(points)
    assert history
    assert not MetricHistory("loss")
    assert _same(list(history), points)
    assert _same([history[i] for i in range(-len(points), len(points))], points + points)
    for index in (len(points), -len(points) - 1):
        with pytest.raises(IndexError):
            history[index]
    assert _same(list(reversed(history)), points[::-1])
    assert _same(sorted(history, key=lambda m: -m.timestamp), points[::-1])
    assert next(m.value for m in history) == 0.5
    assert history[-1].step == points[-1].step
    assert history.index(history[3]) == 3
    assert history[3] in history
    assert history.count(history[1]) == 1
    assert isinstance(history[0], Metric)
    assert history[0].model_dump()["key"] == "loss"


@pytest.mark.parametrize(
    "cut", [slice(None), slice(2, 5), slice(-3, None), slice(None, None, -2), slice(7, 2)]
)
def test_a_slice_is_a_history_of_those_points(cut: slice) -> None:
    points = _points()
    part = _history(points)[cut]
    assert isinstance(part, MetricHistory)
    assert part.key == "loss"
    assert _same(part, points[cut])


def test_equality_is_that_of_its_points() -> None:
    history = _history(_points())
    assert history == _history(_points())
    assert history == history[:]
    assert history == list(history)
    assert list(history) == history
    assert history == tuple(history)
    assert history[1] == history[1]  # one NaN object: a NaN point equals itself
    assert history != history[:-1]
    assert history != list(history)[:-1]
    assert history != _history(_points("acc"))
    changed = _points()
    changed[3] = Metric(key="loss", value=0.0, timestamp=changed[3].timestamp, step=1)
    assert history[3] == changed[3]  # -0.0 == 0.0, as floats and as Metrics
    changed[4] = Metric(key="loss", value=1.0, timestamp=changed[4].timestamp, step=2)
    assert history != _history(changed)
    assert history != changed
    assert MetricHistory("loss") == MetricHistory("acc") == []  # no points, as lists
    assert history != "loss"
    assert history != {"loss": 1}
    with pytest.raises(TypeError, match="unhashable"):
        hash(history)


def test_columns_are_copies_of_its_numbers() -> None:
    points = _points()
    history = _history(points)
    assert history.steps.typecode == "q"
    assert history.steps.tolist() == [p.step for p in points]
    assert history.timestamps.tolist() == [p.timestamp for p in points]
    assert [repr(v) for v in history.values] == [repr(p.value) for p in points]
    history.values[0] = 99.0
    history.steps[0] = 99
    assert history[0].value == 0.5
    assert history[0].step == 0


def test_built_from_metrics_and_checked() -> None:
    points = _points()
    history = MetricHistory.of("loss", points)
    assert _same(history, points)
    assert MetricHistory.of("loss", history) is history
    assert MetricHistory.of("acc", history[:0]) == []
    with pytest.raises(ValueError, match="'loss' given as that of 'acc'"):
        MetricHistory.of("acc", history)
    with pytest.raises(ValueError, match="'acc'"):
        MetricHistory.of("loss", [*points, Metric(key="acc", value=1.0, timestamp=1)])
    with pytest.raises(ValueError, match="same length"):
        MetricHistory("loss", [1, 2], [1], [1.0, 2.0])
    assert _same(history.pick([4, 0, 4]), [points[4], points[0], points[4]])


def test_repr_pickle_and_copies() -> None:
    history = _history(_points())
    shown = repr(history)
    assert shown.startswith("MetricHistory('loss', 9 points: [Metric(key='loss', value=0.5,")
    assert "..." in shown
    assert repr(history[-1]) in shown
    assert repr(history[4]) not in shown
    assert repr(history[:2]).count("Metric(") == 2
    assert "..." not in repr(history[:2])
    assert repr(MetricHistory("m")) == "MetricHistory('m', 0 points: [])"
    restored = pickle.loads(pickle.dumps(history))
    assert isinstance(restored, MetricHistory)
    assert restored == history


def test_downsampled_on_its_columns_as_a_list_is() -> None:
    rng = random.Random(5)
    steps = sorted(rng.randrange(0, 5_000) for _ in range(3_000))
    values: list[float] = [rng.choice([rng.random(), math.nan, math.inf]) for _ in steps]
    history = MetricHistory("m", steps, range(len(steps)), values)
    for max_points in (5, 37, 500, 2_999, 3_000, None):
        sampled = downsample_history(history, max_points)
        assert isinstance(sampled, MetricHistory)
        assert _same(sampled, downsample(list(history), max_points))


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of each collection that starts while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_a_whole_read_leaves_the_collector_idle(tmp_path: Path, collections: list[int]) -> None:
    """60,000 Metric objects would set off ~85 collections (one per 700 tracked objects);
    columns set off next to none, with the collector left as the program set it."""
    store = registry.get_tracking_store(f"sqlite:///{tmp_path / 'db'}", str(tmp_path / "a"))
    try:
        run_id = store.create_run(store.create_experiment("gc")).info.run_id
        count = 60_000
        steps = list(range(count))
        store.log_metric_columns(run_id, ["m"] * count, [s / 3 for s in steps], steps, steps)
        store.get_metric_history(run_id, "m", max_points=5)  # connection and caches warm
        assert gc.isenabled()
        collections.clear()
        history = store.get_metric_history(run_id, "m")
        assert len(collections) <= 2
        assert len(history) == count
        assert history[-1].value == (count - 1) / 3
    finally:
        store.close()
