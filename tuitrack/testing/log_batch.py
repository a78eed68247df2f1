from __future__ import annotations

import math
import sys

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, Param, RunTag
from tuitrack.errors import InvalidValueError, NotFoundError, ParamConflictError, ReadOnlyError
from tuitrack.testing.tags import logged_tags

SPECIAL_VALUES = [
    math.nan,
    math.inf,
    -math.inf,
    0.1 + 0.2,
    5e-324,
    sys.float_info.max,
    -sys.float_info.max,
    1e-300,
    123456789.123456789,
]


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id).info.run_id


def _metric(key: str, value: float, step: int = 0, timestamp: int = 1000) -> Metric:
    return Metric(key=key, value=value, step=step, timestamp=timestamp)


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


def test_every_entity_round_trips(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[_metric("loss", 0.5, step=3, timestamp=77)],
        params=[Param(key="lr", value="0.01")],
        tags=[RunTag(key="stage", value="train")],
    )
    run = store.get_run(run_id)
    assert run.data.metrics == {"loss": 0.5}
    assert run.data.params == {"lr": "0.01"}
    assert logged_tags(run) == {"stage": "train"}
    assert store.get_metric_history(run_id, "loss") == [_metric("loss", 0.5, 3, 77)]


def test_special_floats_are_exact(store: TrackingStore, run_id: str) -> None:
    metrics = [_metric("v", value, step=i) for i, value in enumerate(SPECIAL_VALUES)]
    store.log_batch(run_id, metrics=metrics)
    history = store.get_metric_history(run_id, "v")
    assert len(history) == len(SPECIAL_VALUES)
    for logged, stored in zip(SPECIAL_VALUES, history, strict=True):
        assert _same_float(stored.value, logged), (stored.value, logged)
    for i, value in enumerate(SPECIAL_VALUES[:3]):
        store.log_batch(run_id, metrics=[_metric(f"latest{i}", value)])
        assert _same_float(store.get_run(run_id).data.metrics[f"latest{i}"], value)


def test_history_order_and_step_range(store: TrackingStore, run_id: str) -> None:
    points = [_metric("acc", float(step), step=step, timestamp=1000 - step) for step in (5, 1, 3)]
    points.append(_metric("acc", 30.0, step=3, timestamp=2000))
    store.log_batch(run_id, metrics=points)
    history = store.get_metric_history(run_id, "acc")
    assert [(m.step, m.value) for m in history] == [(1, 1.0), (3, 3.0), (3, 30.0), (5, 5.0)]
    ranged = store.get_metric_history(run_id, "acc", start_step=2, end_step=3)
    assert [m.value for m in ranged] == [3.0, 30.0]
    assert store.get_metric_history(run_id, "absent") == []
    with pytest.raises(NotFoundError):
        store.get_metric_history("0" * 32, "acc")


def test_latest_is_highest_step_then_latest_timestamp(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[_metric("m", 1.0, step=10, timestamp=100)])
    store.log_batch(run_id, metrics=[_metric("m", 2.0, step=9, timestamp=999)])
    assert store.get_run(run_id).data.metrics["m"] == 1.0
    store.log_batch(run_id, metrics=[_metric("m", 3.0, step=10, timestamp=101)])
    assert store.get_run(run_id).data.metrics["m"] == 3.0
    store.log_batch(run_id, metrics=[_metric("m", 4.0, step=10, timestamp=50)])
    assert store.get_run(run_id).data.metrics["m"] == 3.0
    # Within one batch too, and an exact tie goes to the later write.
    store.log_batch(
        run_id,
        metrics=[
            _metric("n", 1.0, step=2, timestamp=5),
            _metric("n", 2.0, step=1, timestamp=9),
            _metric("n", 3.0, step=2, timestamp=5),
        ],
    )
    assert store.get_run(run_id).data.metrics["n"] == 3.0


def test_params_are_immutable(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, params=[Param(key="optimizer", value="adam")])
    store.log_batch(run_id, params=[Param(key="optimizer", value="adam")])  # same value: no-op
    with pytest.raises(ParamConflictError) as caught:
        store.log_batch(run_id, params=[Param(key="optimizer", value="sgd")])
    message = str(caught.value)
    for part in ("optimizer", "adam", "sgd", run_id):
        assert part in message
    assert store.get_run(run_id).data.params == {"optimizer": "adam"}


def test_tags_last_write_wins(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, tags=[RunTag(key="t", value="1")])
    store.log_batch(run_id, tags=[RunTag(key="t", value="2"), RunTag(key="T", value="upper")])
    assert logged_tags(store.get_run(run_id)) == {"T": "upper", "t": "2"}


@pytest.mark.parametrize(
    ("item", "shown"),
    [
        (Param(key="bad key!", value="x"), "bad key!"),
        (Param(key="../escape", value="x"), "../escape"),
        (Param(key="k" * 251, value="x"), "251"),
        (Param(key="long", value="v" * 6001), "6001"),
        (RunTag(key="long", value="v" * 8001), "8001"),
        (RunTag(key="/abs", value="x"), "/abs"),
        (_metric("semi;colon", 1.0), "semi;colon"),
        (_metric("newline at the end\n", 1.0), "newline at the end"),
        (RunTag(key="line\nbreak", value="x"), "line"),
        (_metric("", 1.0), "empty"),
    ],
)
def test_invalid_items_are_refused_by_name(
    store: TrackingStore, run_id: str, item: Metric | Param | RunTag, shown: str
) -> None:
    kwargs = {Metric: "metrics", Param: "params", RunTag: "tags"}[type(item)]
    with pytest.raises(InvalidValueError, match=None) as caught:
        store.log_batch(run_id, **{kwargs: [item]})  # type: ignore[arg-type]
    assert shown in str(caught.value)


def test_batch_is_atomic(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, params=[Param(key="fixed", value="1")])
    good_metrics = [_metric("loss", float(i), step=i) for i in range(100)]
    with pytest.raises(ParamConflictError):
        store.log_batch(
            run_id,
            metrics=good_metrics,
            params=[Param(key="new", value="a"), Param(key="fixed", value="2")],
            tags=[RunTag(key="t", value="v")],
        )
    with pytest.raises(InvalidValueError):
        store.log_batch(run_id, metrics=[*good_metrics, _metric("bad key?", 1.0)])
    with pytest.raises(InvalidValueError, match="64-bit"):
        store.log_batch(run_id, metrics=[*good_metrics, _metric("loss", 1.0, step=2**63)])
    run = store.get_run(run_id)
    assert run.data.params == {"fixed": "1"}
    assert run.data.metrics == {}
    assert logged_tags(run) == {}
    assert store.get_metric_history(run_id, "loss") == []


def test_duplicate_param_in_one_batch_with_different_values(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(InvalidValueError, match="'p'"):
        store.log_batch(run_id, params=[Param(key="p", value="1"), Param(key="p", value="2")])
    store.log_batch(run_id, params=[Param(key="p", value="1"), Param(key="p", value="1")])
    assert store.get_run(run_id).data.params == {"p": "1"}


def test_unicode_keys_and_values(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[_metric("точность/валид", 0.75)],
        params=[Param(key="模型", value="トランスフォーマー 🚀")],
        tags=[RunTag(key="note: ünïcode", value="emoji 🎉 and \"quotes\" and 'single'")],
    )
    run = store.get_run(run_id)
    assert run.data.metrics == {"точность/валид": 0.75}
    assert run.data.params == {"模型": "トランスフォーマー 🚀"}
    assert logged_tags(run) == {"note: ünïcode": "emoji 🎉 and \"quotes\" and 'single'"}
    assert [m.value for m in store.get_metric_history(run_id, "точность/валид")] == [0.75]


def test_logging_to_unknown_or_deleted_run(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(NotFoundError):
        store.log_batch("0" * 32, metrics=[_metric("m", 1.0)])
    store.delete_run(run_id)
    with pytest.raises(ReadOnlyError, match=run_id):
        store.log_batch(run_id, metrics=[_metric("m", 1.0)])


def test_large_batch_and_helpers(store: TrackingStore, run_id: str) -> None:
    points = [_metric("long", float(i), step=i, timestamp=i) for i in range(20_000)]
    store.log_batch(run_id, metrics=points)
    store.log_metric(run_id, _metric("single", 1.5))
    store.log_param(run_id, Param(key="p", value="v"))
    store.set_tag(run_id, RunTag(key="t", value="w"))
    history = store.get_metric_history(run_id, "long")
    assert len(history) == 20_000
    assert history[-1] == points[-1]
    run = store.get_run(run_id)
    assert run.data.metrics == {"long": 19_999.0, "single": 1.5}
    assert (run.data.params, logged_tags(run)) == ({"p": "v"}, {"t": "w"})


def test_metric_columns_store_what_log_batch_stores(
    store: TrackingStore, experiment_id: str
) -> None:
    points = [("loss", v, 1000 + i, i // 2) for i, v in enumerate([*SPECIAL_VALUES, 0.5])]
    points += [("acc", 0.25 * i, 2000 + i, i) for i in range(5)]
    by_batch, by_tuples, by_columns = (
        store.create_run(experiment_id).info.run_id for _ in range(3)
    )
    store.log_batch(by_batch, metrics=[_metric(k, v, s, t) for k, v, t, s in points])
    # Any sequences will do: tuples, as zip makes them, and lists, as the SDK's writer holds.
    tuple_keys, tuple_values, tuple_times, tuple_steps = zip(*points, strict=True)
    store.log_metric_columns(by_tuples, tuple_keys, tuple_values, tuple_times, tuple_steps)
    keys, values, timestamps, steps = (list(column) for column in zip(*points, strict=True))
    store.log_metric_columns(by_columns, keys, values, timestamps, steps)
    for key in ("loss", "acc"):
        expected = [(m.step, m.timestamp, m.value) for m in store.get_metric_history(by_batch, key)]
        for run_id in (by_tuples, by_columns):
            got = [(m.step, m.timestamp, m.value) for m in store.get_metric_history(run_id, key)]
            assert len(got) == len(expected)
            assert all(
                g[:2] == e[:2] and _same_float(g[2], e[2])
                for g, e in zip(got, expected, strict=True)
            )
            assert store.get_run(run_id).data.metrics.keys() == {"loss", "acc"}


def test_metric_columns_refuse_bad_input_and_store_nothing(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric_columns(run_id, ["loss"], [1.0], [5], [0])
    with pytest.raises(InvalidValueError, match="equally long"):
        store.log_metric_columns(run_id, ["loss", "loss"], [1.0], [5, 6], [1, 2])
    with pytest.raises(InvalidValueError, match="bad key"):
        store.log_metric_columns(run_id, ["loss", "bad key\n"], [1.0, 2.0], [5, 6], [1, 2])
    with pytest.raises(InvalidValueError, match="step"):
        store.log_metric_columns(run_id, ["loss"], [1.0], [5], [2**63])
    with pytest.raises(NotFoundError):
        store.log_metric_columns("0" * 32, ["loss"], [1.0], [5], [0])
    assert [m.value for m in store.get_metric_history(run_id, "loss")] == [1.0]
